"""The server job processes fork from, started as `work` and `ingest --work` begin.

Spawned job processes each import trousseau again (~0.45 s) after the command has imported
it; started first, the server imports it while the command does, and each job process is
then forked from it ready to run (`jobs.ProcessPool(start_method="forkserver")`).

This module imports nothing of trousseau, and multiprocessing only to start or stop the
server: `python -m trousseau` and the `trousseau` script ask it first (`start_if_asked`),
which starts the server 0.3 s sooner than the command could, measured on `work
--until-idle`, and costs a command that needs no server nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

PRELOAD = ("trousseau.jobs.pool", "trousseau.kinds.variants")
"""What job processes need before their first job: the queue's execution and the catalog,
and the kind nearly every job is (libvips, the vault), imported once for all of them."""

SERVER_MODULE = "trousseau.jobs.server"
SERVER_MARK = "TROUSSEAU_JOB_SERVER"
"""Set in the environment the server starts with (`jobs.server` reads and removes it)."""

_VALUED = frozenset({"--data-dir", "--catalog-url", "--vault-url"})
"""The command line's global options that take a value (`cli.app`)."""


def start_job_server(kind_modules: Sequence[str] = ()) -> str:
    """Start the job-process server now, or find it started; the start method for the process
    pool ("spawn" where the platform has no forkserver)."""
    import multiprocessing
    import multiprocessing.forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    multiprocessing.set_forkserver_preload([*PRELOAD, SERVER_MODULE, *kind_modules])
    os.environ[SERVER_MARK] = "1"
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        os.environ.pop(SERVER_MARK, None)
    return "forkserver"


def stop_job_server() -> None:
    """Stop the server and wait for it, as the command ends: the job processes' CPU time is
    then the command's (a parent that exits first leaves the server and its job processes
    unaccounted for by `time` and rusage), and no server outlives the command by a moment.
    """
    import multiprocessing.forkserver

    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is None:
        return
    with contextlib.suppress(OSError):
        stop()


def asks_for_job_processes(argv: Sequence[str]) -> bool:
    """Whether a command line runs job processes from this process: `work` (not `--gpu` or
    `--batch`, which render in the worker's own process) or `ingest --work`; never for help.

    Read before the command line is parsed, so it only guesses: a wrong yes starts a server
    that ends with the command, a wrong no leaves the command to start it as before.
    """
    if {"--help", "-h"} & set(argv):
        return False
    words = iter(argv)
    command = None
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            command = word
            break
    if command == "work":
        return not {"--gpu", "--batch"} & set(argv)
    return command == "ingest" and "--work" in argv


def start_if_asked(argv: Sequence[str]) -> None:
    """Start the job-process server now when the command line will run job processes; the
    command finds it running (`start_job_server`) and stops it as it ends."""
    if asks_for_job_processes(argv):
        start_job_server()
