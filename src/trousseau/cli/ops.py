"""`trousseau ops`: wedding-day operations. `ops emergency on|off|status` runs the emergency
switch (a raised worker floor, MAXIMUM protection, standard work paused; recorded)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import By, actor, catalog_of, settings_of, write_or_print
from trousseau.cli.output import console

ops_app = typer.Typer(
    help="Wedding-day operations: alert rules, the emergency switch.", no_args_is_help=True
)
emergency_app = typer.Typer(help="The emergency switch.", no_args_is_help=True)
ops_app.add_typer(emergency_app, name="emergency")


@emergency_app.command("on")
def emergency_on(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="What is happening.")],
    hours: Annotated[
        float | None, typer.Option(help="How long (default: ops.emergency_hours, 6).")
    ] = None,
    by: By = "",
) -> None:
    """Raise the worker floor, deny deploys everywhere, pause standard work."""
    from trousseau.ops import switch_on

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    try:
        made = switch_on(
            catalog,
            reason=reason,
            by=actor(by),
            now=datetime.now(UTC),
            hours=hours or settings.ops.emergency_hours,
            floor=settings.planning.emergency_floor,
            paused_slas=settings.ops.emergency_paused_slas,
        )
    finally:
        catalog.dispose()
    console.print(
        f"emergency on until {made.until.isoformat()}: at least {made.floor} workers, deploys "
        f"denied, {escape(', '.join(made.paused_slas) or 'no')} work paused",
        highlight=False,
    )


@emergency_app.command("off")
def emergency_off(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="Why it can end.")] = "",
    by: By = "",
) -> None:
    """Turn the emergency switch off before it expires."""
    from trousseau.ops import switch_off

    catalog = catalog_of(settings_of(ctx))
    try:
        done = switch_off(catalog, by=actor(by), reason=reason, now=datetime.now(UTC))
    finally:
        catalog.dispose()
    console.print(f"emergency {done.id} off (by {escape(done.ended_by or '')})", highlight=False)


@emergency_app.command("status")
def emergency_status(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Whether the emergency switch is on, by whom, why, until when."""
    from trousseau.ops import switch_status

    catalog = catalog_of(settings_of(ctx))
    try:
        current = switch_status(catalog, now=datetime.now(UTC))
    finally:
        catalog.dispose()
    body = (
        None
        if current is None
        else {
            "id": current.id,
            "by": current.started_by,
            "reason": current.reason,
            "since": current.started_at.isoformat(),
            "until": current.until.isoformat(),
            "floor": current.floor,
            "paused_slas": list(current.paused_slas),
        }
    )
    if as_json:
        console.print_json(json.dumps({"on": current is not None, "emergency": body}))
    elif body is None:
        console.print("the emergency switch is off")
    else:
        console.print(
            f"emergency on since {body['since']} until {body['until']} by "
            f"{escape(str(body['by']))}: {escape(str(body['reason']))}",
            highlight=False,
        )


@ops_app.command("rules")
def rules_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the rule file here (default: stdout).")
    ] = None,
) -> None:
    """The Prometheus alert rules, thresholds tightened at HIGH and MAXIMUM protection."""
    from trousseau.ops import rules_yaml, thresholds_from

    write_or_print(rules_yaml(thresholds_from(settings_of(ctx))), out)


@ops_app.command("routes")
def routes_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the config here (default: stdout).")
    ] = None,
) -> None:
    """The Alertmanager configuration: routes per severity, escalation by time, inhibitions,
    receivers from ops.receivers (secrets as file references)."""
    from trousseau.ops import alertmanager_yaml

    ops = settings_of(ctx).ops
    write_or_print(alertmanager_yaml(ops.receivers, ops.escalation_minutes), out)


@ops_app.command("readiness")
def readiness_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Option("--date", help="The wedding day (YYYY-MM-DD, UTC).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Is the platform ready for the day's weddings: capacity, workers, backups, storage,
    alert routes. Exits 0 when ready, 3 when not (for CI or cron)."""
    from datetime import date as date_type

    from trousseau.errors import InvalidValue
    from trousseau.ops import assess, gather

    try:
        when = date_type.fromisoformat(day)
    except ValueError:
        raise InvalidValue(f"--date {day!r} is not a date YYYY-MM-DD") from None
    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    try:
        result = assess(gather(settings, catalog, when, datetime.now(UTC)))
    finally:
        catalog.dispose()
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "date": when.isoformat(),
                    "ready": result.ready,
                    "checks": [
                        {"name": c.name, "status": c.status.value, "detail": c.detail}
                        for c in result.checks
                    ],
                }
            )
        )
    else:
        console.print(
            f"{when.isoformat()}: {'ready' if result.ready else 'NOT ready'}", highlight=False
        )
        for c in result.checks:
            console.print(
                f"  {c.status.value:4s}  {escape(c.name)}: {escape(c.detail)}", highlight=False
            )
    raise typer.Exit(0 if result.ready else 3)
