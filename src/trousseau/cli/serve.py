"""`trousseau serve`: the HTTP API, with the job worker beside it unless told otherwise."""

from __future__ import annotations

from typing import Annotated

import typer

from trousseau.cli.context import settings_of


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: web.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: web.port, 8000).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-n",
            min=0,
            help="Job processes, as for `trousseau work` (default: settings, one per core).",
        ),
    ] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve only; run `trousseau work` elsewhere.")
    ] = False,
    http_workers: Annotated[
        int, typer.Option(min=1, help="HTTP processes (scale with replicas rather than this).")
    ] = 1,
    log_level: Annotated[
        str, typer.Option(help="debug, info, warning or error (JSON lines on stderr).")
    ] = "info",
) -> None:
    """Serve the HTTP API (/api/v1, /healthz, /readyz, /metrics) and process jobs.

    SIGTERM or Ctrl-C finishes the requests in flight and the running jobs (within the grace
    period), then exits; a second signal stops at once. Unfinished jobs go back to the queue.
    """
    from trousseau.web import serve as run_server  # imported here: the web stack loads slowly
    from trousseau.web import web_config

    settings = settings_of(ctx)
    config = web_config(settings)
    run_server(
        settings,
        host=host or config.host,
        port=port or config.port,
        job_processes=None if no_worker else (settings.workers if workers is None else workers),
        http_workers=http_workers,
        log_level=log_level,
    )
