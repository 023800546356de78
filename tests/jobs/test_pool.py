"""The process pool's children: how they end."""

from __future__ import annotations

import time

import pytest

from trousseau.jobs import ProcessPool


def test_idle_children_end_cleanly_at_once_when_stopped(settings) -> None:
    """A stopped child closes its catalog and vault and leaves with status 0, skipping the
    interpreter's teardown (`processes.exit_now`); stop() joins every child."""
    pool = ProcessPool(2, settings)
    processes = [child.process for child in pool._children]
    time.sleep(0.5)

    assert pool.stop() == []

    assert [p.exitcode for p in processes] == [0, 0]
    assert not any(p.is_alive() for p in processes)


def test_a_child_whose_worker_hangs_up_ends_cleanly(settings) -> None:
    pool = ProcessPool(1, settings)
    (child,) = pool._children
    child.conn.close()  # the worker's end of the pipe gone: the child reads EOF

    child.process.join(timeout=30)

    assert child.process.exitcode == 0
    pool._children = []


def test_an_unknown_start_method_is_refused(settings):
    with pytest.raises(ValueError, match="unknown start method 'thread'"):
        ProcessPool(1, settings, start_method="thread")
