"""Kinds the queue itself needs: no-op (benchmarks, health), sleep and fail (tests)."""

from __future__ import annotations

import time
from typing import Any

from trousseau.errors import PermanentJobError
from trousseau.jobs.context import JobContext


def noop(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Do nothing: measures the queue's own overhead."""


def sleep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Sleep `payload["seconds"]`: stands in for real work in tests."""
    time.sleep(float(payload.get("seconds", 0.1)))


def fail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Fail on purpose, permanently or not, to exercise retries and dead letter."""
    message = str(payload.get("message", "failed on purpose"))
    if payload.get("permanent"):
        raise PermanentJobError(message)
    raise RuntimeError(message)
