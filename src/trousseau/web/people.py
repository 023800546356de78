"""People: the guests found in a wedding's photos (opt-in weddings only), and find-me.

Faces are found by the `faces` jobs that follow each photo's variants; these routes read
what they stored, name or forget a person, and rank the wedding's photos against a selfie.
Embeddings never leave the server: a face is its photo, box and person.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import ClientDisconnect

from trousseau.analysis import require_faces
from trousseau.catalog import (
    Wedding,
    forget_person,
    get_wedding,
    load_persons,
    merge_persons,
    name_person,
    photos_of_persons,
    scan_failures,
    split_person,
    wedding_faces,
)
from trousseau.errors import ImagingError, InvalidValue
from trousseau.web.auth import Caller
from trousseau.web.bodies import own_body_limit
from trousseau.web.config import API_PREFIX, MAX_ID
from trousseau.web.errors import ErrorBody, PayloadTooLarge
from trousseau.web.services import Services, ServicesDep
from trousseau.web.weddings import StorableText

router = APIRouter(prefix=API_PREFIX, tags=["people"])
SELFIE_MAX_BYTES = 25 * 2**20
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]
FaceId = Annotated[int, Field(ge=1, le=MAX_ID)]
_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such wedding (or person) for this key"},
    409: {"model": ErrorBody, "description": "the wedding did not opt in to face analysis"},
}

_CHANGES: dict[int | str, dict[str, Any]] = {
    **_ANSWERS,
    422: {"model": ErrorBody, "description": "a person merged into itself, or faces not its own"},
}


class FaceOut(BaseModel):
    id: int = Field(description="the face, for splitting it off its person")
    photo: str = Field(description="the original's file name")
    box: list[int] = Field(description="[x0, y0, x1, y1] in the upright original's pixels")
    person: int | None


class PersonOut(BaseModel):
    id: int
    name: str | None
    faces: int
    photos: list[str]


class FailedOut(BaseModel):
    photo: str
    reason: str


class PeopleOut(BaseModel):
    wedding: str
    persons: list[PersonOut]
    faces: list[FaceOut]
    failed: list[FailedOut] = Field(description="photos whose faces could not be looked for")


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StorableText | None = Field(None, max_length=200, examples=["Grandma Ada"])


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other: int = Field(
        ge=1, le=MAX_ID, description="the person that is the same guest: it is merged into this one"
    )


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    faces: list[FaceId] = Field(
        min_length=1, max_length=10_000, description="the faces that are another guest"
    )


class MatchOut(BaseModel):
    photo_id: int
    photo: str
    confidence: float = Field(description="cosine likeness of the photo's best face, 0..1")


class FindMeOut(BaseModel):
    wedding: str
    photos: list[MatchOut]


def _opted_in(services: Services, tenant_id: int, slug: str) -> Wedding:
    with services.catalog.begin() as conn:
        wedding = get_wedding(conn, tenant_id, slug)
    require_faces(wedding)
    return wedding


def _people(services: Services, tenant_id: int, slug: str) -> PeopleOut:
    wedding = _opted_in(services, tenant_id, slug)
    with services.catalog.begin() as conn:
        faces = wedding_faces(conn, wedding.id)
        persons = load_persons(conn, wedding.id)
        failures = scan_failures(conn, wedding.id)
    photos = photos_of_persons(faces)
    return PeopleOut(
        wedding=wedding.slug,
        persons=[
            PersonOut(
                id=p.id,
                name=p.name,
                faces=p.faces,
                photos=[name for _, name in photos.get(p.id, [])],
            )
            for p in sorted(persons, key=lambda p: (-p.faces, p.id))
        ],
        faces=[
            FaceOut(
                id=r.id, photo=r.original_name, box=[round(v) for v in r.box], person=r.person_id
            )
            for r in faces
        ],
        failed=[FailedOut(photo=photo, reason=reason) for photo, reason in failures],
    )


@router.get("/weddings/{slug}/people", response_model=PeopleOut, responses=_ANSWERS)
def people(slug: str, caller: Caller, services: ServicesDep) -> PeopleOut:
    """Every face found in the wedding's photos and each person's photos."""
    return _people(services, caller.tenant_id, slug)


@router.patch("/weddings/{slug}/people/{person_id}", response_model=PeopleOut, responses=_ANSWERS)
def rename(
    slug: str, person_id: PersonId, body: PersonIn, caller: Caller, services: ServicesDep
) -> PeopleOut:
    """Name (or, with null, un-name) one of the wedding's persons."""
    wedding = _opted_in(services, caller.tenant_id, slug)
    with services.catalog.begin() as conn:
        name_person(conn, wedding.id, person_id, body.name)
    return _people(services, caller.tenant_id, slug)


