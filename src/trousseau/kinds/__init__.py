"""Job kinds: the glue that runs a package's work on the queue.

Every kind is named here, once, as a `Kind`, and registered here with the function that
runs it (and, for a kind that follows another about the same subject, which one). Importing
this package registers them; workers import it in every job process (`jobs.kind_modules`),
and ingest names the first kind of a new photo through `Kind`.
"""

from enum import StrEnum

from trousseau.jobs import register, register_batch


class Kind(StrEnum):
    """The job kinds trousseau runs (the `kind` column of the job table)."""

    VARIANTS = "variants"
    """Every enabled variant profile of a photo, rendered once, stored and recorded."""

    FORMS = "forms"
    """A vendor's PDF form read into fields, its report recorded on its document."""

    BACKUP_RESTORE = "backup-restore"
    """A wedding's or a photo's blobs put back into the vault from a backup snapshot."""

    FACES = "faces"
    """A photo's faces found, embedded and joined to the wedding's persons (after its
    variants, only for weddings that opted in)."""

    QUALITY = "quality"
    """A photo's culling signals (sharpness, blur, exposure, noise, keep_score, difference
    hash) measured from a variant and stored (after its variants, unless analysis.culling
    is off)."""


FIRST_FOR_PHOTO = Kind.VARIANTS
"""The kind a newly accepted photo is enqueued for; what follows it is enqueued by it."""

FIRST_FOR_DOCUMENT = Kind.FORMS
"""The kind a newly submitted form document (PDF) is enqueued for."""

register(Kind.VARIANTS, "trousseau.kinds.variants:run")
register_batch(Kind.VARIANTS, "trousseau.kinds.variants:run_batch")
register(Kind.FORMS, "trousseau.kinds.forms:run")
register(Kind.BACKUP_RESTORE, "trousseau.kinds.backups:run")
register(
    Kind.FACES,
    "trousseau.kinds.faces:run",
    follows=Kind.VARIANTS,
    when="trousseau.kinds.faces:wanted",
)
register(
    Kind.QUALITY,
    "trousseau.kinds.quality:run",
    follows=Kind.VARIANTS,
    when="trousseau.kinds.quality:wanted",
)

# After `Kind`: the kinds' own modules name themselves through it.
from trousseau.kinds.backups import (  # noqa: E402
    RestoreOutcome,
    RestoreRequest,
    RestoreRequested,
    request_restore,
    restore_outcome,
)

__all__ = [
    "FIRST_FOR_DOCUMENT",
    "FIRST_FOR_PHOTO",
    "Kind",
    "RestoreOutcome",
    "RestoreRequest",
    "RestoreRequested",
    "request_restore",
    "restore_outcome",
]
