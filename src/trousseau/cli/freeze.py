"""`trousseau freeze check` (the CI gate) and `trousseau freeze timeline`: deploy protection
from the policy file and the catalog's wedding calendar.

`check` exits 0 to allow, 3 when the deploy needs an approval, 4 to deny; `--json` prints the
decision (level, verdict, reasons, next allowed instant). Every check is written to the audit
log with the override that let it through, if any.

`override request|approve|revoke|list` run the two-person rule for emergencies; `audit
verify` checks the audit log's hash chain (exit 5 when broken); `export` writes the policy
for Argo CD, GitLab or GitHub Actions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import CATALOG_INT_MAX, By, actor, catalog_of, settings_of
from trousseau.cli.output import console
from trousseau.errors import InvalidValue

if TYPE_CHECKING:
    from trousseau.freeze import Decision, Interval, Ledger, Override, Policy
    from trousseau.freeze import ExportPlan as Plan
    from trousseau.settings import Settings

freeze_app = typer.Typer(
    help="Deploy protection: is a deploy allowed now, and when is it next.",
    no_args_is_help=True,
)

override_app = typer.Typer(
    help="Emergency overrides: one person requests, a second approves.", no_args_is_help=True
)
audit_app = typer.Typer(help="The protection audit log.", no_args_is_help=True)
freeze_app.add_typer(override_app, name="override")
freeze_app.add_typer(audit_app, name="audit")
export_app = typer.Typer(
    help="The policy for Argo CD, GitLab or GitHub Actions.", no_args_is_help=True
)
freeze_app.add_typer(export_app, name="export")

EXIT = {"allow": 0, "needs-approval": 3, "deny": 4}

FIRST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(9001, 1, 1, tzinfo=UTC)
"""The instants a command accepts: the policy is read for a year or more around one, and
Python's dates end at year 9999, so one near either end would overflow in the middle."""


def _ledger(settings: Settings) -> Ledger:
    from trousseau.clock import utc_now
    from trousseau.freeze import Ledger

    return Ledger(catalog_of(settings), utc_now)


def _duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        value, unit = float(text[:-1]), text[-1]
        return timedelta(seconds=value * units[unit])
    except (ValueError, KeyError, IndexError):
        raise InvalidValue(
            f"duration {text!r} is not a number with a unit s, m, h or d (like 90m or 2h)"
        ) from None
    except OverflowError:  # infinite, or past timedelta's 999,999,999 days
        raise InvalidValue(
            f"duration {text!r} is too long: give a finite one, like 90m or 2h"
        ) from None


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
    if not FIRST_INSTANT <= moment < LAST_INSTANT:
        raise InvalidValue(
            f"{what} {text!r} is out of range: give an instant from 1900-01-01 to 9000-12-31"
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
        "override": _override_json(d.override) if d.override else None,
    }


def _override_json(o: Override, now: datetime | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "id": o.id,
        "environment": o.environment,
        "service": o.service,
        "region": o.region,
        "reason": o.reason,
        "requested_by": o.requested_by,
        "requested_at": o.requested_at.isoformat(),
        "expires_at": o.expires_at.isoformat(),
        "approved_by": o.approved_by,
        "revoked_by": o.revoked_by,
    }
    if now is not None:
        body["state"] = o.state(now).value
    return body


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
    by: By = "",
) -> None:
    """Whether a deploy is allowed (exit 0), needs an approval (3) or is denied (4)."""
    from trousseau.freeze import HORIZON, decide

    moment = _instant(at, "--at")
    settings = settings_of(ctx)
    policy = _policy(settings, moment, moment + HORIZON)
    ledger = _ledger(settings)
    try:
        in_force = ledger.overrides()
        decision = decide(
            policy, moment, region=region, environment=env, service=service, overrides=in_force
        )
        ledger.record_decision(
            decision, environment=env, service=service, region=region, actor=actor(by)
        )
    finally:
        ledger.catalog.dispose()
    if as_json:
        console.print_json(json.dumps(_decision_json(decision)))
    else:
        nxt = decision.next_allowed.isoformat() if decision.next_allowed else "not within a year"
        console.print(
            f"{decision.verdict} ({decision.level.name.lower()}) at "
            f"{decision.at.isoformat()}; next allowed {nxt}",
            highlight=False,
        )
        if decision.override:
            o = decision.override
            console.print(
                f"  override {o.id}: {escape(o.reason)} (requested by {escape(o.requested_by)}, "
                f"approved by {escape(o.approved_by or '')}, until {o.expires_at.isoformat()})",
                highlight=False,
            )
        for reason in decision.reasons:
            console.print(f"  {reason.level.name.lower()}: {escape(reason.text)}", highlight=False)
    raise typer.Exit(EXIT[decision.verdict])


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
        why = escape("; ".join(r.text for r in p.reasons) or "-")
        console.print(
            f"{p.start.isoformat()}  {p.end.isoformat()}  {p.level.name.lower():8s}  {why}",
            highlight=False,
        )


