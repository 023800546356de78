"""The server job processes fork from, started as `work` and `ingest --work` begin.

Spawned job processes each import trousseau again (~0.45 s) after the command has imported
it; started first, the server imports it while the command does, and each job process is
then forked from it ready to run (`jobs.ProcessPool(start_method="forkserver")`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
from collections.abc import Sequence


def start_job_server(kind_modules: Sequence[str]) -> str:
    """Start the job-process server now; the start method for the process pool ("spawn"
    where the platform has no forkserver)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    multiprocessing.set_forkserver_preload(["trousseau.jobs.pool", *kind_modules])
    multiprocessing.forkserver.ensure_running()
    return "forkserver"


def stop_job_server() -> None:
    """Stop the server and wait for it, as the command ends: the job processes' CPU time is
    then the command's (a parent that exits first leaves the server and its job processes
    unaccounted for by `time` and rusage), and no server outlives the command by a moment.
    """
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is None:
        return
    with contextlib.suppress(OSError):
        stop()
