"""Uploads: an original arrives over HTTP, is verified, and only then becomes durable.

The road is the same for every way a file can arrive. The bytes land in the spool, then
`complete_upload` hands the file to `ingest.accept`, the road of every original: it sniffs
the format once, stores the original in the vault (fsync'd, checked against the client's
checksum) and records the photo and its job in one transaction. A failed check (empty,
checksum, format) raises its typed error and stores nothing; the same bytes sent again to
the same wedding return the photo already there. The single-request upload below fills the
spool in one request; a resumable (tus) upload fills it over several and then calls
`complete_upload` the same way.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import unicodedata
from functools import partial
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

import anyio.to_thread
from fastapi import APIRouter, Header, Request, Response
from starlette.requests import ClientDisconnect

from trousseau.catalog import Wedding, get_wedding
from trousseau.errors import ChecksumMismatch, IngestError, UnsupportedFormat, VaultError
from trousseau.ingest import Accepted, accept
from trousseau.web.auth import Caller
from trousseau.web.bodies import own_body_limit
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import ErrorBody
from trousseau.web.headers import header_text
from trousseau.web.metrics import Metrics, MetricsDep
from trousseau.web.photos import PhotoOut, load_photo
from trousseau.web.services import Services, ServicesDep
from trousseau.web.uploads.spool import Received, check_declared_size, receive

log = logging.getLogger("trousseau.web.uploads")

router = APIRouter(prefix=API_PREFIX, tags=["photos"])

MAX_NAME_BYTES = 255
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_EXT_VALUE = re.compile(r"(utf-8|iso-8859-1)'[a-z0-9-]*'(.*)", re.ASCII | re.IGNORECASE | re.DOTALL)
"""RFC 5987's `charset'language'percent-encoded`, as in Content-Disposition's filename*."""
ACCEPTED_TYPES = "application/octet-stream or image/*"


def original_name(header: str | None) -> str:
    """The file name to record, from X-Filename: as text, percent-encoded UTF-8, or RFC 5987.

    Only the last path component is kept, control characters are dropped, and the name is cut
    to 255 UTF-8 bytes keeping its extension, so any client string is a safe file name. Raw
    UTF-8 bytes on the wire are read back by `header_text` before this, in the route.
    """
    if header is None or not header.strip():
        raise IngestError("send the photo's file name in the X-Filename header")
    extended = _EXT_VALUE.fullmatch(header.strip())
    if extended is not None:
        name = unquote(extended.group(2), encoding=extended.group(1), errors="replace")
    else:
        name = unquote(header.strip(), errors="replace")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if name in ("", ".", ".."):
        raise IngestError(
            f"X-Filename {header[:100]!r} names no file: send a name like IMG_0001.JPG"
        )
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = name, ""
    keep = MAX_NAME_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    stem = stem.encode("utf-8")[:keep].decode("utf-8", errors="ignore")
    return f"{stem}.{ext}" if ext else stem


def expected_sha256(
    *, digest: str | None = None, repr_digest: str | None = None, checksum: str | None = None
) -> str | None:
    """The SHA-256 (hex) the client announced, from any of the headers it may use.

    `X-Checksum-SHA256: <hex>`, `Digest: sha-256=<base64>` (RFC 3230) and
    `Repr-Digest: sha-256=:<base64>:` (RFC 9530) are understood; other algorithms are ignored.
    Malformed values are a client error; announced values that disagree are a mismatch.
    """
    found: set[str] = set()
    if checksum is not None:
        if not _HEX_SHA256.fullmatch(checksum.strip()):
            raise IngestError("X-Checksum-SHA256 must be the 64 hex characters of the SHA-256")
        found.add(checksum.strip().lower())
    for header, value in (("Digest", digest), ("Repr-Digest", repr_digest)):
        for algorithm, encoded in _digest_items(value):
            if algorithm == "sha-256":
                found.add(_decode_sha256(header, encoded))
    if len(found) > 1:
        raise ChecksumMismatch(
            "the checksum headers disagree with each other: send one SHA-256; nothing was stored"
        )
    return found.pop() if found else None


def _digest_items(value: str | None) -> list[tuple[str, str]]:
    if not value:
        return []
    items = []
    for part in value.split(","):
        algorithm, sep, encoded = part.strip().partition("=")
        if sep:
            items.append((algorithm.strip().lower(), encoded.strip().strip(":")))
    return items


def _decode_sha256(header: str, encoded: str) -> str:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise IngestError(f"{header} sha-256 must be the base64 of the 32-byte SHA-256")
    return raw.hex()


def check_content_type(value: str | None) -> None:
    """UnsupportedFormat unless the body is declared as raw bytes or an image."""
    media = (value or "application/octet-stream").split(";", 1)[0].strip().lower()
    if media == "application/octet-stream" or media.startswith("image/"):
        return
    raise UnsupportedFormat(
        f"Content-Type {media!r} is not accepted: send the photo's raw bytes as the body "
        f"with Content-Type {ACCEPTED_TYPES}"
    )


@router.post(
    "/weddings/{slug}/photos",
    response_model=PhotoOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the photo's bytes, as they came off the card",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "image/*": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses={
        200: {"model": PhotoOut, "description": "the same bytes were already uploaded"},
        400: {"model": ErrorBody, "description": "empty body or malformed headers"},
        404: {"model": ErrorBody, "description": "no such wedding for this tenant"},
        413: {"model": ErrorBody, "description": "larger than the upload limit"},
        415: {"model": ErrorBody, "description": "not an image format trousseau accepts"},
        422: {"model": ErrorBody, "description": "checksum mismatch; nothing was stored"},
    },
)
@own_body_limit  # streamed to the spool, bounded by web.max_upload_bytes
async def upload(
    slug: str,
    request: Request,
    response: Response,
    caller: Caller,
    services: ServicesDep,
    instruments: MetricsDep,
    x_filename: Annotated[
        str | None,
        Header(description="the original file name: UTF-8, percent-encoded, or UTF-8''<pct>"),
    ] = None,
    x_checksum_sha256: Annotated[str | None, Header(description="SHA-256, hex")] = None,
    digest: Annotated[str | None, Header(description="sha-256=<base64>")] = None,
    repr_digest: Annotated[str | None, Header(description="sha-256=:<base64>:")] = None,
) -> PhotoOut:
    """Upload one original in a single request (201 new, 200 already there)."""
    name = original_name(None if x_filename is None else header_text(x_filename))
    expected = expected_sha256(digest=digest, repr_digest=repr_digest, checksum=x_checksum_sha256)
    check_content_type(request.headers.get("content-type"))
    limit = services.config.max_upload_bytes
    check_declared_size(request.headers.get("content-length"), limit)
    wedding = await anyio.to_thread.run_sync(tenant_wedding, services, caller.tenant_id, slug)
    entry = services.spool.entry(name)
    try:
        received = await _receive(request, entry.path, name=name, limit=limit)
        instruments.upload_bytes.inc(received.size)
        done = await anyio.to_thread.run_sync(
            partial(
                complete_upload,
                services,
                instruments,
                received.path,
                name=name,
                expected=expected,
                wedding=wedding,
            )
        )
    finally:
        await anyio.to_thread.run_sync(entry.discard)
    response.status_code = 201 if done.created else 200
    response.headers["Location"] = f"{API_PREFIX}/photos/{done.photo_id}"
    return await anyio.to_thread.run_sync(load_photo, services, caller.tenant_id, done.photo_id)


async def _receive(request: Request, path: Path, *, name: str, limit: int) -> Received:
    try:
        return await receive(request.stream(), path, limit=limit)
    except ClientDisconnect:
        raise IngestError(
            f"the client disconnected before {name} was complete: nothing was stored"
        ) from None


def complete_upload(
    services: Services,
    instruments: Metrics,
    path: Path,
    *,
    name: str,
    expected: str | None,
    wedding: Wedding,
) -> Accepted:
    """Accept the complete upload at `path` (in the spool) as an original of `wedding`.

    One call of `ingest.accept`, which hashes the bytes as it stores them: the spool's own
    hash is not needed.

    Durable, recorded and enqueued before this returns, or a typed error with nothing
    stored: EmptyInput, UnsupportedFormat, ChecksumMismatch when `expected` (the client's
    SHA-256) is not the bytes'. Vault failures are counted in the metrics too.
    """
    try:
        done = accept(
            path,
            name=name,
            expected_sha256=expected,
            wedding=wedding,
            catalog=services.catalog,
            vault=services.vault,
            settings=services.settings,
            clock=services.clock,
        )
    except VaultError as exc:
        instruments.vault_failed(exc, "put")
        raise
    for warning in done.warnings:
        log.warning("photo %s of wedding %s: %s", done.photo_id, wedding.slug, warning)
    return done


def tenant_wedding(services: Services, tenant_id: int, slug: str) -> Wedding:
    """The tenant's wedding, or NotFound."""
    with services.catalog.begin() as conn:
        return get_wedding(conn, tenant_id, slug)