# --- overrides ---------------------------------------------------------------------------


def _print_override(o: Override, now: datetime) -> None:
    scope = f"{o.environment}/{o.service}" + (f" in {o.region}" if o.region else "")
    who = f"requested by {o.requested_by}"
    if o.approved_by:
        who += f", approved by {o.approved_by}"
    if o.revoked_by:
        who += f", revoked by {o.revoked_by}"
    console.print(
        f"{o.id:>5}  {o.state(now).value:8s}  {escape(scope)}  until {o.expires_at.isoformat()}  "
        f"{escape(who)}: {escape(o.reason)}",
        highlight=False,
    )


@override_app.command("request")
def override_request(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", help="The one environment it lets through.")],
    service: Annotated[str, typer.Option("--service", help="The one service it lets through.")],
    reason: Annotated[str, typer.Option("--reason", help="What is broken, why it cannot wait.")],
    duration: Annotated[str, typer.Option("--for", help="How long, like 90m or 2h.")] = "1h",
    region: Annotated[str | None, typer.Option(help="One region (default: every region).")] = None,
    by: By = "",
) -> None:
    """Ask for an emergency override; a second person must approve it."""
    ledger = _ledger(settings_of(ctx))
    try:
        made = ledger.request(
            environment=env,
            service=service,
            region=region,
            reason=reason,
            requested_by=actor(by),
            duration=_duration(duration),
        )
    finally:
        ledger.catalog.dispose()
    console.print(
        f"override {made.id} requested by {escape(made.requested_by)}, pending until "
        f"{made.expires_at.isoformat()}: a second person approves it with "
        f"`trousseau freeze override approve {made.id}`",
        highlight=False,
    )


def _decide(ctx: typer.Context, override_id: int, by: str, approve: bool) -> Override:
    ledger = _ledger(settings_of(ctx))
    try:
        if approve:
            return ledger.approve(override_id, actor(by))
        return ledger.revoke(override_id, actor(by))
    finally:
        ledger.catalog.dispose()


OverrideNumber = Annotated[
    int, typer.Argument(help="The override's number.", min=1, max=CATALOG_INT_MAX)
]


@override_app.command("approve")
def override_approve(ctx: typer.Context, override_id: OverrideNumber, by: By = "") -> None:
    """Approve someone else's override (never your own)."""
    done = _decide(ctx, override_id, by, approve=True)
    console.print(
        f"override {done.id} approved by {escape(done.approved_by or '')}: "
        f"{escape(done.environment)}/{escape(done.service)} "
        f"may deploy until {done.expires_at.isoformat()}",
        highlight=False,
    )


@override_app.command("revoke")
def override_revoke(ctx: typer.Context, override_id: OverrideNumber, by: By = "") -> None:
    """Withdraw an override before it expires."""
    done = _decide(ctx, override_id, by, approve=False)
    console.print(f"override {done.id} revoked by {escape(done.revoked_by or '')}", highlight=False)


@override_app.command("list")
def override_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Overrides pending, in force, or ended within the last week."""
    ledger = _ledger(settings_of(ctx))
    try:
        found = ledger.overrides()
        now = ledger.clock()
    finally:
        ledger.catalog.dispose()
    if as_json:
        console.print_json(json.dumps([_override_json(o, now) for o in found]))
        return
    for o in found:
        _print_override(o, now)


# --- audit -------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: Annotated[
        str | None,
        typer.Option(help="The head hash kept elsewhere: also catches removed newest entries."),
    ] = None,
) -> None:
    """Check the audit log's hash chain; exit 5 naming the first broken entry."""
    from trousseau.errors import AuditBroken

    ledger = _ledger(settings_of(ctx))
    try:
        report = ledger.verify(expect_head)
    finally:
        ledger.catalog.dispose()
    if not report.holds:
        raise AuditBroken(f"the protection audit log is broken: {report.problem}")
    console.print(
        f"the audit log holds: {report.entries} entries, head {report.head}", highlight=False
    )


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    after: Annotated[
        int, typer.Option(help="Entries after this number.", min=0, max=CATALOG_INT_MAX)
    ] = 0,
    limit: Annotated[
        int, typer.Option(help="At most this many.", min=1, max=CATALOG_INT_MAX)
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The audit log's entries in order."""
    ledger = _ledger(settings_of(ctx))
    try:
        entries = ledger.entries(after=after, limit=limit)
    finally:
        ledger.catalog.dispose()
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "seq": e.seq,
                        "at": e.at.isoformat(),
                        "action": e.action.value,
                        "actor": e.actor,
                        "body": e.body,
                        "hash": e.hash,
                    }
                    for e in entries
                ]
            )
        )
        return
    for e in entries:
        console.print(
            f"{e.seq:>6}  {e.at.isoformat()}  {e.action.value:8s}  {escape(e.actor)}  "
            f"{escape(json.dumps(e.body, sort_keys=True))}",
            highlight=False,
        )


