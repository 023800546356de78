"""Photos: the originals of a wedding with their state, placeholder, colours and variants."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from trousseau.catalog import (
    Photo,
    PhotoState,
    Variant,
    get_photo,
    get_wedding,
    page_photos,
    variants_by_photo,
    variants_of,
    wedding_slug,
)
from trousseau.errors import NotFound
from trousseau.web.auth import Caller
from trousseau.web.config import API_PREFIX, MAX_ID
from trousseau.web.cursors import decode_cursor, encode_cursor
from trousseau.web.errors import ErrorBody
from trousseau.web.services import Services, ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["photos"])

MAX_PAGE = 200
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID)]


class VariantOut(BaseModel):
    profile: str
    format: str
    width: int
    height: int
    bytes: int
    sha256: str
    url: str = Field(description="where to download it (with this API key)")

    @classmethod
    def of(cls, v: Variant) -> VariantOut:
        return cls(
            profile=v.profile,
            format=v.format,
            width=v.width,
            height=v.height,
            bytes=v.bytes,
            sha256=v.sha256,
            url=variant_url(v.photo_id, v.profile),
        )


class PhotoOut(BaseModel):
    id: int
    wedding: str = Field(description="the wedding's slug")
    original_name: str
    sha256: str = Field(description="SHA-256 of the original's bytes")
    bytes: int
    format: str
    width: int | None
    height: int | None
    captured_at: dt.datetime | None = Field(description="camera time, no time zone")
    camera: str | None
    state: PhotoState = Field(description="stored, then processed; or failed (see error)")
    error: str | None
    placeholder: str | None = Field(description="ThumbHash, base64, once processed")
    colours: list[dict[str, Any]] | None = Field(description="dominant colours, once processed")
    variants: list[VariantOut]

    @classmethod
    def of(cls, photo: Photo, wedding: str, variants: list[Variant]) -> PhotoOut:
        return cls(
            id=photo.id,
            wedding=wedding,
            original_name=photo.original_name,
            sha256=photo.sha256,
            bytes=photo.bytes,
            format=photo.format,
            width=photo.width,
            height=photo.height,
            captured_at=photo.captured_at,
            camera=photo.camera,
            state=photo.state,
            error=photo.error,
            placeholder=photo.placeholder,
            colours=photo.colours,
            variants=[VariantOut.of(v) for v in variants],
        )


class PhotoPage(BaseModel):
    items: list[PhotoOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


def variant_url(photo_id: int, profile: str) -> str:
    return f"{API_PREFIX}/photos/{photo_id}/variants/{profile}"


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such wedding or photo for this tenant"}
}


@router.get("/weddings/{slug}/photos", response_model=PhotoPage, responses=_NOT_FOUND)
def list_photos(
    slug: str,
    caller: Caller,
    services: ServicesDep,
    state: PhotoState | None = None,
    since: Annotated[int, Query(ge=0, le=MAX_ID, description="only photos with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> PhotoPage:
    """A wedding's photos in id order (upload order), a page at a time, with their variants."""
    after = max(since, decode_cursor(cursor)) if cursor else since
    with services.catalog.begin() as conn:
        wedding = get_wedding(conn, caller.tenant_id, slug)
        photos = page_photos(
            conn,
            tenant_id=caller.tenant_id,
            wedding_id=wedding.id,
            after=after,
            state=state,
            limit=limit + 1,
        )
        page = photos[:limit]
        variants = variants_by_photo(conn, [p.id for p in page])
    more = len(photos) > limit
    return PhotoPage(
        items=[PhotoOut.of(p, wedding.slug, variants.get(p.id, [])) for p in page],
        next_cursor=encode_cursor(page[-1].id) if more else None,
    )


def load_photo(services: Services, tenant_id: int, photo_id: int) -> PhotoOut:
    """The tenant's photo as the API shows it, or NotFound (never another tenant's)."""
    with services.catalog.begin() as conn:
        photo = get_photo(conn, photo_id, tenant_id=tenant_id)
        if photo is None:
            raise NotFound(f"no photo {photo_id} for this tenant: check the id")
        slug = wedding_slug(conn, tenant_id=tenant_id, wedding_id=photo.wedding_id)
        variants = variants_of(conn, photo.id)
    return PhotoOut.of(photo, slug or "", variants)


@router.get("/photos/{photo_id}", response_model=PhotoOut, responses=_NOT_FOUND)
def read(photo_id: PhotoId, caller: Caller, services: ServicesDep) -> PhotoOut:
    """One photo with its variants."""
    return load_photo(services, caller.tenant_id, photo_id)
