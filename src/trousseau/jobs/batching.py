"""When a batched (GPU) worker runs what it has claimed, and when it waits for more (pure).

A GPU renders 32 photos in little more than the time of one, so a batched worker prefers
full batches, but never at a deadline's expense: it runs at once when the batch is full or
when the earliest claimed deadline is within `slack` (a lone same-day photo goes straight
through), and otherwise waits at most `wait` after its first claim for more jobs. It also
never waits past the moment that would leave less than `slack` before the earliest deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from trousseau.settings import JobSettings


@dataclass(frozen=True)
class BatchPolicy:
    """Batch size, the longest wait for a fuller batch, and the deadline slack."""

    size: int
    wait: timedelta
    slack: timedelta

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"batch size must be at least 1, not {self.size}")

    @classmethod
    def from_settings(cls, settings: JobSettings) -> BatchPolicy:
        return cls(
            size=settings.batch_size,
            wait=timedelta(milliseconds=settings.batch_wait_ms),
            slack=timedelta(seconds=settings.batch_slack_seconds),
        )


def run_at(
    *, now: datetime, deadlines: Sequence[datetime], first_claim: datetime, policy: BatchPolicy
) -> datetime | None:
    """None to run the held jobs now, else the instant to run them if no more arrive."""
    if not deadlines:
        raise ValueError("no job is held: there is nothing to run or wait for")
    if len(deadlines) >= policy.size:
        return None
    earliest = min(deadlines)
    if earliest - now <= policy.slack:
        return None
    until = min(first_claim + policy.wait, earliest - policy.slack)
    return None if until <= now else until
