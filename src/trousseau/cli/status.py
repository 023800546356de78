"""`trousseau status`: the queue against its deadlines, at a glance or as JSON.

Like every command module, this one imports at the top only what its signature needs (typer,
the standard library): `--help` and the other commands load none of its dependencies.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

import typer

from trousseau.cli.context import catalog_of, settings_of
from trousseau.cli.output import console
from trousseau.clock import utc_now


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Jobs by state and SLA class, the oldest open deadline, late jobs, photos by state,
    and the live workers (a heartbeat within one lease length) and how many are busy."""
    from rich.markup import escape
    from rich.table import Table

    from trousseau.catalog import count_photos_by_state
    from trousseau.imaging import backend_choice
    from trousseau.jobs import JobState, operations_report

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    now = utc_now()
    try:
        window = timedelta(seconds=settings.jobs.lease_seconds)
        with catalog.begin() as conn:
            ops = operations_report(conn, now=now, live_within=window)
            photos = count_photos_by_state(conn)
    finally:
        catalog.dispose()
    q = ops.queue
    slas = sorted({sla for _, sla in q.by_state_sla} | set(settings.sla_classes))
    imaging = backend_choice(settings.imaging)
    report: dict[str, Any] = {
        "now": now.isoformat(),
        "catalog": catalog.url,
        "jobs": {
            state: {sla: q.by_state_sla.get((state, sla), 0) for sla in slas} for state in JobState
        },
        "oldest_open_deadline": q.oldest_deadline.isoformat() if q.oldest_deadline else None,
        "late": {"overdue_open": q.overdue, "finished_late": q.finished_late},
        "photos": photos,
        "workers": {
            "live": ops.live,
            "busy": ops.busy,
            "orphaned_jobs": ops.orphaned,
            "live_within_seconds": window.total_seconds(),
            "list": [
                {
                    "owner": load.worker.owner,
                    "host": load.worker.host,
                    "pid": load.worker.pid,
                    "mode": load.worker.mode,
                    "slots": load.worker.slots,
                    "running": load.running,
                    "started_at": load.worker.started_at.isoformat(),
                    "last_seen_at": load.worker.last_seen_at.isoformat(),
                    "seen_seconds_ago": round(load.worker.seen_ago(now).total_seconds(), 1),
                }
                for load in ops.workers
            ],
        },
        "imaging_backend": {
            "setting": imaging.setting,
            "chosen": imaging.name,
            "usable": imaging.usable,
            "reason": imaging.reason,
        },
    }
    if as_json:
        console.print_json(json.dumps(report))
        return
    table = Table(title="jobs by state and SLA class")
    table.add_column("state")
    for sla in slas:
        table.add_column(sla, justify="right")
    table.add_column("total", justify="right")
    for state in JobState:
        row = [q.by_state_sla.get((state, sla), 0) for sla in slas]
        table.add_row(state, *map(str, row), str(sum(row)))
    console.print(table)
    if q.oldest_deadline is None:
        console.print("no open jobs")
    else:
        slack = (q.oldest_deadline - now).total_seconds() / 60
        word = "left" if slack >= 0 else "LATE"
        console.print(
            f"oldest open deadline {q.oldest_deadline:%Y-%m-%d %H:%M:%S} UTC "
            f"({abs(slack):.1f} min {word})"
        )
    late_style = "bold red" if q.overdue else "green"
    console.print(
        f"[{late_style}]late: {q.overdue} open past deadline[/], "
        f"{q.finished_late} finished after deadline"
    )
    worker_style = "bold red" if not ops.live and q.oldest_deadline is not None else "green"
    console.print(f"[{worker_style}]workers: {ops.live} live[/], {ops.busy} busy")
    if ops.orphaned:
        console.print(
            f"[yellow]{ops.orphaned} running job(s) held by workers that are gone[/] "
            "(back in the queue when their leases expire)"
        )
    for load in ops.workers:
        w = load.worker
        console.print(
            f"  {escape(w.owner)}: {escape(w.mode)}, {w.slots} slot(s), "
            f"{load.running} running, "
            f"seen {w.seen_ago(now).total_seconds():.0f} s ago",
            highlight=False,
        )
    console.print("photos: " + (", ".join(f"{n} {s}" for s, n in sorted(photos.items())) or "none"))
    line = escape(imaging.describe())
    console.print(f"imaging backend: {line if imaging.usable else f'[bold red]{line}[/]'}")
