"""The emergency switch: on with a reason, off (or expired on its own), recorded.

What it does lives where each effect belongs, all reading the one row in force: the worker
skips the paused classes when it claims (`jobs.Worker`), KEDA's queue trigger returns at least
the floor (`jobs.edf_workers_sql`), protection adds a MAXIMUM freeze for its span
(`freeze.with_calendar`), and the day's plan shows the raised floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from trousseau.catalog import (
    Catalog,
    Emergency,
    EventKind,
    active_emergency,
    end_emergency,
    record_event,
    start_emergency,
)
from trousseau.errors import InvalidValue, OverrideRefused

EmergencyOn = Emergency


def switch_on(
    catalog: Catalog,
    *,
    reason: str,
    by: str,
    now: datetime,
    hours: float,
    floor: int,
    paused_slas: Sequence[str],
) -> Emergency:
    """Turn the switch on for `hours` (refused while one is on: turn it off first)."""
    if not reason.strip():
        raise InvalidValue("the emergency switch needs a reason: say what is happening")
    if not by.strip():
        raise InvalidValue("the emergency switch needs the name of who turns it on")
    if not 0 < hours <= 48:
        raise InvalidValue(f"an emergency lasts more than 0 and at most 48 hours (got {hours})")
    with catalog.begin() as conn:
        current = active_emergency(conn, now=now)
        if current is not None:
            raise OverrideRefused(
                f"the emergency switch is already on (by {current.started_by} until "
                f"{current.until.isoformat()}: {current.reason}); turn it off first"
            )
        made = start_emergency(
            conn,
            now=now,
            until=now + timedelta(hours=hours),
            reason=reason.strip(),
            by=by.strip(),
            floor=floor,
            paused_slas=paused_slas,
        )
        record_event(
            conn,
            EventKind.EMERGENCY_ON,
            f"{made.started_by} turned the emergency switch on until {made.until.isoformat()}: "
            f"{made.reason}",
            now=now,
            data={
                "id": made.id,
                "by": made.started_by,
                "reason": made.reason,
                "until": made.until.isoformat(),
                "floor": floor,
                "paused_slas": list(paused_slas),
            },
        )
    return made


def switch_off(catalog: Catalog, *, by: str, reason: str, now: datetime) -> Emergency:
    """Turn the switch in force off; NotFound-like refusal when none is on."""
    if not by.strip():
        raise InvalidValue("say who turns the emergency switch off")
    with catalog.begin() as conn:
        current = active_emergency(conn, now=now)
        if current is None:
            raise OverrideRefused("the emergency switch is not on (or it has expired)")
        end_emergency(conn, current.id, now=now, by=by.strip())
        record_event(
            conn,
            EventKind.EMERGENCY_OFF,
            f"{by.strip()} turned the emergency switch off: {reason.strip() or 'no reason given'}",
            now=now,
            data={"id": current.id, "by": by.strip(), "reason": reason.strip()},
        )
    return Emergency(
        current.id, current.started_at, current.until, current.reason, current.started_by,
        current.floor, current.paused_slas, now, by.strip(),
    )  # fmt: skip


def switch_status(catalog: Catalog, *, now: datetime) -> Emergency | None:
    """The emergency in force now, or None (expired ones are not)."""
    with catalog.begin() as conn:
        return active_emergency(conn, now=now)
