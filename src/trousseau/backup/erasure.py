"""Erasing a wedding everywhere trousseau keeps it: backups, catalog, vault.

An erasure request (GDPR) is answered in this order, each step safe to run again:
1. the backups: the wedding's data key is destroyed (`Repository.erase_wedding`), so it is
   unreadable in every snapshot and replica that takes the erasure (`backup replicate`);
2. the catalog: the wedding's jobs, photos, variants, uploads, events and change-log rows,
   in one transaction, which also says which blobs no other wedding names;
3. the vault: those blobs are deleted. A blob another wedding also holds stays.
A crash between 2 and 3 leaves orphan blobs, which `trousseau verify` reports and
`--collect-orphans` removes. An event `wedding.erased` records the counts and the backup
audit record's id, never the wedding's names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from trousseau.backup.repository import Repository
from trousseau.catalog import Catalog, EventKind, erase_wedding_rows, record_event
from trousseau.clock import Clock
from trousseau.jobs import forget_wedding_jobs
from trousseau.vault import Vault


@dataclass(frozen=True)
class WeddingErasure:
    """What an erasure did, for the operator and the audit trail."""

    audit_records: tuple[str, ...]
    photos: int
    variants: int
    jobs: int
    blobs_deleted: int
    blobs_kept: int
    """Blobs of the wedding another wedding also holds: they stay in the vault."""


def erase_wedding(
    catalog: Catalog,
    vault: Vault,
    repositories: Sequence[Repository],
    *,
    tenant_id: int,
    wedding_id: int,
    clock: Clock,
    by: str = "",
) -> WeddingErasure:
    """Erase the wedding from every repository given, then the catalog, then the vault."""
    records = [
        repo.erase_wedding(str(tenant_id), str(wedding_id), clock=clock, by=by).id
        for repo in repositories
    ]
    with catalog.begin() as conn:
        jobs = forget_wedding_jobs(conn, wedding_id)
        rows = erase_wedding_rows(conn, tenant_id=tenant_id, wedding_id=wedding_id)
        named = rows.unreferenced
        record_event(
            conn,
            EventKind.WEDDING_ERASED,
            f"wedding {wedding_id} erased: {rows.photos} photos, {rows.variants} variants",
            now=clock(),
            tenant_id=tenant_id,
            data={"photos": rows.photos, "variants": rows.variants, "audit": records},
        )
    deleted = 0
    anytime = datetime.max.replace(tzinfo=UTC)  # every blob named, however recently stored
    for sha256 in named:
        if vault.collect(sha256, stored_before=anytime) is not None:
            deleted += 1
    return WeddingErasure(
        audit_records=tuple(records),
        photos=rows.photos,
        variants=rows.variants,
        jobs=jobs,
        blobs_deleted=deleted,
        blobs_kept=rows.shared,
    )
