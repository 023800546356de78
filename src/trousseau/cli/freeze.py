"""`trousseau freeze check` (the CI gate) and `trousseau freeze timeline`: deploy protection
from the policy file and the catalog's wedding calendar.

`check` exits 0 to allow, 3 when the deploy needs an approval, 4 to deny; `--json` prints the
decision (level, verdict, reasons, next allowed instant).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from trousseau.cli.context import catalog_of, settings_of
from trousseau.cli.output import console
from trousseau.errors import InvalidValue

if TYPE_CHECKING:
    from trousseau.freeze import Decision, Interval, Policy
    from trousseau.settings import Settings

freeze_app = typer.Typer(
    help="Deploy protection: is a deploy allowed now, and when is it next.",
    no_args_is_help=True,
)

EXIT = {"allow": 0, "needs-approval": 3, "deny": 4}


def _instant(text: str | None, what: str) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{what} {text!r} is not an ISO 8601 instant") from None
    if moment.tzinfo is None:
        raise InvalidValue(
            f"{what} {text!r} has no UTC offset: write it like 2026-06-13T10:00:00+02:00"
        )
    return moment


def _policy(settings: Settings, start: datetime, end: datetime) -> Policy:
    from trousseau.freeze import load_policy, with_calendar

    policy = load_policy(settings.freeze.policy)
    catalog = catalog_of(settings)
    try:
        return with_calendar(policy, catalog, start, end)
    finally:
        catalog.dispose()


def _decision_json(d: Decision) -> dict[str, object]:
    return {
        "at": d.at.isoformat(),
        "level": d.level.name.lower(),
        "verdict": d.level.verdict,
        "reasons": [{"level": r.level.name.lower(), "text": r.text} for r in d.reasons],
        "next_allowed": d.next_allowed.isoformat() if d.next_allowed else None,
    }


@freeze_app.command("check")
def check_command(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", help="The environment deployed to.")],
    service: Annotated[str, typer.Option("--service", help="The service deployed.")],
    region: Annotated[
        str | None, typer.Option(help="A configured region or an IANA zone (default: all).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="An ISO 8601 instant with an offset (default: now).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Whether a deploy is allowed (exit 0), needs an approval (3) or is denied (4)."""
    from trousseau.freeze import HORIZON, decide

    moment = _instant(at, "--at")
    policy = _policy(settings_of(ctx), moment, moment + HORIZON)
    decision = decide(policy, moment, region=region, environment=env, service=service)
    if as_json:
        console.print_json(json.dumps(_decision_json(decision)))
    else:
        nxt = decision.next_allowed.isoformat() if decision.next_allowed else "not within a year"
        console.print(
            f"{decision.level.verdict} ({decision.level.name.lower()}) at "
            f"{decision.at.isoformat()}; next allowed {nxt}",
            highlight=False,
        )
        for reason in decision.reasons:
            console.print(f"  {reason.level.name.lower()}: {reason.text}", highlight=False)
    raise typer.Exit(EXIT[decision.level.verdict])


@freeze_app.command("timeline")
def timeline_command(
    ctx: typer.Context,
    region: Annotated[str, typer.Option(help="A configured region or an IANA zone.")],
    start: Annotated[str, typer.Option("--from", help="ISO 8601 instant with an offset.")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 instant with an offset.")],
    env: Annotated[str | None, typer.Option("--env")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the intervals as JSON.")] = False,
) -> None:
    """The range as contiguous [start, end) intervals with their level and reasons."""
    from trousseau.freeze import Evaluator

    first, last = _instant(start, "--from"), _instant(end, "--to")
    policy = _policy(settings_of(ctx), first, last)
    pieces: list[Interval] = Evaluator(policy, region).timeline(first, last, env, service)
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "start": p.start.isoformat(),
                        "end": p.end.isoformat(),
                        "level": p.level.name.lower(),
                        "reasons": [r.text for r in p.reasons],
                    }
                    for p in pieces
                ]
            )
        )
        return
    for p in pieces:
        why = "; ".join(r.text for r in p.reasons) or "-"
        console.print(
            f"{p.start.isoformat()}  {p.end.isoformat()}  {p.level.name.lower():8s}  {why}",
            highlight=False,
        )
