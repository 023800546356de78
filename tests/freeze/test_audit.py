"""The audit log's hash chain: any changed, removed, inserted or reordered entry is found and
named; the newest entries removed are caught against a kept head."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.freeze.audit import GENESIS, Action, AuditEntry, next_entry, verify

T0 = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)


def _log(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        head = entries[-1] if entries else None
        action = list(Action)[i % len(Action)]
        body = {"i": i, "reason": f"entry {i}", "nested": {"b": [1, 2], "a": None}}
        entries.append(next_entry(head, T0 + timedelta(seconds=i), action, f"p{i % 3}", body))
    return entries


def test_an_untouched_log_holds_and_reports_its_head() -> None:
    log = _log(12)
    report = verify(log)
    assert report.holds and report.entries == 12 and report.head == log[-1].hash
    assert verify([]).head == GENESIS and verify([]).holds
    assert verify(log, expect_head=log[-1].hash).holds


@given(st.integers(0, 11), st.sampled_from(["at", "actor", "action", "body", "hash", "prev"]))
def test_any_changed_field_of_any_entry_is_found(index: int, field: str) -> None:
    log = _log(12)
    e = log[index]
    changed = {
        "at": replace(e, at=e.at + timedelta(microseconds=1)),
        "actor": replace(e, actor=e.actor + "x"),
        "action": replace(
            e, action=Action.APPROVE if e.action != Action.APPROVE else Action.REVOKE
        ),
        "body": replace(e, body={**e.body, "reason": "rewritten"}),
        "hash": replace(e, hash="f" * 64),
        "prev": replace(e, prev_hash="e" * 64),
    }[field]
    log[index] = changed
    report = verify(log)
    assert not report.holds
    assert f"entry {index + 1}" in report.problem or f"entry {index + 2}" in report.problem


@given(st.integers(0, 10))
def test_a_removed_or_swapped_entry_is_found(index: int) -> None:
    log = _log(12)
    removed = log[:index] + log[index + 1 :]
    assert "missing" in (verify(removed).problem or "")
    swapped = list(log)
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    assert not verify(swapped).holds


def test_a_rewritten_tail_still_chains_but_not_to_the_kept_head() -> None:
    log = _log(12)
    kept = log[-1].hash
    assert verify(log[:9]).holds  # a shorter chain is a chain
    report = verify(log[:9], expect_head=kept)
    assert not report.holds and "newest entries were removed" in report.problem
    forged = [*log[:9], next_entry(log[8], T0, Action.DECISION, "mallory", {"verdict": "allow"})]
    assert not verify(forged, expect_head=kept).holds


@pytest.mark.parametrize("body", [{"z": 1, "a": 2}, {"a": 2, "z": 1}])
def test_the_hash_does_not_depend_on_key_order(body: dict) -> None:
    assert (
        next_entry(None, T0, Action.DECISION, "x", body).hash
        == next_entry(None, T0, Action.DECISION, "x", {"a": 2, "z": 1}).hash
    )