@router.delete("/weddings/{slug}/people/{person_id}", status_code=204, responses=_ANSWERS)
def forget(slug: str, person_id: PersonId, caller: Caller, services: ServicesDep) -> Response:
    """Forget a person: its faces and their embeddings are deleted."""
    wedding = _opted_in(services, caller.tenant_id, slug)
    with services.catalog.begin() as conn:
        forget_person(conn, wedding.id, person_id)
    return Response(status_code=204)


@router.post(
    "/weddings/{slug}/people/{person_id}/merge", response_model=PeopleOut, responses=_CHANGES
)
def merge(
    slug: str, person_id: PersonId, body: MergeIn, caller: Caller, services: ServicesDep
) -> PeopleOut:
    """One guest found as two: `other`'s faces join this person, and `other` is gone."""
    wedding = _opted_in(services, caller.tenant_id, slug)
    with services.catalog.begin() as conn:
        merge_persons(conn, wedding.id, person_id, body.other)
    return _people(services, caller.tenant_id, slug)


@router.post(
    "/weddings/{slug}/people/{person_id}/split", response_model=PeopleOut, responses=_CHANGES
)
def split(
    slug: str, person_id: PersonId, body: SplitIn, caller: Caller, services: ServicesDep
) -> PeopleOut:
    """Two guests found as one: the faces named become a new person."""
    wedding = _opted_in(services, caller.tenant_id, slug)
    with services.catalog.begin() as conn:
        split_person(conn, wedding.id, person_id, body.faces, now=services.clock())
    return _people(services, caller.tenant_id, slug)


@router.post(
    "/weddings/{slug}/find-me",
    response_model=FindMeOut,
    responses={
        **_ANSWERS,
        413: {"model": ErrorBody, "description": "the selfie is over 25 MiB"},
        422: {
            "model": ErrorBody,
            "description": "not a JPEG, PNG or WebP, over imaging.max_pixels, or no face in it",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
@own_body_limit
async def find_me(
    slug: str,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    content_length: Annotated[int | None, Header()] = None,
) -> FindMeOut:
    """The wedding's photos of the person in the selfie (the body: a JPEG, PNG or WebP)."""
    if content_length is not None and content_length > SELFIE_MAX_BYTES:
        raise PayloadTooLarge(f"the selfie is over {SELFIE_MAX_BYTES} bytes: send a smaller one")
    wedding = await anyio.to_thread.run_sync(_opted_in, services, caller.tenant_id, slug)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > SELFIE_MAX_BYTES:
                raise PayloadTooLarge(
                    f"the selfie is over {SELFIE_MAX_BYTES} bytes: send a smaller one"
                )
    except ClientDisconnect:
        raise InvalidValue("the client disconnected before the selfie was complete") from None
    matches = await anyio.to_thread.run_sync(_find, services, wedding, bytes(body))
    return FindMeOut(wedding=wedding.slug, photos=matches)


def _find(services: Services, wedding: Wedding, data: bytes) -> list[MatchOut]:
    import cv2
    import numpy as np

    from trousseau.analysis import find_person

    _check_selfie_size(data, services.settings.imaging.max_pixels)
    try:
        pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:  # OpenCV's own limits (a size over 2**30 pixels, a broken header)
        raise InvalidValue(
            "the selfie is too large or too damaged for the face detector to decode: send a "
            "smaller JPEG, PNG or WebP"
        ) from None
    if pixels is None:
        raise InvalidValue(_NOT_AN_IMAGE)
    found = find_person(
        services.catalog, wedding, pixels, threshold=services.settings.analysis.face_threshold
    )
    return [MatchOut(photo_id=m.photo_id, photo=m.photo, confidence=m.confidence) for m in found]


_NOT_AN_IMAGE = "the selfie is not an image that can be read (JPEG, PNG, WebP)"
_SELFIE_FORMATS = frozenset({"jpeg", "png", "webp"})


def _check_selfie_size(data: bytes, max_pixels: int) -> None:
    """Refuse a selfie that is not a JPEG, PNG or WebP, or whose header declares more than
    `max_pixels` pixels (imaging.max_pixels), before any pixel is decoded."""
    from trousseau.imaging import detect_format, source_size

    fmt = detect_format(data[:64])
    if fmt not in _SELFIE_FORMATS:
        raise InvalidValue(_NOT_AN_IMAGE)
    try:
        width, height = source_size(data, fmt=fmt, name="the selfie")
    except ImagingError:
        raise InvalidValue(_NOT_AN_IMAGE) from None
    if width * height > max_pixels:
        raise InvalidValue(
            f"the selfie declares {width}x{height} pixels, over the limit of {max_pixels} "
            "pixels (imaging.max_pixels): send a smaller photo"
        )
