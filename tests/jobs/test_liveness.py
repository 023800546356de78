"""A process's recorded identity tells, on its own host, whether it still runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trousseau.jobs.liveness import Liveness, identity, liveness

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def test_this_process_is_alive():
    assert liveness(__import__("os").getpid(), identity()) is Liveness.ALIVE


def test_a_process_that_exited_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    recorded = identity(child.pid)
    assert recorded is not None
    assert liveness(child.pid, recorded) is Liveness.ALIVE
    child.kill()
    child.wait()
    assert liveness(child.pid, recorded) is Liveness.GONE


def test_a_reused_pid_is_not_the_recorded_process():
    """The same PID with another start time (a restarted container's worker) is gone."""
    scope, _, started = identity().rpartition("/")
    older = f"{scope}/{int(started) - 1}"
    assert liveness(__import__("os").getpid(), older) is Liveness.GONE


@pytest.mark.parametrize(
    "recorded",
    [None, "", "another-boot/4026531836/123", "not an identity at all"],
)
def test_another_boot_or_namespace_or_nothing_is_unknown(recorded):
    """Only the lease can tell about a process of another host, boot or PID namespace."""
    assert liveness(1, recorded) is Liveness.UNKNOWN


def test_identity_of_a_missing_process_is_none():
    assert identity(2**22 + 12345) is None


def test_a_killed_process_not_yet_reaped_is_gone():
    """A zombie (its parent has not waited for it yet) runs no more."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    recorded = identity(child.pid)
    child.kill()
    import time

    deadline = time.monotonic() + 10
    while liveness(child.pid, recorded) is not Liveness.GONE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert liveness(child.pid, recorded) is Liveness.GONE
    child.wait()
