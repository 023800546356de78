"""How a command ends (`processes.exit_quickly`, `exit_now`): fast, and with nothing lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_exit_quickly_keeps_the_status_and_runs_the_exit_handlers(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    done = _run(
        """
        import atexit, sys, tempfile
        from pathlib import Path
        from trousseau.processes import exit_quickly
        atexit.register(lambda: Path(sys.argv[1]).write_text("yes"))
        kept = tempfile.TemporaryDirectory()
        Path(sys.argv[2]).write_text(kept.name)
        print("buffered output", end="")
        exit_quickly(3)
        """,
        str(marker),
        str(tmp_path / "tempdir"),
    )

    assert done.returncode == 3
    assert done.stdout == "buffered output"
    assert marker.read_text() == "yes"
    assert not Path((tmp_path / "tempdir").read_text()).exists()


def test_exit_quickly_joins_running_threads_as_the_interpreter_does(tmp_path: Path) -> None:
    """A thread still working (a store, a flush) is waited for, not cut off."""
    out = tmp_path / "written-by-thread"
    done = _run(
        """
        import sys, threading, time
        from pathlib import Path
        from trousseau.processes import exit_quickly
        def late():
            time.sleep(0.5)
            Path(sys.argv[1]).write_text("done")
        threading.Thread(target=late).start()
        exit_quickly(4)
        """,
        str(out),
    )

    assert done.returncode == 4
    assert out.read_text() == "done"


def test_exit_quickly_with_a_message_prints_it_and_fails() -> None:
    done = _run("from trousseau.processes import exit_quickly; exit_quickly('no catalog here')")

    assert done.returncode == 1
    assert done.stderr.strip() == "no catalog here"


def test_exit_quickly_with_no_status_is_success() -> None:
    assert _run("from trousseau.processes import exit_quickly; exit_quickly(None)").returncode == 0


def test_exit_now_flushes_the_standard_streams() -> None:
    done = _run(
        """
        import sys
        from trousseau.processes import exit_now
        print("to stdout", end="")
        print("to stderr", end="", file=sys.stderr)
        exit_now(5)
        """
    )

    assert (done.returncode, done.stdout, done.stderr) == (5, "to stdout", "to stderr")
