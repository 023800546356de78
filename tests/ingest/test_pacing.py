"""Pacing: a bulk ingest waits for a followed backup that has fallen behind, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trousseau.catalog import BackupLag, advance_cursor, latest_change_id, mark_backed_up
from trousseau.catalog import pending_changes as pending
from trousseau.ingest import (
    BackupPacer,
    IngestOutcome,
    WeddingSpec,
    followed_behind,
    ingest,
    prepare_wedding,
)

NOW = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)


def _lag(pending: int, behind: float, moved: float | None) -> BackupLag:
    return BackupLag(
        repository="r",
        cursor=1,
        pending=pending,
        oldest_pending_at=NOW - timedelta(seconds=behind) if pending else None,
        seconds_behind=behind if pending else 0.0,
        updated_at=None if moved is None else NOW - timedelta(seconds=moved),
    )


def test_only_followed_repositories_with_pending_changes_count():
    assert followed_behind([], now=NOW) == 0.0
    assert followed_behind([_lag(3, 2.5, moved=1.0)], now=NOW) == 2.5
    assert followed_behind([_lag(3, 2.5, moved=1.0), _lag(9, 7.0, moved=0.2)], now=NOW) == 7.0
    assert followed_behind([_lag(3, 2.5, moved=60.0)], now=NOW) == 0.0  # not followed (any more)
    assert followed_behind([_lag(3, 2.5, moved=None)], now=NOW) == 0.0  # never backed up
    assert followed_behind([_lag(0, 0.0, moved=0.1)], now=NOW) == 0.0
    assert followed_behind([_lag(3, 2.5, moved=4.0)], now=NOW, followed_within=3.0) == 0.0


class _Follower:
    """A `sleep` that plays a following backup: each call moves time on, and every
    `every`-th call backs up everything pending (the cursor moves)."""

    def __init__(self, catalog, clock, *, every: int | None) -> None:
        self.catalog, self.clock, self.every, self.calls = catalog, clock, every, 0

    def __call__(self, seconds: float) -> None:
        self.calls += 1
        self.clock.advance(seconds=seconds)
        if self.every and self.calls % self.every == 0:
            with self.catalog.begin() as conn:
                advance_cursor(conn, "r", latest_change_id(conn), now=self.clock())


def _followed(catalog, settings, clock, photos, vault):
    """A wedding with its changes, the repository "r" followed (its cursor just moved) and
    a change pending 2 s."""
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
    with catalog.begin() as conn:
        advance_cursor(conn, "r", latest_change_id(conn), now=clock())
    list(
        ingest(
            [next(photos.glob("*.JPG"))],
            catalog=catalog,
            vault=vault,
            settings=settings,
            wedding=wedding,
            clock=clock,
            pacer=BackupPacer(catalog, above=0, clock=clock),
        )
    )
    clock.advance(seconds=2)
    return wedding


def test_an_ingest_waits_for_a_followed_backup_until_it_catches_up(
    catalog, settings, clock, photos, vault
):
    wedding = _followed(catalog, settings, clock, photos, vault)
    follower = _Follower(catalog, clock, every=4)
    pacer = BackupPacer(catalog, above=0.5, clock=clock, sleep=follower)
    events = list(
        ingest(
            [photos],
            catalog=catalog,
            vault=vault,
            settings=settings,
            wedding=wedding,
            clock=clock,
            pacer=pacer,
        )
    )
    assert [e.outcome for e in events].count(IngestOutcome.ACCEPTED) == 4  # one was there
    assert events[0].waited > 0  # the 2 s old change held the next photo back
    assert follower.calls == 4  # until the follower moved: then at once
    with catalog.begin() as conn:
        left = pending(conn, "r", limit=100)
    assert len(left) == 4 and all(c.created_at >= clock() for c in left)  # all recorded after


def test_a_follower_that_stops_releases_the_ingest(catalog, settings, clock, photos, vault):
    _followed(catalog, settings, clock, photos, vault)
    stalled = _Follower(catalog, clock, every=None)
    waited = BackupPacer(catalog, above=0.5, clock=clock, sleep=stalled).wait()
    assert 2.5 <= waited <= 5.5  # until the cursor is older than FOLLOWED_WITHIN
    assert BackupPacer(catalog, above=0.5, clock=clock, sleep=stalled).wait() == 0.0


def test_pacing_off_and_a_repository_never_followed_never_wait(
    catalog, settings, clock, photos, vault
):
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
    clock.advance(hours=1)  # the wedding's change waits an hour; nothing follows it
    never = _Follower(catalog, clock, every=None)
    assert BackupPacer(catalog, above=0.5, clock=clock, sleep=never).wait() == 0.0
    with catalog.begin() as conn:
        advance_cursor(conn, "r", 0, now=clock())  # followed now, an hour behind
        assert pending(conn, "r", limit=10)
    assert BackupPacer(catalog, above=0, clock=clock, sleep=never).wait() == 0.0
    with catalog.begin() as conn:
        mark_backed_up(conn, "r", [c.id for c in pending(conn, "r", limit=10)], now=clock())
    assert BackupPacer(catalog, above=0.5, clock=clock, sleep=never).wait() == 0.0
    assert never.calls == 0
    assert wedding is not None