# --- exports -----------------------------------------------------------------------------

Regions = Annotated[
    list[str] | None,
    typer.Option("--region", help="A region (repeat for several; default: every region)."),
]
Horizon = Annotated[
    int,
    typer.Option(
        help="Days ahead, at most 365 (cron has no year).",
        min=1,
        max=36_500,  # past a calendar's reach: the export's own 365-day rule explains the rest
    ),
]


def _plans(
    ctx: typer.Context,
    regions: list[str] | None,
    env: str | None,
    service: str | None,
    start: str | None,
    days: int,
    floor: str,
    wall_clock_safe: bool,
) -> list[Plan]:
    from trousseau.freeze import Level
    from trousseau.freeze import export_plan as plan

    first = _instant(start, "--from")
    policy = _policy(settings_of(ctx), first, first + timedelta(days=days))
    try:
        level = Level[floor.upper()]
    except KeyError:
        raise InvalidValue(f"--level {floor!r} is not high or maximum") from None
    return [
        plan(
            policy,
            region,
            start=first,
            horizon=timedelta(days=days),
            environment=env,
            service=service,
            floor=level,
            wall_clock_safe=wall_clock_safe,
        )
        for region in (regions or policy.all_regions())
    ]


def _report(plans: list[Plan]) -> None:
    from trousseau.cli.output import errors

    until = min(p.valid_until for p in plans)
    errors.print(f"regenerate before {until.isoformat()}", highlight=False)
    for p in plans:
        for note in p.notes:
            errors.print(f"  {escape(p.region)}: {escape(note)}", highlight=False)


@export_app.command("argocd")
def export_argocd(
    ctx: typer.Context,
    project: Annotated[str, typer.Option(help="The AppProject's name.")],
    env: Annotated[str | None, typer.Option("--env")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    region: Regions = None,
    application: Annotated[
        list[str] | None, typer.Option(help="Applications the windows apply to (default *).")
    ] = None,
    namespace: Annotated[str, typer.Option(help="Argo CD's namespace.")] = "argocd",
    start: Annotated[str | None, typer.Option("--from", help="Start (default: now).")] = None,
    horizon: Horizon = 365,
) -> None:
    """An AppProject whose syncWindows deny syncs when trousseau does (HIGH: manual only)."""
    import yaml

    from trousseau.freeze import argocd_project

    plans = _plans(ctx, region, env, service, start, horizon, "high", True)
    doc = argocd_project(
        plans, project=project, namespace=namespace, applications=application or ["*"]
    )
    typer.echo(yaml.safe_dump(doc, sort_keys=False), nl=False)
    _report(plans)


@export_app.command("gitlab")
def export_gitlab(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    region: Regions = None,
    level: Annotated[
        str, typer.Option("--level", help="Freeze from this level: high or maximum.")
    ] = "high",
    start: Annotated[str | None, typer.Option("--from", help="Start (default: now).")] = None,
    horizon: Horizon = 365,
) -> None:
    """GitLab deploy freeze periods (JSON, as its API takes them)."""
    from trousseau.freeze import gitlab_document

    plans = _plans(ctx, region, env, service, start, horizon, level, False)
    typer.echo(json.dumps(gitlab_document(plans), indent=2))
    _report(plans)


@export_app.command("github")
def export_github(
    env: Annotated[str, typer.Option("--env")],
    service: Annotated[str, typer.Option("--service")],
    region: Annotated[str | None, typer.Option("--region")] = None,
) -> None:
    """A GitHub Actions step running the gate when the job runs (nothing to regenerate)."""
    import yaml

    from trousseau.freeze import github_step

    step = github_step(environment=env, service=service, region=region)
    typer.echo(yaml.safe_dump([step], sort_keys=False), nl=False)
