"""Content-addressed blob store: every original, keyed by the SHA-256 of its bytes.

The first promise of trousseau is that no acknowledged photo is ever lost. A vault keeps its
side of it: a put returns only once the blob is complete, durable and hash-checked; a stored
blob is never modified or replaced; every read can prove the bytes still match their key.

    vault = open_vault("file:///srv/trousseau/vault")     # or s3://bucket/prefix, memory://
    info = vault.put_file(Path("DSC_0001.NEF"), expected_sha256=hash_from_client)
    data = vault.get_bytes(info.sha256)                    # BlobCorrupt if the bytes rotted
"""

from trousseau.vault.blob import BlobInfo, StoredBlob
from trousseau.vault.derived import put_derived
from trousseau.vault.partials import PartialWrite
from trousseau.vault.protocol import Vault
from trousseau.vault.url import open_vault
from trousseau.vault.verification import (
    BlobChecked,
    BlobRef,
    BlobStatus,
    BlobUnreferenced,
    OrphanCollected,
    PartialSummary,
    VerifyCounts,
    VerifyEvent,
    VerifyFinished,
    collect_orphans,
    summarise_partials,
    verify_blobs,
)

__all__ = [
    "BlobChecked",
    "BlobInfo",
    "BlobRef",
    "BlobStatus",
    "BlobUnreferenced",
    "OrphanCollected",
    "PartialSummary",
    "PartialWrite",
    "StoredBlob",
    "Vault",
    "VerifyCounts",
    "VerifyEvent",
    "VerifyFinished",
    "collect_orphans",
    "open_vault",
    "put_derived",
    "summarise_partials",
    "verify_blobs",
]
