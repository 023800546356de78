"""The two-person rule as values: who may approve, what an override covers, for how long, and
that no deploy gets through a MAXIMUM window without one."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trousseau.errors import InvalidValue, OverrideRefused
from trousseau.freeze import DEFAULT_POLICY, Level, OverrideState, decide, load_policy
from trousseau.freeze.overrides import Override, approve, covering, request, revoke

NOW = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)  # a Saturday in peak season: MAXIMUM in London
POLICY = load_policy(DEFAULT_POLICY)


def _asked(by: str = "alice", duration: timedelta = timedelta(hours=1), **kw: object) -> Override:
    fields: dict = {
        "id": 1,
        "environment": "production",
        "service": "api",
        "region": None,
        "reason": "the upload endpoint returns 500s",
        "requested_by": by,
        "now": NOW,
        "duration": duration,
    }
    fields.update(kw)
    return request(**fields)


def test_an_override_needs_a_second_different_person() -> None:
    asked = _asked()
    assert asked.state(NOW) is OverrideState.PENDING
    for same in ("alice", " Alice ", "ALICE"):
        with pytest.raises(OverrideRefused, match="second, different person"):
            approve(asked, same, NOW)
    done = approve(asked, "bob", NOW + timedelta(minutes=1))
    assert done.state(NOW + timedelta(minutes=1)) is OverrideState.ACTIVE
    assert done.state(NOW) is OverrideState.PENDING  # not before its approval
    assert done.state(asked.expires_at) is OverrideState.EXPIRED
    with pytest.raises(OverrideRefused, match="not pending"):
        approve(done, "carol", NOW + timedelta(minutes=2))


def test_a_request_says_why_and_is_short() -> None:
    with pytest.raises(InvalidValue, match="needs a reason"):
        _asked(reason="  ")
    with pytest.raises(OverrideRefused, match="at most"):
        _asked(duration=timedelta(hours=25))
    with pytest.raises(InvalidValue, match="positive"):
        _asked(duration=timedelta(0))
    with pytest.raises(InvalidValue, match="must name a person"):
        _asked(by=" ")


def test_an_expired_or_revoked_override_cannot_be_approved_or_revoked_again() -> None:
    asked = _asked()
    with pytest.raises(OverrideRefused, match="expired"):
        approve(asked, "bob", asked.expires_at)
    gone = revoke(approve(asked, "bob", NOW), "alice", NOW + timedelta(minutes=5))
    assert gone.state(NOW + timedelta(minutes=5)) is OverrideState.REVOKED
    with pytest.raises(OverrideRefused, match="already revoked"):
        revoke(gone, "bob", NOW + timedelta(minutes=6))


def test_an_override_lets_through_only_its_environment_service_and_region() -> None:
    regional = approve(_asked(region="uk"), "bob", NOW)
    at = NOW + timedelta(minutes=1)
    assert covering([regional], "production", "api", "uk", at) == regional
    assert covering([regional], "production", "api", "india", at) is None
    assert covering([regional], "production", "api", None, at) is None  # not every region
    assert covering([regional], "staging", "api", "uk", at) is None
    assert covering([regional], "production", "web", "uk", at) is None
    decision = decide(
        POLICY, at, region="uk", environment="production", service="api", overrides=[regional]
    )
    assert decision.level is Level.MAXIMUM and decision.verdict == "allow"
    assert decision.override == regional
    other = decide(POLICY, at, region="uk", environment="production", service="web",
                   overrides=[regional])  # fmt: skip
    assert other.verdict == "deny" and other.override is None


people = st.sampled_from(["alice", "Alice", "bob", "carol", " bob"])
instants = st.integers(0, 60 * 24 * 14).map(lambda m: NOW + timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(
    at=instants,
    requester=people,
    approver=st.one_of(st.none(), people),
    approve_after=st.integers(0, 300),
    revoke_after=st.one_of(st.none(), st.integers(0, 300)),
    minutes=st.integers(1, 24 * 60),
    environment=st.sampled_from(["production", "staging"]),
)
def test_no_deploy_passes_maximum_without_an_approved_unexpired_override(
    at, requester, approver, approve_after, revoke_after, minutes, environment
) -> None:
    """Whatever was requested, approved or revoked and whenever, a deploy at a MAXIMUM
    instant is allowed only by an override approved by someone else, before the instant,
    unexpired and unrevoked at it, in scope."""
    o = _asked(by=requester, duration=timedelta(minutes=minutes), environment=environment)
    approved_by = None
    if approver is not None:
        try:
            o = approve(o, approver, NOW + timedelta(minutes=approve_after))
            approved_by = approver
        except OverrideRefused:
            pass
    if revoke_after is not None:
        with contextlib.suppress(OverrideRefused):
            o = revoke(o, "carol", NOW + timedelta(minutes=revoke_after))
    decision = decide(
        POLICY, at, region="uk", environment="production", service="api", overrides=[o]
    )
    if decision.level is Level.MAXIMUM and decision.verdict == "allow":
        assert decision.override is o
        assert approved_by is not None
        assert approved_by.strip().casefold() != requester.strip().casefold()
        assert o.approved_at is not None and o.approved_at <= at < o.expires_at
        assert o.revoked_at is None or at < o.revoked_at
        assert environment == "production"
    if approved_by is None:
        assert decision.verdict == decision.level.verdict
