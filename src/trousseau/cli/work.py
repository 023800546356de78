"""`trousseau work`: run the worker pool."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from trousseau.cli.context import catalog_of, settings_of
from trousseau.cli.output import console, errors
from trousseau.jobserver import start_job_server, stop_job_server


def work(
    ctx: typer.Context,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-n", min=0, help="Job processes (default: settings, one per core)."
        ),
    ] = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit once no job is queued or running.")
    ] = False,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Claim jobs in deadline-ordered batches and render each batch together in "
            "this process (jobs.batch_size, jobs.batch_wait_ms): the mode for a GPU.",
        ),
    ] = False,
    gpu: Annotated[
        bool,
        typer.Option("--gpu", help="--batch on the GPU backend; fails if no GPU is usable."),
    ] = False,
) -> None:
    """Claim jobs earliest-deadline-first and run them until stopped (SIGTERM or Ctrl-C).

    The first signal stops claiming and lets running jobs finish (within the grace period);
    a second one stops at once. Unfinished jobs go back to the queue either way.
    """
    settings = settings_of(ctx)
    if gpu:
        settings = _on_gpu(settings)
    size = settings.workers if workers is None else workers
    start = "spawn"
    if not (gpu or batch) and size > 0:  # job processes: their server imports meanwhile
        start = start_job_server(settings.jobs.kind_modules)

    from trousseau.jobs import BatchPool, PoolMode, build_worker

    mode = PoolMode.GPU if gpu else PoolMode.BATCH if batch else PoolMode.PROCESS
    catalog = catalog_of(settings)
    worker = build_worker(settings, catalog, mode=mode, processes=size, start_method=start)
    pool = worker.pool

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
    until = "until idle" if until_idle else "until stopped"
    if isinstance(pool, BatchPool):
        from trousseau.imaging import backend_choice

        console.print(
            f"worker {worker.owner}: batches of up to {pool.policy.size} in this process, "
            f"imaging backend {backend_choice(settings.imaging).describe()}, {until}",
            markup=False,
        )
    else:
        console.print(f"worker {worker.owner}: {max(size, 1)} job process(es), {until}")
    try:
        stats = worker.run(until_idle=until_idle)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        catalog.dispose()
        if start == "forkserver":
            stop_job_server()
    console.print(
        f"done {stats.done}, retried {stats.retried}, dead {stats.dead}, "
        f"released {stats.released}, requeued after lost workers {stats.reaped}, "
        f"recovered at once from dead processes here {stats.recovered}"
    )


def _on_gpu(settings: Any) -> Any:
    """`settings` with imaging.backend = gpu, refused at once (SettingsError) without a GPU."""
    from trousseau.errors import SettingsError
    from trousseau.imaging import backend_choice

    imaging = settings.imaging.model_copy(update={"backend": "gpu"})
    choice = backend_choice(imaging)
    if not choice.usable:
        raise SettingsError(
            f"--gpu: this machine cannot use a GPU: {choice.reason}; "
            "run `trousseau work --batch` to batch on the CPU, or drop --gpu"
        )
    return settings.model_copy(update={"imaging": imaging})
