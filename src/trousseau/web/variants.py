"""Variant download: the rendered file, verified, cacheable forever, resumable by range.

A variant's bytes never change (the URL names a photo and a profile, the ETag is the blob's
SHA-256), so browsers and CDNs may keep it for a year without asking again; when they do ask,
If-None-Match answers 304 without touching the vault. The blob is re-hashed on every read, so
a damaged file is reported (500) rather than served.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Response

from trousseau.catalog import Photo, Variant, get_photo, variants_of
from trousseau.errors import NotFound, VaultError
from trousseau.web.auth import Caller
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import ErrorBody
from trousseau.web.metrics import MetricsDep
from trousseau.web.photos import PhotoId
from trousseau.web.ranges import byte_range, none_match, strong_etag
from trousseau.web.services import Services, ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["photos"])

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
    "png": "image/png",
    "heif": "image/heif",
    "tiff": "image/tiff",
}
EXTENSIONS = {"jpeg": "jpg"}
CACHE_CONTROL = "private, max-age=31536000, immutable"


def content_type(fmt: str) -> str:
    """The media type of a variant format."""
    return CONTENT_TYPES.get(fmt, "application/octet-stream")


def download_name(original_name: str, profile: str, fmt: str) -> str:
    """`IMG_0001-social.webp` for the social variant of IMG_0001.CR3."""
    stem = original_name.rsplit(".", 1)[0] or "photo"
    return f"{stem}-{profile}.{EXTENSIONS.get(fmt, fmt)}"


def content_disposition(filename: str) -> str:
    """An inline disposition whose file name survives any characters (RFC 6266)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/photos/{photo_id}/variants/{profile}",
    response_class=Response,
    responses={
        200: {
            "description": "the whole file",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in CONTENT_TYPES.values()
            },
        },
        206: {"description": "the requested byte range (Content-Range)"},
        304: {"description": "not modified: If-None-Match named the current ETag"},
        404: {"model": ErrorBody, "description": "no such photo or variant for this tenant"},
        416: {"model": ErrorBody, "description": "the range starts past the end"},
    },
)
def download(
    photo_id: PhotoId,
    profile: str,
    caller: Caller,
    services: ServicesDep,
    instruments: MetricsDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    """Download one variant (ETag, If-None-Match, single byte ranges)."""
    photo, variant = _find(services, caller.tenant_id, photo_id, profile)
    etag = strong_etag(variant.sha256)
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if none_match(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    chosen = byte_range(range_, variant.bytes, if_range=if_range, etag=etag)
    try:
        data = services.vault.get_bytes(variant.sha256)
    except VaultError as exc:
        instruments.vault_failed(exc, "get")
        raise
    headers["Content-Disposition"] = content_disposition(
        download_name(photo.original_name, variant.profile, variant.format)
    )
    media_type = content_type(variant.format)
    if chosen is None:
        return Response(data, media_type=media_type, headers=headers)
    headers["Content-Range"] = chosen.content_range
    body = data[chosen.start : chosen.end + 1]
    return Response(body, status_code=206, media_type=media_type, headers=headers)


def _find(services: Services, tenant_id: int, photo_id: int, profile: str) -> tuple[Photo, Variant]:
    with services.catalog.begin() as conn:
        photo = get_photo(conn, photo_id, tenant_id=tenant_id)
        if photo is None:
            raise NotFound(f"no photo {photo_id} for this tenant: check the id")
        found = [v for v in variants_of(conn, photo.id) if v.profile == profile]
    if not found:
        raise NotFound(
            f"photo {photo_id} has no {profile!r} variant (yet): its `variants` list names "
            "the ones ready"
        )
    return photo, found[0]
