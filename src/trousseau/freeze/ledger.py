"""The I/O edge of overrides and the audit trail: the catalog's `freeze_override` and
`freeze_audit` tables, read and written under the rules of `overrides` and `audit`.

Every change of an override commits with its audit entry in one transaction, so an approval
without its entry, or an entry for an approval that rolled back, cannot exist. Expiries are
noticed whenever overrides are read (a check, a listing) and logged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from trousseau.catalog import (
    AuditConflict,
    Catalog,
    append_audit,
    audit_entries,
    audit_head,
    get_override,
    insert_override,
    lock_audit,
    overrides_since,
    update_override,
)
from trousseau.clock import Clock
from trousseau.freeze import audit, overrides
from trousseau.freeze.audit import Action, AuditEntry, ChainReport
from trousseau.freeze.levels import Decision
from trousseau.freeze.overrides import MAX_DURATION, Override

_APPEND_TRIES = 20


def _override(row: Mapping[str, Any]) -> Override:
    fields = {k: v for k, v in row.items() if k != "expiry_logged"}
    return Override(**fields)


def _entry(row: Mapping[str, Any]) -> AuditEntry:
    return AuditEntry(
        seq=int(row["seq"]),
        at=row["at"],
        action=Action(row["action"]),
        actor=row["actor"],
        body=row["body"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _override_body(o: Override) -> dict[str, Any]:
    body = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(o).items()}
    return {"override": body}


def _append(
    conn: Connection, at: datetime, action: Action, actor: str, body: Mapping[str, Any]
) -> AuditEntry:
    lock_audit(conn)
    for _ in range(_APPEND_TRIES):
        head_row = audit_head(conn)
        head = _entry(head_row) if head_row else None
        entry = audit.next_entry(head, at, action, actor, body)
        try:
            append_audit(conn, {**asdict(entry), "action": entry.action.value})
        except AuditConflict:
            continue
        return entry
    raise AuditConflict(
        f"the protection audit log changed under {_APPEND_TRIES} attempts to append to it"
    )


class Ledger:
    """Overrides and the audit log of one catalog, with the time from `clock`."""

    def __init__(self, catalog: Catalog, clock: Clock, *, max_duration: timedelta = MAX_DURATION):
        self.catalog = catalog
        self.clock = clock
        self.max_duration = max_duration

    # --- overrides -----------------------------------------------------------------------

    def request(
        self,
        *,
        environment: str,
        service: str,
        region: str | None,
        reason: str,
        requested_by: str,
        duration: timedelta,
    ) -> Override:
        """A new pending override, logged."""
        now = self.clock()
        draft = overrides.request(
            id=0,
            environment=environment,
            service=service,
            region=region,
            reason=reason,
            requested_by=requested_by,
            now=now,
            duration=duration,
            max_duration=self.max_duration,
        )
        with self.catalog.begin() as conn:
            new_id = insert_override(conn, asdict(draft))
            made = Override(**{**asdict(draft), "id": new_id})
            _append(conn, now, Action.REQUEST, made.requested_by, _override_body(made))
        return made

    def approve(self, override_id: int, approver: str) -> Override:
        """The override approved by a second person, logged; OverrideRefused otherwise."""
        return self._change(override_id, approver, Action.APPROVE)

    def revoke(self, override_id: int, by: str) -> Override:
        """The override withdrawn, logged."""
        return self._change(override_id, by, Action.REVOKE)

    def _change(self, override_id: int, actor: str, action: Action) -> Override:
        now = self.clock()
        with self.catalog.begin() as conn:
            current = _override(get_override(conn, override_id, lock=True))
            if action is Action.APPROVE:
                changed = overrides.approve(current, actor, now)
                values = {"approved_by": changed.approved_by, "approved_at": now}
            else:
                changed = overrides.revoke(current, actor, now)
                values = {"revoked_by": changed.revoked_by, "revoked_at": now}
            update_override(conn, override_id, values)
            _append(conn, now, action, actor.strip(), _override_body(changed))
        return changed

    def overrides(self, *, since: timedelta = timedelta(days=7)) -> list[Override]:
        """Overrides requested so far that were in force or pending within `since`, oldest
        first; expiries not yet in the audit log are logged now."""
        now = self.clock()
        with self.catalog.begin() as conn:
            rows = overrides_since(conn, now=now, since=now - since)
            for row in rows:
                if not row["expiry_logged"] and row["expires_at"] <= now:
                    expired = _override(row)
                    if expired.revoked_at is None:
                        _append(conn, now, Action.EXPIRE, "trousseau", _override_body(expired))
                    update_override(conn, expired.id, {"expiry_logged": True})
        return [_override(r) for r in rows if r["expires_at"] > now - since]

    def get(self, override_id: int) -> Override:
        with self.catalog.begin() as conn:
            return _override(get_override(conn, override_id))

    # --- the audit log -------------------------------------------------------------------

    def record_decision(
        self,
        decision: Decision,
        *,
        environment: str | None,
        service: str | None,
        region: str | None,
        actor: str,
    ) -> AuditEntry:
        """One gate decision in the audit log (what was asked, the answer and why)."""
        body = {
            "environment": environment,
            "service": service,
            "region": region,
            "at": decision.at.isoformat(),
            "level": decision.level.name.lower(),
            "verdict": decision.verdict,
            "reasons": [r.text for r in decision.reasons],
            "override": decision.override.id if decision.override else None,
        }
        with self.catalog.begin() as conn:
            return _append(conn, self.clock(), Action.DECISION, actor, body)

    def entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        with self.catalog.begin() as conn:
            return [_entry(r) for r in audit_entries(conn, after=after, limit=limit)]

    def verify(self, expect_head: str | None = None) -> ChainReport:
        """Whether the whole log's chain holds (and ends at `expect_head` when given)."""
        return audit.verify(self.entries(), expect_head)
