"""`trousseau plan`: the forecast and capacity plan from the wedding calendar, the KEDA
ScaledObject that carries it, and the simulator that compares scaling policies.

The calendar is a CSV or iCalendar file (`--calendar`), else the catalog's weddings.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of
from trousseau.cli.output import console, errors
from trousseau.errors import InvalidValue

if TYPE_CHECKING:
    from trousseau.planning import Comparison, Planned, PlannedWedding
    from trousseau.settings import Settings

plan_app = typer.Typer(
    help="Capacity from the wedding calendar: forecast, plan, KEDA, simulation.",
    no_args_is_help=True,
)

Calendar = Annotated[
    Path | None,
    typer.Option("--calendar", help="A CSV or .ics calendar (default: the catalog's weddings)."),
]


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)
"""The days a plan may name. The plan reads a day or two around its range (and a month for
`sample`); Python's dates stop at years 1 and 9999, so a day near either end would overflow."""


def _day(text: str, what: str) -> datetime:
    """`text` (YYYY-MM-DD) as midnight UTC; `what` (the option) names it in an error."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{what} {text!r} is not a date YYYY-MM-DD") from None
    _within(day, f"{what} {text!r}")
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _within(day: date, what: str) -> None:
    """Refuse `day` outside FIRST_DAY..LAST_DAY, naming it as `what`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue(f"{what} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}")


def _weddings(
    settings: Settings, calendar: Path | None, start: datetime, end: datetime
) -> list[PlannedWedding]:
    from trousseau.planning import catalog_calendar, read_calendar

    if calendar is not None:
        return read_calendar(calendar, slas=settings.sla_classes, default_sla=settings.default_sla)
    catalog = catalog_of(settings)
    try:
        return catalog_calendar(catalog, start, end)
    finally:
        catalog.dispose()


def _plan(
    settings: Settings, weddings: list[PlannedWedding], start: datetime, end: datetime
) -> Planned:
    from trousseau.planning import plan_with_settings

    return plan_with_settings(settings, weddings, start, end)


@plan_app.command("show")
def show_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Option("--date", help="The UTC day (YYYY-MM-DD).")],
    calendar: Calendar = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The forecast and the plan per hour: photos per region (plan percentile), workers."""
    settings = settings_of(ctx)
    start = _day(day, "--date")
    end = start + timedelta(days=1)
    planned = _plan(settings, _weddings(settings, calendar, start, end), start, end)
    grid, fc = planned.grid, planned.forecast
    per_hour = int(3600 // grid.seconds)
    rows: list[dict[str, Any]] = []
    for h in range(grid.count // per_hour):
        cut = slice(h * per_hour, (h + 1) * per_hour)
        rows.append(
            {
                "hour": grid.at(h * per_hour).isoformat(),
                "photos": {r: round(float(fc.band(r)[cut].sum())) for r in fc.regions},
                "workers": int(planned.capacity.replicas[cut].max()),
                "floor": int(planned.floor[cut].max()),
            }
        )
    p = settings.planning
    over = planned.over_cap(p.price_per_hour, p.hourly_cost_cap)
    for at, cost in over:
        errors.print(
            f"warning: the plan for {at.isoformat()} costs {cost:.2f} an hour, above "
            f"planning.hourly_cost_cap ({p.hourly_cost_cap:.2f})",
            highlight=False,
            soft_wrap=True,
        )
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "percentile": fc.percentile,
                    "regions": list(fc.regions),
                    "hours": rows,
                    "over_cost_cap": [at.isoformat() for at, _ in over],
                }
            )
        )
        return
    console.print(
        f"plan for {day} (UTC), photos at the {fc.percentile:.0%} band, "
        f"{planned.capacity.worker_hours:.1f} worker-hours",
        highlight=False,
    )
    for row in rows:
        photos = ", ".join(f"{r} {n}" for r, n in row["photos"].items() if n)
        console.print(
            f"{row['hour'][11:16]}  workers {row['workers']:>3}  floor {row['floor']:>3}  "
            f"{photos or '-'}",
            highlight=False,
        )


@plan_app.command("k8s")
def k8s_command(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First UTC day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Day after the last (YYYY-MM-DD).")],
    calendar: Calendar = None,
    name: Annotated[str, typer.Option(help="The ScaledObject's name.")] = "trousseau-worker",
    namespace: Annotated[str, typer.Option(help="Its namespace.")] = "trousseau",
    deployment: Annotated[str, typer.Option(help="The worker Deployment.")] = "trousseau-worker",
) -> None:
    """A KEDA ScaledObject: the plan's floor as cron triggers, the EDF queue trigger."""
    import yaml

    from trousseau.jobs import edf_workers_sql
    from trousseau.planning import load_factors, scaled_object

    settings = settings_of(ctx)
    first, last = _day(start, "--from"), _day(end, "--to")
    planned = _plan(settings, _weddings(settings, calendar, first, last), first, last)
    factors = load_factors(settings.planning.factors)
    doc = scaled_object(
        planned.grid,
        planned.floor,
        now=datetime.now(UTC),
        name=name,
        namespace=namespace,
        deployment=deployment,
        min_replicas=settings.planning.min_replicas,
        max_replicas=settings.planning.max_replicas,
        query=edf_workers_sql(seconds_per_job=factors.seconds_per_photo),
    )
    typer.echo(yaml.safe_dump(doc, sort_keys=False), nl=False)
    errors.print(f"regenerate before {planned.grid.end.isoformat()}", highlight=False)


