"""Overrides and the audit log in the catalog (SQLite and PostgreSQL): every action is logged
in the transaction that made it, expiries are logged once, tampering with a stored entry is
found, and two writers never fork the chain."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from trousseau.catalog.schema import freeze_audit
from trousseau.errors import NotFound, OverrideRefused
from trousseau.freeze import DEFAULT_POLICY, Action, Ledger, OverrideState, decide, load_policy


@pytest.fixture
def ledger(catalog, clock) -> Ledger:
    return Ledger(catalog, clock)


def _request(ledger: Ledger, by: str = "alice"):
    return ledger.request(
        environment="production",
        service="api",
        region=None,
        reason="payments are failing",
        requested_by=by,
        duration=timedelta(hours=2),
    )


def test_request_approve_expire_are_logged_and_the_chain_holds(ledger, clock) -> None:
    asked = _request(ledger)
    with pytest.raises(OverrideRefused):
        ledger.approve(asked.id, "Alice")
    clock.advance(minutes=5)
    approved = ledger.approve(asked.id, "bob")
    assert approved.approved_by == "bob"
    assert ledger.get(asked.id).state(clock()) is OverrideState.ACTIVE
    policy = load_policy(DEFAULT_POLICY)  # the clock stands on a peak-season Saturday
    decision = decide(policy, clock(), region="uk", environment="production", service="api",
                      overrides=ledger.overrides())  # fmt: skip
    assert decision.verdict == "allow" and decision.override.id == asked.id
    ledger.record_decision(decision, environment="production", service="api", region="uk",
                           actor="ci")  # fmt: skip
    clock.advance(hours=3)
    assert [o.state(clock()) for o in ledger.overrides()] == [OverrideState.EXPIRED]
    ledger.overrides()  # the expiry is logged once
    actions = [e.action for e in ledger.entries()]
    assert actions == [Action.REQUEST, Action.APPROVE, Action.DECISION, Action.EXPIRE]
    report = ledger.verify()
    assert report.holds and report.entries == 4
    assert ledger.entries()[2].body["override"] == asked.id


def test_a_refused_approval_leaves_no_trace(ledger) -> None:
    asked = _request(ledger)
    with pytest.raises(OverrideRefused):
        ledger.approve(asked.id, "alice")
    assert [e.action for e in ledger.entries()] == [Action.REQUEST]
    assert ledger.get(asked.id).approved_by is None
    with pytest.raises(NotFound, match="override 999"):
        ledger.approve(999, "bob")


def test_a_changed_or_removed_stored_entry_is_found(ledger, catalog, clock) -> None:
    for by in ("alice", "bob", "carol"):
        asked = _request(ledger, by)
        clock.advance(minutes=1)
        ledger.revoke(asked.id, by)
    head = ledger.verify().head
    with catalog.begin() as conn:
        conn.execute(update(freeze_audit).where(freeze_audit.c.seq == 3)
                     .values(body={"override": {"reason": "nothing happened"}}))  # fmt: skip
    report = ledger.verify()
    assert not report.holds and "entry 3" in report.problem and "changed" in report.problem
    with catalog.begin() as conn:
        conn.execute(delete(freeze_audit).where(freeze_audit.c.seq >= 3))
    assert ledger.verify().holds  # two entries: still a chain
    assert not ledger.verify(expect_head=head).holds


def test_concurrent_writers_never_fork_the_chain(catalog, clock) -> None:
    if catalog.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    errors: list[BaseException] = []

    def write(who: str) -> None:
        ledger = Ledger(catalog, clock)
        try:
            for _ in range(10):
                _request(ledger, who)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"p{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = Ledger(catalog, clock).verify()
    assert report.holds and report.entries == 40
