"""Serving: uvicorn in front of the app, and the job worker beside it, stopped together.

`trousseau serve` is one command that accepts uploads and renders them: uvicorn serves the
app while a job worker (the same Worker and process pool as `trousseau work`) runs in a
background thread of the same process. The first SIGTERM or SIGINT stops both gracefully at
once — uvicorn stops accepting connections and finishes the requests in flight, the worker
stops claiming and lets running jobs finish within the grace period, releasing the rest; a
second signal stops both now. With several HTTP processes, uvicorn's supervisor owns them
and the worker runs once, in the supervisor's process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from trousseau.clock import Clock, utc_now
from trousseau.jobs import BackgroundWorker
from trousseau.settings import Settings
from trousseau.web.app import app_from_environment, create_app
from trousseau.web.logs import configure_logging

log = logging.getLogger("trousseau.web.server")

_LOG_LEVEL_VARIABLE = "TROUSSEAU_SERVE_LOG_LEVEL"


@dataclass
class _Shutdown:
    """What a stop signal does: first graceful, second immediate, for server and worker."""

    runner: BackgroundWorker | None
    signals: int = 0

    def __call__(self, signum: int) -> bool:
        """Record one signal; True when it is the second (stop now)."""
        self.signals += 1
        now = self.signals > 1
        log.info(
            "%s: %s",
            signal.Signals(signum).name,
            "stopping now" if now else "finishing requests and running jobs, then stopping",
        )
        if self.runner is not None:
            self.runner.stop(now=now)
        return now


class _Server(uvicorn.Server):
    """uvicorn's server, whose stop signals also stop the job worker."""

    def __init__(self, config: uvicorn.Config, shutdown: _Shutdown) -> None:
        super().__init__(config)
        self._shutdown = shutdown

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.should_exit = True
        if self._shutdown(signum):
            self.force_exit = True


class _Supervisor(Multiprocess):
    """uvicorn's multi-process supervisor, whose stop signals also stop the job worker."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], shutdown: _Shutdown):
        super().__init__(config, sockets)
        self._shutdown = shutdown

    def handle_int(self) -> None:
        self._shutdown(signal.SIGINT)
        super().handle_int()

    def handle_term(self) -> None:
        self._shutdown(signal.SIGTERM)
        super().handle_term()


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    job_processes: int | None,
    http_workers: int = 1,
    log_level: str = "info",
    clock: Clock = utc_now,
) -> None:
    """Serve the API (and run the job worker unless `job_processes` is None) until stopped."""
    configure_logging(log_level)
    runner = None if job_processes is None else BackgroundWorker(settings, processes=job_processes)
    shutdown = _Shutdown(runner)
    grace = settings.jobs.shutdown_grace_seconds
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": max(1, int(grace)),
    }
    try:
        if http_workers <= 1:
            server = _Server(uvicorn.Config(create_app(settings, clock=clock), **options), shutdown)
            if runner is not None:
                runner.start()
            server.run()
        else:
            _export(settings, log_level)
            config = uvicorn.Config(
                f"{__name__}:worker_app", factory=True, workers=http_workers, **options
            )
            supervisor = _Supervisor(config, [config.bind_socket()], shutdown)
            if runner is not None:
                runner.start()
            supervisor.run()
    finally:
        if runner is not None:
            runner.stop()
            if not runner.join(grace + 5):
                runner.stop(now=True)
                runner.join(10)


def _export(settings: Settings, log_level: str) -> None:
    """Hand the resolved settings to the HTTP processes, which read them from the environment."""
    os.environ["TROUSSEAU_DATA_DIR"] = str(settings.data_dir)
    os.environ["TROUSSEAU_CATALOG_URL"] = settings.catalog_url
    os.environ["TROUSSEAU_VAULT_URL"] = settings.vault_url
    os.environ[_LOG_LEVEL_VARIABLE] = log_level


def worker_app() -> Any:
    """The app of one HTTP process started by the supervisor (uvicorn factory)."""
    configure_logging(os.environ.get(_LOG_LEVEL_VARIABLE, "info"))
    return app_from_environment()
