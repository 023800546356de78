"""Submitting a vendor's PDF form: sniff, store, record and enqueue — one document, one
transaction.

`submit_document` is the one road for a form, from the CLI (`trousseau forms submit`) or an
HTTP upload. The bytes are refused early when they are over `forms.max_bytes` (PdfTooLarge)
or not a PDF at all (NotAPdf, naming what they look like); anything else that starts like a
PDF is kept: the blob is made durable in the vault first, then the document is recorded and
its `forms` job enqueued in one catalog transaction, with the wedding's delivery deadline as
a photo's. A PDF that turns out encrypted or damaged fails in its job and stays in the vault
for inspection. The same bytes sent again to the same wedding give back the document
already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from trousseau.catalog import Catalog, FormDocument, Wedding, find_document, insert_document
from trousseau.clock import Clock
from trousseau.errors import InputMissing, InputUnreadable, PdfTooLarge
from trousseau.ingest.sources import file_name_text
from trousseau.jobs import NewJob, deadline_for, enqueue
from trousseau.kinds import FIRST_FOR_DOCUMENT
from trousseau.settings import Settings
from trousseau.vault import Vault

DOCUMENT_KIND = FIRST_FOR_DOCUMENT
"""The job every new form document gets: reading its fields."""


@dataclass(frozen=True)
class Submitted:
    """What submitting one PDF did."""

    document_id: int
    """The wedding's document with these bytes: the new one, or the one already there."""
    sha256: str
    size: int
    created: bool
    """False when the wedding already held the same bytes: nothing new was recorded."""
    filename: str
    """The name the document is recorded under (for a duplicate, the earlier file's)."""


def check_pdf(name: str, data: bytes, settings: Settings) -> None:
    """Refuse, before anything is stored, bytes over `forms.max_bytes` (PdfTooLarge) or that
    are not a PDF (NotAPdf, naming what they look like)."""
    limit = settings.forms.max_bytes
    if len(data) > limit:
        raise PdfTooLarge(
            f"{name} is {len(data):,} bytes, over the limit of {limit:,} (forms.max_bytes): "
            "nothing was stored; split the document or raise the limit"
        )
    from trousseau.forms import sniff_pdf  # here: a card of photos needs no PDF reader (0.16 s)

    sniff_pdf(name, data)


def submit_document(
    source: Path | bytes,
    *,
    wedding: Wedding,
    catalog: Catalog,
    vault: Vault,
    settings: Settings,
    clock: Clock,
    name: str | None = None,
    sla: str | None = None,
) -> Submitted:
    """Submit one PDF form to `wedding`: checked, durable in the vault, recorded, its `forms`
    job enqueued under the wedding's delivery SLA (or `sla`).

    `name` is the name to record, the file's by default; bytes must be given one. Raises,
    with nothing stored: PdfTooLarge, NotAPdf, InputMissing or InputUnreadable. A failing
    vault or catalog raises its own error; a blob stored before the catalog failed is found
    again by its hash on the next try, or collected as an orphan (`trousseau verify`).
    """
    if isinstance(source, bytes):
        if not name:
            raise ValueError("submit_document(bytes) needs the file's name: name='form.pdf'")
        data = source
    else:
        name = name or file_name_text(source)
        data = _read(source, settings.forms.max_bytes)
    settings.residency.guard(wedding.slug, wedding.region)
    check_pdf(name, data, settings)
    catalog.check_writable()
    blob = vault.put_bytes(data)
    sla = sla or wedding.delivery_sla
    delay = settings.sla_delay(sla)
    now = clock()
    try:
        with catalog.begin() as conn:
            existing = find_document(
                conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id, sha256=blob.sha256
            )
            if existing is not None:
                return _duplicate(existing)
            deadline = deadline_for(sla, now, {sla: delay})
            document_id = insert_document(
                conn,
                tenant_id=wedding.tenant_id,
                wedding_id=wedding.id,
                sha256=blob.sha256,
                filename=name,
                size=blob.size,
                now=now,
                deadline=deadline,
            )
            enqueue(
                conn,
                NewJob(
                    kind=DOCUMENT_KIND,
                    payload={"document_id": document_id},
                    sla=sla,
                    deadline=deadline,
                    max_attempts=settings.jobs.max_attempts,
                    key=f"{DOCUMENT_KIND}:document:{document_id}",
                    tenant_id=wedding.tenant_id,
                    wedding_id=wedding.id,
                ),
                now=now,
            )
    except IntegrityError:
        # Another submission recorded the same bytes between our check and our insert.
        with catalog.begin() as conn:
            existing = find_document(
                conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id, sha256=blob.sha256
            )
        if existing is None:
            raise
        return _duplicate(existing)
    return Submitted(document_id, blob.sha256, blob.size, True, name)


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused as PdfTooLarge above `max_bytes` before they are read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PdfTooLarge(
                f"{path.name} is {size:,} bytes, over the limit of {max_bytes:,} "
                "(forms.max_bytes): nothing was stored; split the document or raise the limit"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InputMissing(f"{path} does not exist: check the path") from None
    except OSError as exc:
        raise InputUnreadable(f"{path} cannot be read ({exc.strerror}): check it") from None


def _duplicate(existing: FormDocument) -> Submitted:
    return Submitted(existing.id, existing.sha256, existing.bytes, False, existing.filename)
