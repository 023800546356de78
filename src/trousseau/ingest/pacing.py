"""Pacing: a bulk ingest never runs more than a moment ahead of a following backup.

A card of 500 photos can arrive faster than one machine can both store it and back it up:
on a shared disk and shared cores the backup then falls behind by the length of the ingest,
and for that long the newest originals exist once. A photo that exists once can be lost, so
an ingest waits, between files, while a repository that is being followed (`backup run
--follow`) has a change pending for longer than `backup.ingest_waits_above` seconds: the
backup's commit comes before the next photo's, as a synchronous standby's does before a
PostgreSQL commit returns. The ingest is slower only when the backup cannot keep up.

A repository counts as followed while its cursor moved within `FOLLOWED_WITHIN` seconds:
a follower that stops or dies releases the ingest after that long, never holds it for good,
and a repository backed up now and then by hand never slows an ingest at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from trousseau.catalog import BackupLag, Catalog, followed_lags
from trousseau.clock import Clock

FOLLOWED_WITHIN = 5.0
"""Seconds since a repository's cursor last moved for it to count as followed."""

POLL = 0.05
"""Seconds between looks at the change log while an ingest waits."""


def followed_behind(
    lags: Sequence[BackupLag], *, now: datetime, followed_within: float = FOLLOWED_WITHIN
) -> float:
    """How long the oldest change pending for a followed repository has waited (0.0 if none).

    The policy itself: the catalog's `followed_lags` already leaves out repositories outside
    the window (so their backlog is never counted), and this says it again for any lags."""
    behind = 0.0
    for lag in lags:
        if lag.updated_at is None or lag.pending == 0:
            continue
        if (now - lag.updated_at).total_seconds() > followed_within:
            continue
        behind = max(behind, lag.seconds_behind)
    return behind


class BackupPacer:
    """Holds an ingest between files while a followed backup is more than `above` behind."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        above: float,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        followed_within: float = FOLLOWED_WITHIN,
    ) -> None:
        self._catalog = catalog
        self._above = above
        self._clock = clock
        self._sleep = sleep
        self._followed_within = followed_within

    def wait(self) -> float:
        """Wait until every followed repository is at most `above` behind; the seconds
        waited (0.0 at once when pacing is off or nothing is followed)."""
        if self._above <= 0:
            return 0.0
        began = self._clock()
        while True:
            now = self._clock()
            with self._catalog.begin() as conn:
                lags = followed_lags(conn, now=now, within=self._followed_within)
            behind = followed_behind(lags, now=now, followed_within=self._followed_within)
            if behind <= self._above:
                return (now - began).total_seconds()
            self._sleep(POLL)
