"""One exception hierarchy for everything trousseau expects to go wrong.

Every message says what happened, to which file or object, and what to do next; the CLI
prints it as one line and exits non-zero, so an expected failure is never a traceback.
"""

from __future__ import annotations


class TrousseauError(Exception):
    """Root of every error trousseau raises on purpose.

    What a caller needs to decide is carried on the class, so every mapping (the queue's
    retry decision, the service's HTTP status) resolves the most specific class:
    `permanent` says that another attempt with the same input cannot succeed (a job goes
    to dead letter at once instead of retrying).
    """

    exit_code: int = 1
    permanent: bool = False


class SettingsError(TrousseauError):
    """Settings are missing, malformed or contradictory."""

    exit_code = 2


class CatalogError(TrousseauError):
    """The catalog database cannot be reached or used."""


class CatalogUnreachable(CatalogError):
    """The catalog URL points to a database that does not answer."""


class CatalogFull(CatalogError):
    """The catalog's disk (or its database's quota) is full: the write was refused, nothing of
    it was kept. Not the database's fault and not a reason to call it unreachable: it answers,
    it has no room. Someone must free space or grow the volume."""


class SchemaOutOfDate(CatalogError):
    """The catalog schema is older (or newer) than this code expects."""


class NotFound(TrousseauError):
    """A named wedding, photo, job or tenant does not exist."""


class InvalidValue(TrousseauError):
    """A value a person or a client gave breaks a rule of the catalog (a slug, a time zone, a
    text holding NUL); the message names the value and the rule."""

    exit_code = 2


class VaultError(TrousseauError):
    """The blob store failed to store or return a blob."""


class VaultFull(VaultError):
    """The vault ran out of space while storing a blob; nothing was kept."""


class VaultReadOnly(VaultError):
    """The vault refused a write (read-only directory, bucket or permissions)."""


class BlobMissing(VaultError):
    """A blob the catalog refers to is absent from the vault."""


class BlobCorrupt(VaultError):
    """A blob's bytes no longer hash to its key."""


class IngestError(TrousseauError):
    """An input could not be accepted as an original."""


class InputMissing(IngestError):
    """A path given to ingest does not exist."""


class InputUnreadable(IngestError):
    """An input exists but cannot be read (permissions, I/O error, not a regular file)."""


class EmptyInput(IngestError):
    """An input file has zero bytes."""


class InputChanged(IngestError):
    """An input changed while it was stored (still being written or copied): not recorded."""


class UnsupportedFormat(IngestError):
    """An input's content is not an image format trousseau accepts."""


class ChecksumMismatch(IngestError):
    """An input's bytes do not hash to the SHA-256 its sender announced; nothing was stored.

    The caller's error (a copy damaged on the way, or a wrong checksum), not the vault's:
    bytes already in the vault that no longer match their key are `BlobCorrupt`.
    """


class ImagingError(TrousseauError):
    """An image could not be decoded or rendered."""


class CorruptImage(ImagingError):
    """An image's bytes are damaged or truncated; retrying will not help."""

    permanent = True


class ImageTooLarge(ImagingError):
    """An image declares more pixels than `imaging.max_pixels`: a decompression bomb, or a
    panorama too large for this worker's memory."""

    permanent = True


class AnalysisError(TrousseauError):
    """Culling or face analysis could not run."""


class ModelUnavailable(AnalysisError):
    """A model file is missing from its package or is not the file trousseau pinned."""


class FacesDisabled(AnalysisError):
    """Face analysis was asked for a wedding that has not opted in."""


class NoFace(AnalysisError):
    """A photo that had to show a face (a selfie) shows none."""


class JobError(TrousseauError):
    """A job could not be run or managed."""


class UnknownJobKind(JobError):
    """A job names a kind that no module registered."""

    permanent = True


class PermanentJobError(JobError):
    """A job failed in a way that retrying cannot fix; it goes straight to dead letter."""

    permanent = True


class LeaseLost(JobError):
    """A worker's lease on a job expired and another worker may have taken it."""


class BackupError(TrousseauError):
    """The backup repository or one of its targets failed; the message names which and why."""


class RepositoryNotFound(BackupError):
    """No backup repository where one was expected (run `trousseau backup init --to TARGET`)."""


class RepositoryExists(BackupError):
    """`backup init` found a repository already there; it was left untouched."""


class WrongPassphrase(BackupError):
    """The passphrase opens none of the repository's key files."""

    permanent = True


class RepositoryCorrupt(BackupError):
    """A repository file is damaged, missing or inconsistent; the message names the file."""

    permanent = True


class RepositoryLocked(BackupError):
    """Another live process holds a lock the operation needs; the message names it."""


class TargetUnavailable(BackupError):
    """A backup target cannot be reached or refused a request; retrying may succeed."""


class TargetFull(BackupError):
    """A backup target has no room: the file being written was not kept (nothing half-written)."""


class RestoreFailed(BackupError):
    """A restore could not write where it was told (not a folder, read-only, a full disk)."""


class WeddingErased(BackupError):
    """The wedding's data key was destroyed (`backup erase`): its data cannot be restored."""

    permanent = True


class FileMissing(RepositoryCorrupt):
    """A repository file that should be on a target is not there (a read of a missing file).

    A kind of RepositoryCorrupt, so whoever handles a damaged file handles a missing one;
    catch FileMissing first where absence is expected (a lock released meanwhile)."""


class FormError(TrousseauError):
    """A PDF could not be read as a form; the message names the file, the cause and what to do.

    Permanent: the same bytes fail the same way, so a job goes to dead letter at once (its
    document is kept for inspection)."""

    permanent = True


class PageTextUnreadable(FormError):
    """pdfium cannot read a PDF's page text, or one of its pages; the message is pdfium's
    reason. Labels from the text are a help: the reader goes on without them."""


class OcrUnavailable(FormError):
    """A scanned page could not be OCRed (Tesseract missing, failing or too slow): the form
    is still read, the page named in a warning."""


class NotAPdf(FormError):
    """The file is not a PDF at all: empty, an image or a text renamed `.pdf`."""


class PdfEncrypted(FormError):
    """The PDF needs a password to be opened (one encrypted for its owner only opens without)."""


class PdfCorrupt(FormError):
    """The PDF is damaged beyond what qpdf can repair; the message carries qpdf's cause."""


class PdfTooLarge(FormError):
    """The PDF is over a limit of the `forms` settings: bytes, pages or reading time."""


class ReplicaMismatch(BackupError):
    """A replica target holds another repository than the primary's; nothing was copied."""

    permanent = True


class ProtectionError(TrousseauError):
    """Deploy protection refused an override action or found its audit trail broken."""


class OverrideRefused(ProtectionError):
    """An override action breaks a rule: its requester approving it, acting on one that is
    no longer pending or in force, a duration beyond the policy's limit."""

    exit_code = 2


class AuditBroken(ProtectionError):
    """The protection audit log's hash chain does not hold: an entry was changed, removed or
    inserted after it was written."""

    exit_code = 5


class WrongRegion(TrousseauError):
    """A wedding's data was sent to a node of another region (data residency)."""

    exit_code = 2

    def __init__(self, message: str, *, region: str, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.region = region
        self.endpoint = endpoint
