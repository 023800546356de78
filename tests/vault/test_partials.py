"""Partial writes name their writer, so a killed put's bytes are collected at once.

A put writes to ``tmp/*.part`` before publishing. A writer killed mid-put (SIGKILL, the OOM
killer) leaves that file behind; before, it was swept only once an hour old, and nothing
reported it. Each partial now carries its writer's identity (PID, start time, boot and PID
namespace), so a sweep removes a dead writer's partial at once and never a live one's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from trousseau.processes import Liveness
from trousseau.vault import open_vault
from trousseau.vault.local import LocalVault

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

SIZE = 7 * 1024 * 1024

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from trousseau.vault import open_vault

    open_vault(sys.argv[1]).put_file(Path(sys.argv[2]))
    """
)


class Writer:
    """A real `put_file` in another process, fed through a FIFO that it never sees end."""

    def __init__(self, vault: LocalVault, folder: Path, name: str) -> None:
        self.fifo = folder / f"{name}.fifo"
        os.mkfifo(self.fifo)
        self.process = subprocess.Popen([sys.executable, "-c", _WRITER, vault.url, str(self.fifo)])
        self.feed = self.fifo.open("wb")  # blocks until the writer opens its end

    def send(self, size: int) -> None:
        self.feed.write(os.urandom(size))
        self.feed.flush()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.feed.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()
        else:
            self.feed.close()


@pytest.fixture
def local(tmp_path: Path) -> LocalVault:
    vault = open_vault((tmp_path / "vault").as_uri())
    assert isinstance(vault, LocalVault)
    return vault


@pytest.fixture
def writers(local: LocalVault, tmp_path: Path) -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for writer in started:
        writer.stop()


def start(local: LocalVault, tmp_path: Path, writers: list[Writer], name: str) -> Writer:
    writer = Writer(local, tmp_path, name)
    writers.append(writer)
    return writer


def wait_for_partials(local: LocalVault, count: int, size: int) -> list[Path]:
    deadline = time.monotonic() + 20
    while True:
        found = sorted((local.root / "tmp").glob("*.part"))
        if len(found) == count and all(p.stat().st_size >= size for p in found):
            return found
        assert time.monotonic() < deadline, f"partials never reached {size} bytes: {found}"
        time.sleep(0.02)


def test_a_killed_put_leaves_a_partial_the_sweep_removes_at_once(
    local: LocalVault, tmp_path: Path, writers: list[Writer]
) -> None:
    writer = start(local, tmp_path, writers, "killed")
    writer.send(SIZE)
    (partial,) = wait_for_partials(local, 1, SIZE)
    assert str(writer.process.pid) in partial.name

    writer.kill()

    assert local.sweep_partials(timedelta(hours=1)) == 1
    assert not partial.exists()


def test_a_live_writers_partial_is_kept_however_old(
    local: LocalVault, tmp_path: Path, writers: list[Writer]
) -> None:
    writer = start(local, tmp_path, writers, "alive")
    writer.send(1024 * 1024)
    (partial,) = wait_for_partials(local, 1, 1024 * 1024)
    os.utime(partial, (0, 0))  # as old as can be: only its writer's death may remove it

    assert local.sweep_partials(timedelta(0)) == 0

    assert partial.exists()
    assert writer.process.poll() is None


def test_partials_are_listed_with_their_size_and_writer(
    local: LocalVault, tmp_path: Path, writers: list[Writer]
) -> None:
    alive = start(local, tmp_path, writers, "alive")
    dead = start(local, tmp_path, writers, "dead")
    alive.send(1024 * 1024)
    dead.send(SIZE)
    wait_for_partials(local, 2, 1024 * 1024)
    wait_for_partials(local, 2, 1024 * 1024)
    deadline = time.monotonic() + 20
    while sum(p.size for p in local.partial_writes()) < SIZE + 1024 * 1024:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    dead.kill()
    legacy = local.root / "tmp" / "put-abc123.part"  # named before writers were recorded
    legacy.write_bytes(b"x" * 10)

    listed = {p.writer: p for p in local.partial_writes()}

    assert set(listed) == {Liveness.ALIVE, Liveness.GONE, Liveness.UNKNOWN}
    assert listed[Liveness.ALIVE].size == 1024 * 1024
    assert listed[Liveness.GONE].size == SIZE
    assert listed[Liveness.UNKNOWN].size == 10
    assert listed[Liveness.UNKNOWN].path == legacy


def test_a_partial_of_an_unknown_writer_is_still_swept_by_age(local: LocalVault) -> None:
    legacy = local.root / "tmp" / "put-abc123.part"
    legacy.write_bytes(b"half a photo")

    assert local.sweep_partials(timedelta(hours=1)) == 0
    os.utime(legacy, (time.time() - 7200, time.time() - 7200))
    assert local.sweep_partials(timedelta(hours=1)) == 1


def test_a_finished_put_leaves_no_partial(local: LocalVault) -> None:
    local.put_bytes(b"a whole photo")

    assert local.partial_writes() == []
