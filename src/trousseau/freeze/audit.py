"""The protection audit trail as a hash chain (pure).

Every decision, override request, approval, revocation and expiry is one entry. An entry's
hash is the SHA-256 of the previous entry's hash and of its own fields in a canonical form
(sorted JSON, UTC instants to the microsecond), so changing any field of any entry, removing
an entry or inserting one breaks every hash after it, and `verify` names the first entry
where the chain no longer holds. Removing the newest entries leaves a shorter chain that
still holds: that is caught by comparing the head with one kept elsewhere (each write returns
the new head; `trousseau freeze audit verify --expect-head` compares).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64
"""The previous hash of the first entry."""


class Action(StrEnum):
    DECISION = "decision"
    REQUEST = "request"
    APPROVE = "approve"
    REVOKE = "revoke"
    EXPIRE = "expire"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    action: Action
    actor: str
    body: Mapping[str, Any]
    prev_hash: str
    hash: str


def _canonical(seq: int, at: datetime, action: str, actor: str, body: Mapping[str, Any]) -> bytes:
    record = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": action,
        "actor": actor,
        "body": body,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    prev_hash: str, seq: int, at: datetime, action: str, actor: str, body: Mapping[str, Any]
) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(_canonical(seq, at, action, actor, body))
    return digest.hexdigest()


def next_entry(
    head: AuditEntry | None, at: datetime, action: Action, actor: str, body: Mapping[str, Any]
) -> AuditEntry:
    """The entry that follows `head` (None: the first entry)."""
    seq = head.seq + 1 if head else 1
    prev = head.hash if head else GENESIS
    body = json.loads(json.dumps(body, sort_keys=True))
    return AuditEntry(
        seq, at, action, actor, body, prev, entry_hash(prev, seq, at, action, actor, body)
    )


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    """The last entry's hash (GENESIS for an empty log)."""
    problem: str | None = None
    """What breaks the chain first, naming the entry; None when it holds."""

    @property
    def holds(self) -> bool:
        return self.problem is None


def verify(entries: Sequence[AuditEntry], expect_head: str | None = None) -> ChainReport:
    """Whether the entries (in seq order) form an unbroken chain from the first one, and end
    at `expect_head` when it is given."""
    prev, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            what = "removed" if entry.seq > expected_seq else "repeated"
            return ChainReport(
                expected_seq - 1,
                prev,
                f"entry {expected_seq} is missing (next is {entry.seq}): entries were {what}",
            )
        if entry.prev_hash != prev:
            return ChainReport(
                entry.seq - 1,
                prev,
                f"entry {entry.seq} does not follow entry {entry.seq - 1}: its previous hash "
                "does not match, an entry before it was changed or replaced",
            )
        recomputed = entry_hash(prev, entry.seq, entry.at, entry.action, entry.actor, entry.body)
        if recomputed != entry.hash:
            return ChainReport(
                entry.seq - 1,
                prev,
                f"entry {entry.seq} ({entry.action} by {entry.actor} at "
                f"{entry.at.isoformat()}) was changed after it was written: its hash does not "
                "match its contents",
            )
        prev, expected_seq = entry.hash, expected_seq + 1
    count = expected_seq - 1
    if expect_head is not None and expect_head != prev:
        return ChainReport(
            count,
            prev,
            f"the chain holds but ends at {prev[:16]}… after {count} entries, not at the "
            f"expected head {expect_head[:16]}…: its newest entries were removed or it was "
            "rewritten",
        )
    return ChainReport(count, prev)
