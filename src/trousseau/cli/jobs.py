"""`trousseau jobs list|retry|dead`: look into the queue and revive dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import CATALOG_INT_MAX, catalog_of, settings_of
from trousseau.cli.output import console
from trousseau.clock import utc_now
from trousseau.errors import SettingsError

if TYPE_CHECKING:
    from rich.table import Table

    from trousseau.jobs import JobRow

jobs_app = typer.Typer(help="Inspect and retry jobs.", no_args_is_help=True)


def _table(rows: Sequence[JobRow], *, with_error: bool) -> Table:
    from rich.table import Table

    table = Table()
    for name in ("id", "kind", "sla", "state", "deadline (UTC)", "attempts", "payload"):
        table.add_column(name)
    if with_error:
        table.add_column("last error", overflow="fold")
    for r in rows:
        cells = [
            str(r.id),
            escape(r.kind),
            escape(r.sla),
            r.state,
            f"{r.deadline:%Y-%m-%d %H:%M:%S}",
            f"{r.attempts}/{r.max_attempts}",
            escape(str(r.payload)),
        ]
        if with_error:
            cells.append(escape(r.last_error.splitlines()[0]) if r.last_error else "")
        table.add_row(*cells)
    return table


@jobs_app.command("list")
def list_command(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="queued, running, done or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=CATALOG_INT_MAX)] = 50,
) -> None:
    """Jobs, open ones by deadline."""
    from trousseau.jobs import JobState, list_jobs

    if state is not None and state not in tuple(JobState):
        known = ", ".join(JobState)
        raise SettingsError(f"unknown job state {state!r}: use one of {known}")
    catalog = catalog_of(settings_of(ctx))
    try:
        with catalog.begin() as conn:
            rows = list_jobs(conn, state=state, limit=limit)
    finally:
        catalog.dispose()
    console.print(_table(rows, with_error=state == JobState.DEAD))


@jobs_app.command("dead")
def dead_command(
    ctx: typer.Context, limit: Annotated[int, typer.Option(min=1, max=CATALOG_INT_MAX)] = 50
) -> None:
    """Dead-letter jobs with the whole error that put them there."""
    from trousseau.jobs import JobState, list_jobs

    catalog = catalog_of(settings_of(ctx))
    try:
        with catalog.begin() as conn:
            rows = list_jobs(conn, state=JobState.DEAD, limit=limit)
    finally:
        catalog.dispose()
    if not rows:
        console.print("no dead jobs")
        return
    for r in rows:
        console.print(
            f"[bold]job {r.id}[/] {escape(r.kind)} {escape(str(r.payload))} — {escape(r.sla)}, due "
            f"{r.deadline:%Y-%m-%d %H:%M:%S} UTC, {r.attempts}/{r.max_attempts} attempts",
            highlight=False,
        )
        for line in (r.last_error or "no error recorded").splitlines():
            console.print(f"    {line}", highlight=False, markup=False)
    console.print(f"{len(rows)} dead job(s): fix the cause, then `trousseau jobs retry ID…`")


@jobs_app.command("retry")
def retry_command(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Dead job ids.", min=1, max=CATALOG_INT_MAX)
    ] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Retry every dead job.")] = False,
) -> None:
    """Send dead jobs back to the queue with fresh attempts."""
    from trousseau.jobs import retry

    if not ids and not all_dead:
        raise SettingsError("name the dead job ids to retry, or pass --all")
    catalog = catalog_of(settings_of(ctx))
    try:
        with catalog.begin() as conn:
            n = retry(conn, None if all_dead else ids, now=utc_now())
    finally:
        catalog.dispose()
    console.print(f"{n} job(s) queued again")
