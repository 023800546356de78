"""The job-process server: started before the command line's imports when a command will
fork job processes, and ended without the interpreter's teardown."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from trousseau import jobserver
from trousseau.jobs import server


@pytest.mark.parametrize(
    ("argv", "asks"),
    [
        (["work"], True),
        (["work", "--workers", "2", "--until-idle"], True),
        (["--data-dir", "/srv/studio", "work", "-n", "4"], True),
        (["--data-dir=/srv/studio", "work"], True),
        (["--catalog-url", "postgresql://db/trousseau", "work"], True),
        (["work", "--gpu"], False),
        (["work", "--batch"], False),
        (["ingest", "card/", "--wedding", "w", "--work"], True),
        (["ingest", "card/", "--wedding", "w"], False),
        (["--data-dir", "work", "status"], False),
        (["status"], False),
        (["jobs", "list"], False),
        ([], False),
        (["--help"], False),
        (["work", "--help"], False),
        (["ingest", "--work", "-h"], False),
    ],
)
def test_the_command_lines_that_run_job_processes(argv: list[str], asks: bool) -> None:
    assert jobserver.asks_for_job_processes(argv) is asks


def test_the_server_mark_is_one_name() -> None:
    assert jobserver.SERVER_MARK == server.SERVER_MARK
    assert server.__name__ == jobserver.SERVER_MODULE


def _import_server_and_exit(environment: dict[str, str]) -> int:
    return subprocess.run(
        [sys.executable, "-c", "import trousseau.jobs.server; raise SystemExit(7)"],
        env=environment,
        timeout=60,
    ).returncode


def test_importing_the_server_module_elsewhere_changes_nothing() -> None:
    """Only the marked server skips its teardown: any other importer (a test run, a tool
    listing modules) keeps its own exit status."""
    environment = {k: v for k, v in os.environ.items() if k != jobserver.SERVER_MARK}

    assert _import_server_and_exit(environment) == 7


def test_the_marked_server_ends_without_its_teardown() -> None:
    """The forkserver ends on SystemExit with no status; marked, it leaves through
    `exit_now(0)` before any module is finalised."""
    assert _import_server_and_exit({**os.environ, jobserver.SERVER_MARK: "1"}) == 0


def test_a_started_server_marks_nothing_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(jobserver.SERVER_MARK, raising=False)
    try:
        assert jobserver.start_job_server() == "forkserver"
        assert jobserver.SERVER_MARK not in os.environ
    finally:
        jobserver.stop_job_server()
