"""Emergency overrides under a two-person rule, as values (pure).

An override is requested by one person with a reason, for one environment and one service
(and one region, or all), for a limited time fixed when it is requested. It lifts protection
only once a second, different person approves it, and only until it expires or someone
revokes it. The requester can never approve their own override: names are compared after
trimming and case-folding, so "Alice" cannot approve "alice "'s request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from trousseau.errors import InvalidValue, OverrideRefused

MAX_DURATION = timedelta(hours=24)
"""The longest an override may last: an emergency, not a standing exemption."""


class OverrideState(StrEnum):
    PENDING = "pending"
    """Requested, waiting for a second person."""
    ACTIVE = "active"
    """Approved and not yet expired: deploys in its scope are allowed."""
    EXPIRED = "expired"
    """Its time ran out (approved or not)."""
    REVOKED = "revoked"
    """Withdrawn by someone before it expired."""


def same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def person(name: str, what: str) -> str:
    """A person's name as given, refused when empty."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidValue(f"{what} must name a person")
    return cleaned


@dataclass(frozen=True)
class Override:
    """One override: who asked for it, why, for what, until when, and who approved or
    revoked it."""

    id: int
    environment: str
    service: str
    region: str | None
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    def state(self, now: datetime) -> OverrideState:
        if self.revoked_at is not None and self.revoked_at <= now:
            return OverrideState.REVOKED
        if now >= self.expires_at:
            return OverrideState.EXPIRED
        if self.approved_at is not None and self.approved_at <= now:
            return OverrideState.ACTIVE
        return OverrideState.PENDING

    def covers(
        self, environment: str | None, service: str | None, region: str | None, now: datetime
    ) -> bool:
        """Whether this override lets a deploy of `service` to `environment` in `region`
        through at `now` (approved, unexpired, unrevoked, in scope; without a region the
        override must cover every region)."""
        return (
            self.state(now) is OverrideState.ACTIVE
            and environment == self.environment
            and service == self.service
            and (self.region is None or self.region == region)
        )


def request(
    *,
    id: int,
    environment: str,
    service: str,
    region: str | None,
    reason: str,
    requested_by: str,
    now: datetime,
    duration: timedelta,
    max_duration: timedelta = MAX_DURATION,
) -> Override:
    """A new pending override; refused without a reason or beyond the longest duration."""
    if not reason.strip():
        raise InvalidValue("an override needs a reason: say what is broken and why it cannot wait")
    if not environment.strip() or not service.strip():
        raise InvalidValue("an override names one environment and one service")
    if duration <= timedelta(0):
        raise InvalidValue(f"an override's duration must be positive (got {duration})")
    if duration > max_duration:
        raise OverrideRefused(
            f"an override lasts at most {max_duration} (asked for {duration}): ask for less "
            "and request another if the emergency goes on"
        )
    return Override(
        id=id,
        environment=environment.strip(),
        service=service.strip(),
        region=region,
        reason=reason.strip(),
        requested_by=person(requested_by, "the requester"),
        requested_at=now,
        expires_at=now + duration,
    )


def approve(override: Override, approver: str, now: datetime) -> Override:
    """The override approved by `approver`; refused for its own requester, and unless it is
    pending."""
    name = person(approver, "the approver")
    if same_person(name, override.requested_by):
        raise OverrideRefused(
            f"override {override.id} was requested by {override.requested_by}: a second, "
            "different person must approve it"
        )
    state = override.state(now)
    if state is not OverrideState.PENDING:
        raise OverrideRefused(f"override {override.id} is {state.value}, not pending approval")
    return replace(override, approved_by=name, approved_at=now)


def revoke(override: Override, by: str, now: datetime) -> Override:
    """The override withdrawn (anyone may revoke, the requester too); refused once it has
    expired or been revoked."""
    name = person(by, "who revokes")
    state = override.state(now)
    if state in (OverrideState.EXPIRED, OverrideState.REVOKED):
        raise OverrideRefused(f"override {override.id} is already {state.value}")
    return replace(override, revoked_by=name, revoked_at=now)


def covering(
    overrides: Iterable[Override],
    environment: str | None,
    service: str | None,
    region: str | None,
    now: datetime,
) -> Override | None:
    """The override (earliest requested) that lets this deploy through now, if any."""
    found = [o for o in overrides if o.covers(environment, service, region, now)]
    return min(found, key=lambda o: o.id) if found else None
