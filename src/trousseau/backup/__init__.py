"""Backup: a snapshot repository for the vault's originals and the catalog.

Vocabulary (restic's, where it has a word for it):

repository  where backups live: a directory or an S3-compatible bucket prefix (a *target*),
            replicated to N targets; it holds key files, packs, indexes, snapshots, locks
key file    the master key, sealed by a key derived from the passphrase (scrypt)
chunk       a content-defined piece of a blob (FastCDC), named by a keyed hash of its bytes,
            compressed (zstd, when it helps) and encrypted (AES-256-GCM)
data key    each wedding's own key; its chunks are readable only through it, so destroying it
            erases the wedding from every snapshot and replica (crypto-shredding)
pack        a file of many encrypted chunks with an encrypted header listing them
index       which pack holds each chunk, so a backup writes only chunks it has not stored
snapshot    an immutable manifest: what the vault and the catalog held at one moment
lock        a file naming its holder (host, process): shared for backup, exclusive for prune
change      a vault blob or catalog row written since the last backup (the change log), so a
            run touches only what changed
"""

from trousseau.backup.catalogdump import CatalogDump, dump_catalog, restore_catalog
from trousseau.backup.config import (
    create_backup,
    open_backup,
    passphrase_of,
    primary_target,
    replica_targets,
)
from trousseau.backup.erasure import WeddingErasure, erase_wedding
from trousseau.backup.health import BackupHealth, BackupState, RepositoryHealth, backup_health
from trousseau.backup.locks import LockKind, acquire, list_locks, remove_stale
from trousseau.backup.prune import (
    ForgetReport,
    PackAction,
    PrunePlan,
    PruneProgress,
    PruneReport,
    PruneStage,
    SnapshotFate,
    SnapshotForgotten,
    forget,
    plan_prune,
)
from trousseau.backup.prune import prune as prune_repository
from trousseau.backup.replicas import (
    ReplicaReport,
    WeddingCopies,
    copies_from_settings,
    copies_report,
    gather_copies,
    replicate,
)
from trousseau.backup.repository import (
    Repository,
    RepositoryStats,
    init_repository,
    open_repository,
)
from trousseau.backup.restores import (
    BlobRestored,
    RestoreReport,
    find_snapshot,
    restore,
)
from trousseau.backup.retention import ForgetPlan, Retention, plan_forget
from trousseau.backup.runs import (
    FOLLOW_BUDGET,
    BackupEvent,
    BlobBackedUp,
    CatalogDumped,
    RunReport,
    SnapshotSaved,
    owner_names,
    repository_key,
    run_backup,
    up_to_date,
)
from trousseau.backup.snapshots import BlobEntry, BlobRole, DumpEntry, Snapshot, WeddingRef
from trousseau.backup.status import BackupStatus, backup_status
from trousseau.backup.targets import Target, open_target
from trousseau.backup.tiers import (
    DEFAULT_RESTORE_MBPS,
    RETRIEVAL,
    DatedWedding,
    Tier,
    TiersReport,
    aws_command,
    lifecycle_configuration,
    merge_lifecycle,
    s3_location,
    tier_of,
    tiers_report,
)
from trousseau.backup.verify import VerifyProgress, VerifyReport, record_verification
from trousseau.backup.verify import verify as verify_repository
from trousseau.backup.walarchive import (
    ArchiveConfig,
    CatalogServer,
    S3Repository,
    archive_config,
    catalog_server,
    s3_repository,
)

__all__ = [
    "DEFAULT_RESTORE_MBPS",
    "FOLLOW_BUDGET",
    "RETRIEVAL",
    "ArchiveConfig",
    "BackupEvent",
    "BackupHealth",
    "BackupState",
    "BackupStatus",
    "BlobBackedUp",
    "BlobEntry",
    "BlobRestored",
    "BlobRole",
    "CatalogDump",
    "CatalogDumped",
    "CatalogServer",
    "DatedWedding",
    "DumpEntry",
    "ForgetPlan",
    "ForgetReport",
    "LockKind",
    "PackAction",
    "PrunePlan",
    "PruneProgress",
    "PruneReport",
    "PruneStage",
    "ReplicaReport",
    "Repository",
    "RepositoryHealth",
    "RepositoryStats",
    "RestoreReport",
    "Retention",
    "RunReport",
    "S3Repository",
    "Snapshot",
    "SnapshotFate",
    "SnapshotForgotten",
    "SnapshotSaved",
    "Target",
    "Tier",
    "TiersReport",
    "VerifyProgress",
    "VerifyReport",
    "WeddingCopies",
    "WeddingErasure",
    "WeddingRef",
    "acquire",
    "archive_config",
    "aws_command",
    "backup_health",
    "backup_status",
    "catalog_server",
    "copies_from_settings",
    "copies_report",
    "create_backup",
    "dump_catalog",
    "erase_wedding",
    "find_snapshot",
    "forget",
    "gather_copies",
    "init_repository",
    "lifecycle_configuration",
    "list_locks",
    "merge_lifecycle",
    "open_backup",
    "open_repository",
    "open_target",
    "owner_names",
    "passphrase_of",
    "plan_forget",
    "plan_prune",
    "primary_target",
    "prune_repository",
    "record_verification",
    "remove_stale",
    "replica_targets",
    "replicate",
    "repository_key",
    "restore",
    "restore_catalog",
    "run_backup",
    "s3_location",
    "s3_repository",
    "tier_of",
    "tiers_report",
    "up_to_date",
    "verify_repository",
]
