"""The vault blobs the catalog refers to: every original and every variant, by key."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from trousseau.catalog.schema import form_document, photo, variant


class ReferencedBlob(NamedTuple):
    """A blob a catalog row refers to, and which row, in words for a report."""

    sha256: str
    what: str


def referenced_blobs(conn: Connection) -> list[ReferencedBlob]:
    """Every blob a photo, variant or form document row names: originals in photo order,
    then variants, then form documents (their PDFs).

    A key named by several rows is listed once per row, so a report can name each of them.
    Only the three columns needed are read, so a catalog of millions stays cheap to list.
    """
    originals = conn.execute(
        select(photo.c.sha256, photo.c.original_name, photo.c.id).order_by(photo.c.id)
    )
    blobs = [
        ReferencedBlob(sha, f"original {name} (photo {photo_id})")
        for sha, name, photo_id in originals
    ]
    variants = conn.execute(
        select(variant.c.sha256, variant.c.profile, variant.c.photo_id).order_by(variant.c.id)
    )
    blobs += [
        ReferencedBlob(sha, f"{profile} variant of photo {photo_id}")
        for sha, profile, photo_id in variants
    ]
    documents = conn.execute(
        select(form_document.c.sha256, form_document.c.filename, form_document.c.id).order_by(
            form_document.c.id
        )
    )
    blobs += [
        ReferencedBlob(sha, f"form {name} (document {document_id})")
        for sha, name, document_id in documents
    ]
    return blobs


def stored_bytes(conn: Connection) -> int:
    """Bytes the catalog accounts for: every original plus every variant (`/metrics`)."""
    originals = conn.execute(select(func.coalesce(func.sum(photo.c.bytes), 0))).scalar_one()
    variants = conn.execute(select(func.coalesce(func.sum(variant.c.bytes), 0))).scalar_one()
    return int(originals) + int(variants)


class BlobRole(StrEnum):
    """What a blob is to a wedding: the photographer's original, a rendered variant, or a
    vendor's PDF form (a document)."""

    ORIGINAL = "original"
    VARIANT = "variant"
    DOCUMENT = "document"


class WeddingBlob(NamedTuple):
    """A blob one wedding holds, with what a restore needs to put it back under its name."""

    tenant_id: int
    wedding_id: int
    photo_id: int | None
    """The photo an original or variant belongs to; None for a document."""
    sha256: str
    size: int
    role: BlobRole
    name: str
    """The original's file name, `<original stem>.<profile>.<format>` for a variant, the
    PDF's file name for a document."""


def wedding_blobs(
    conn: Connection,
    *,
    wedding_ids: Collection[int] | None = None,
    sha256s: Collection[str] | None = None,
) -> Iterator[WeddingBlob]:
    """The blobs weddings hold (every wedding, or those given): originals, variants, then
    form documents (PDFs).

    `sha256s` narrows the list to the blobs a batch of changes names. A blob shared by two
    weddings (or two rows) is listed once per row: a backup keys it per wedding.
    """
    originals = select(
        photo.c.tenant_id,
        photo.c.wedding_id,
        photo.c.id,
        photo.c.sha256,
        photo.c.bytes,
        photo.c.original_name,
    ).order_by(photo.c.id)
    variants = (
        select(
            photo.c.tenant_id,
            photo.c.wedding_id,
            photo.c.id,
            variant.c.sha256,
            variant.c.bytes,
            photo.c.original_name,
            variant.c.profile,
            variant.c.format,
        )
        .join(photo, photo.c.id == variant.c.photo_id)
        .order_by(variant.c.id)
    )
    documents = select(
        form_document.c.tenant_id,
        form_document.c.wedding_id,
        form_document.c.sha256,
        form_document.c.bytes,
        form_document.c.filename,
    ).order_by(form_document.c.id)
    if wedding_ids is not None:
        originals = originals.where(photo.c.wedding_id.in_(list(wedding_ids)))
        variants = variants.where(photo.c.wedding_id.in_(list(wedding_ids)))
        documents = documents.where(form_document.c.wedding_id.in_(list(wedding_ids)))
    if sha256s is not None:
        originals = originals.where(photo.c.sha256.in_(list(sha256s)))
        variants = variants.where(variant.c.sha256.in_(list(sha256s)))
        documents = documents.where(form_document.c.sha256.in_(list(sha256s)))
    for tenant_id, wedding_id, photo_id, sha, size, name in conn.execute(originals):
        yield WeddingBlob(tenant_id, wedding_id, photo_id, sha, size, BlobRole.ORIGINAL, name)
    for tenant_id, wedding_id, photo_id, sha, size, name, profile, fmt in conn.execute(variants):
        stem = name.rsplit(".", 1)[0] if "." in name else name
        yield WeddingBlob(
            tenant_id, wedding_id, photo_id, sha, size, BlobRole.VARIANT, f"{stem}.{profile}.{fmt}"
        )
    for tenant_id, wedding_id, sha, size, name in conn.execute(documents):
        yield WeddingBlob(tenant_id, wedding_id, None, sha, size, BlobRole.DOCUMENT, name)