@plan_app.command("sample")
def sample_command(
    month: Annotated[str, typer.Option(help="The month's first day (YYYY-MM-DD).")],
    seed: Annotated[int, typer.Option(help="The generator's seed.")] = 1,
) -> None:
    """A generated peak-season month of weddings as CSV (for `plan simulate`)."""
    import numpy as np

    from trousseau.planning import peak_month, to_csv

    first = _day(month, "--month").date()
    typer.echo(to_csv(peak_month(first, rng=np.random.default_rng(seed))), nl=False)


@plan_app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    calendar: Annotated[Path, typer.Option("--calendar", help="A CSV or .ics calendar.")],
    start: Annotated[str | None, typer.Option("--from", help="First UTC day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Day after the last.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated month.")] = 1,
    failures: Annotated[float, typer.Option(help="Worker failures per worker-hour.")] = 0.02,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the busiest day to this PNG.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Simulate the calendar under the fixed, reactive and predictive policies, against the
    clairvoyant plan."""
    from trousseau.planning import Cluster, compare_policies, load_factors, read_calendar

    settings = settings_of(ctx)
    p = settings.planning
    weddings = read_calendar(calendar, slas=settings.sla_classes, default_sla=settings.default_sla)
    if not weddings:
        raise InvalidValue(f"the calendar {calendar} holds no wedding")
    for w in weddings:
        _within(w.date, f"the wedding {w.ref!r} of {calendar} on {w.date}")
    first = _day(start, "--from") if start else _day(min(w.date for w in weddings).isoformat(), "")
    last = (
        _day(end, "--to")
        if end
        else _day((max(w.date for w in weddings) + timedelta(days=2)).isoformat(), "")
    )
    cluster = Cluster(
        min_replicas=p.min_replicas,
        max_replicas=p.max_replicas,
        failures_per_hour=failures,
        price_per_hour=p.price_per_hour,
    )
    result = compare_policies(
        weddings, load_factors(p.factors), settings.sla_classes, first, last, seed=seed,
        cluster=cluster, slot=timedelta(minutes=p.slot_minutes), trace=plot is not None,
    )  # fmt: skip
    if plot is not None:
        from trousseau.planning import plot_busiest_day

        plot_busiest_day(result, plot)
        errors.print(f"drew the busiest day to {escape(str(plot))}", highlight=False)
    if as_json:
        console.print_json(json.dumps(comparison_json(result)))
        return
    console.print(
        f"{len(weddings)} weddings, {sum(result.photos.values()):,} photos, "
        f"{result.work_hours:.0f} worker-hours of work",
        highlight=False,
    )
    for o in result.outcomes:
        console.print(
            f"{o.name:12s} same-day {o.met.get('same-day', 1):.4%}  next-day "
            f"{o.met.get('next-day', 1):.4%}  p99 late {o.p99_lateness_s:.0f} s  "
            f"{o.worker_hours:,.0f} worker-hours  cost {o.cost:,.2f}",
            highlight=False,
        )


def comparison_json(result: Comparison) -> dict[str, object]:
    return {
        "photos": result.photos,
        "work_hours": result.work_hours,
        "policies": [
            {
                "name": o.name,
                "same_day_met": o.met.get("same-day", 1.0),
                "next_day_met": o.met.get("next-day", 1.0),
                "met": o.met,
                "misses": o.misses,
                "p99_lateness_s": o.p99_lateness_s,
                "worker_hours": o.worker_hours,
                "cost": o.cost,
            }
            for o in result.outcomes
        ],
    }


@plan_app.command("calibrate")
def calibrate_command(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First UTC day of the history.")],
    end: Annotated[str, typer.Option("--to", help="Day after its last.")],
    write: Annotated[
        Path | None, typer.Option("--write", help="Keep the calibrated factors in this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Fit the arrival profile and photos per guest on the catalog's past weddings; report
    the forecast's error on held-out weddings before and after."""
    from trousseau.planning import calibrate_factors, catalog_history, factors_to_toml, load_factors

    settings = settings_of(ctx)
    first, last = _day(start, "--from"), _day(end, "--to")
    catalog = catalog_of(settings)
    try:
        history = catalog_history(catalog, first, last)
    finally:
        catalog.dispose()
    result = calibrate_factors(history, load_factors(settings.planning.factors))
    if write is not None:
        write.write_text(factors_to_toml(result.factors), encoding="utf-8")
    body = {
        "fitted": result.fitted,
        "held_out": result.held_out,
        "error_before": result.error_before,
        "error_after": result.error_after,
        "photos_per_guest": result.factors.photos_per_guest,
    }
    if as_json:
        console.print_json(json.dumps(body))
        return
    console.print(
        f"fitted on {result.fitted} weddings, held out {result.held_out}: hourly error "
        f"{result.error_before:.1%} before, {result.error_after:.1%} after"
        + (f"; written to {escape(str(write))}" if write else ""),
        highlight=False,
    )
