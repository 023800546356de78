"""`trousseau work`: run the worker pool."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from trousseau.cli.app import app, console, errors
from trousseau.cli.context import catalog_of, settings_of
from trousseau.jobs import InlinePool, ProcessPool, Worker, listener_for

KIND_MODULES = ("trousseau.kinds",)


@app.command()
def work(
    ctx: typer.Context,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-n", help="Job processes (default: settings, one per core)."),
    ] = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit once no job is queued or running.")
    ] = False,
) -> None:
    """Claim jobs earliest-deadline-first and run them until stopped (SIGTERM or Ctrl-C).

    The first signal stops claiming and lets running jobs finish (within the grace period);
    a second one stops at once. Unfinished jobs go back to the queue either way.
    """
    settings = settings_of(ctx)
    size = settings.workers if workers is None else workers
    catalog = catalog_of(settings)
    pool: Any = (
        InlinePool(settings, KIND_MODULES)
        if size == 0
        else ProcessPool(
            size, settings, KIND_MODULES, job_timeout_seconds=settings.jobs.timeout_seconds
        )
    )
    worker = Worker(catalog, pool, settings.jobs, listener=listener_for(catalog))

    def on_signal(signum: int, _frame: object) -> None:
        if worker.stopping:
            errors.print("stopping now; unfinished jobs are released to the queue")
            worker.stop(now=True)
        else:
            errors.print(
                f"{signal.Signals(signum).name}: finishing running jobs "
                f"(up to {settings.jobs.shutdown_grace_seconds:g} s); signal again to stop now"
            )
            worker.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    mode = "until idle" if until_idle else "until stopped"
    console.print(f"worker {worker.owner}: {max(size, 1)} job process(es), {mode}")
    try:
        stats = worker.run(until_idle=until_idle)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        catalog.dispose()
    console.print(
        f"done {stats.done}, retried {stats.retried}, dead {stats.dead}, "
        f"released {stats.released}, requeued after lost workers {stats.reaped}"
    )
