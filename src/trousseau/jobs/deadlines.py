"""Pure scheduling arithmetic: deadlines from SLA classes, retry backoff, claim sizes.

No clock and no randomness are read here; callers pass the instant and the random source,
so every rule is tested at any moment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from trousseau.errors import SettingsError


def deadline_for(sla: str, accepted_at: datetime, sla_classes: Mapping[str, timedelta]) -> datetime:
    """When work accepted at `accepted_at` under `sla` is due."""
    if accepted_at.tzinfo is None:
        raise ValueError("accepted_at must be timezone-aware")
    try:
        return accepted_at + sla_classes[sla]
    except KeyError:
        known = ", ".join(sorted(sla_classes))
        raise SettingsError(f"unknown SLA class {sla!r}: use one of {known}") from None


def backoff_delay(
    attempt: int, *, base_seconds: float, cap_seconds: float, rand: Callable[[], float]
) -> timedelta:
    """Wait before retry number `attempt` (1-based): exponential, capped, with equal jitter.

    Half the step is fixed so a retry never comes back immediately; the other half is random
    so a burst of failures does not retry in lockstep.
    """
    if attempt < 1:
        raise ValueError(f"attempt is 1-based, got {attempt}")
    step = min(cap_seconds, base_seconds * 2 ** min(attempt - 1, 62))
    return timedelta(seconds=step / 2 + rand() * step / 2)


def claim_size(
    free_slots: int, avg_job_seconds: float | None, *, window_ms: float, batch_max: int
) -> int:
    """How many due jobs to claim in one statement for `free_slots` idle execution slots.

    Each slot gets as many jobs as fit in the claim window at the observed job duration, so
    cheap jobs are claimed by the hundred (one statement, many jobs) while slow jobs are
    claimed one per slot and never sit leased behind a busy slot while another worker idles.
    Unknown duration counts as slow.
    """
    if free_slots <= 0:
        return 0
    if not avg_job_seconds or avg_job_seconds <= 0:
        per_slot = 1
    else:
        per_slot = max(1, int(window_ms / 1000 / avg_job_seconds))
    return max(1, min(batch_max, free_slots * per_slot))


def is_late(deadline: datetime, finished_at: datetime | None, now: datetime) -> bool:
    """A job is late if it finished after its deadline, or is unfinished past it."""
    return (finished_at or now) > deadline
