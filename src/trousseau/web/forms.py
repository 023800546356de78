"""Form documents: a vendor's PDF uploaded to a wedding, its fields once read, its original.

`POST /weddings/{slug}/forms` takes the PDF's bytes as the body, refuses at once what is
over `forms.max_bytes` (413) or does not start like a PDF (415, naming what it looks like:
its first kilobyte is read before anything else), and hands the rest to
`ingest.submit_document`, the same road as `trousseau forms submit`: durable in the vault,
recorded and its `forms` job enqueued in one transaction. The document is then read by a
worker; `GET /forms/{id}` says `queued`, `done` with the fields, or `failed` with the one
line saying why (its PDF kept: `GET /forms/{id}/pdf`). `GET /forms/{id}/fillable.pdf` is a
copy of a read document with its detected fields as real form fields (409 until it is read).
Another tenant's document is 404.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from trousseau.catalog import (
    DocumentStatus,
    FormDocument,
    Wedding,
    get_document,
    get_wedding,
    page_documents,
    wedding_slug,
)
from trousseau.errors import IngestError, NotFound, PdfTooLarge, VaultError
from trousseau.forms import fields_from_result, rebuild_fillable
from trousseau.ingest import Submitted, check_pdf, submit_document
from trousseau.web.auth import Caller
from trousseau.web.bodies import own_body_limit
from trousseau.web.config import API_PREFIX, MAX_ID
from trousseau.web.cursors import decode_cursor, encode_cursor
from trousseau.web.errors import Conflict, ErrorBody, PayloadTooLarge
from trousseau.web.headers import header_text
from trousseau.web.metrics import Metrics, MetricsDep
from trousseau.web.ranges import none_match, strong_etag
from trousseau.web.services import Services, ServicesDep
from trousseau.web.uploads.single import original_name
from trousseau.web.uploads.spool import check_declared_size
from trousseau.web.variants import CACHE_CONTROL, content_disposition

router = APIRouter(prefix=API_PREFIX, tags=["forms"])

MAX_PAGE = 200
SNIFF_BYTES = 1024
"""How much of the body is read before deciding whether it is a PDF (`%PDF-` must be in it)."""
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID)]


class DocumentOut(BaseModel):
    id: int
    wedding: str = Field(description="the wedding's slug")
    filename: str
    sha256: str = Field(description="SHA-256 of the PDF's bytes")
    bytes: int
    status: DocumentStatus = Field(description="queued, then done (see result) or failed")
    error: str | None = Field(description="why it cannot be read, when failed")
    result: dict[str, Any] | None = Field(
        description="what was read, when done: file, pages, form kind, warnings and fields "
        "(page 0-based, rect [x0, y0, x1, y1] in points from the bottom left, type, label, "
        "name, value, concept)"
    )
    created_at: dt.datetime
    finished_at: dt.datetime | None
    pdf_url: str = Field(description="where to download the original PDF (with this API key)")
    fillable_url: str | None = Field(
        description="where to download a fillable copy with the detected fields as form "
        "fields, once read (status done); null before"
    )

    @classmethod
    def of(cls, document: FormDocument, wedding: str) -> DocumentOut:
        return cls(
            id=document.id,
            wedding=wedding,
            filename=document.filename,
            sha256=document.sha256,
            bytes=document.bytes,
            status=document.status,
            error=document.error,
            result=document.result,
            created_at=document.created_at,
            finished_at=document.finished_at,
            pdf_url=f"{API_PREFIX}/forms/{document.id}/pdf",
            fillable_url=(
                f"{API_PREFIX}/forms/{document.id}/fillable.pdf"
                if document.status is DocumentStatus.DONE and document.result is not None
                else None
            ),
        )


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such wedding or document for this tenant"}
}


def _too_large(limit: int) -> PdfTooLarge:
    return PdfTooLarge(
        f"the PDF is larger than the {limit:,}-byte limit (forms.max_bytes): nothing was "
        "stored; split the document or ask the operator to raise the limit"
    )


@router.post(
    "/weddings/{slug}/forms",
    response_model=DocumentOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the PDF's bytes",
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses={
        200: {"model": DocumentOut, "description": "the same PDF was already uploaded"},
        400: {"model": ErrorBody, "description": "malformed headers"},
        404: {"model": ErrorBody, "description": "no such wedding for this tenant"},
        413: {"model": ErrorBody, "description": "larger than forms.max_bytes"},
        415: {"model": ErrorBody, "description": "not a PDF (the message says what it is)"},
    },
)
@own_body_limit  # read whole into memory, bounded by forms.max_bytes
async def upload(
    slug: str,
    request: Request,
    response: Response,
    caller: Caller,
    services: ServicesDep,
    instruments: MetricsDep,
    x_filename: Annotated[
        str | None,
        Header(description="the PDF's file name: UTF-8, percent-encoded, or UTF-8''<pct>"),
    ] = None,
) -> DocumentOut:
    """Upload one PDF form to a wedding (201 new, 200 already there); it is read by a worker."""
    name = _name(x_filename)
    limit = services.settings.forms.max_bytes
    try:
        check_declared_size(request.headers.get("content-length"), limit)
    except PayloadTooLarge:
        raise _too_large(limit) from None
    wedding = await anyio.to_thread.run_sync(_wedding, services, caller.tenant_id, slug)
    data = await _receive(request, name=name, limit=limit, services=services)
    done = await anyio.to_thread.run_sync(
        partial(_submit, services, instruments, data, name=name, wedding=wedding)
    )
    response.status_code = 201 if done.created else 200
    response.headers["Location"] = f"{API_PREFIX}/forms/{done.document_id}"
    return await anyio.to_thread.run_sync(
        load_document, services, caller.tenant_id, done.document_id
    )


def _name(header: str | None) -> str:
    if header is None or not header.strip():
        return "document.pdf"
    return original_name(header_text(header))


async def _receive(request: Request, *, name: str, limit: int, services: Services) -> bytes:
    """The body, refused as NotAPdf as soon as its first kilobyte is not a PDF's and as
    PdfTooLarge as soon as it passes `limit`."""
    head = bytearray()
    rest = bytearray()
    try:
        async for chunk in request.stream():
            if len(head) < SNIFF_BYTES:
                head += chunk
                if len(head) >= SNIFF_BYTES:
                    check_pdf(name, bytes(head[:SNIFF_BYTES]), services.settings)
            else:
                rest += chunk
            if len(head) + len(rest) > limit:
                raise _too_large(limit)
    except ClientDisconnect:
        raise IngestError(
            f"the client disconnected before {name} was complete: nothing was stored"
        ) from None
    return bytes(head + rest)


def _submit(
    services: Services, instruments: Metrics, data: bytes, *, name: str, wedding: Wedding
) -> Submitted:
    try:
        return submit_document(
            data,
            name=name,
            wedding=wedding,
            catalog=services.catalog,
            vault=services.vault,
            settings=services.settings,
            clock=services.clock,
        )
    except VaultError as exc:
        instruments.vault_failed(exc, "put")
        raise


def _wedding(services: Services, tenant_id: int, slug: str) -> Wedding:
    with services.catalog.begin() as conn:
        return get_wedding(conn, tenant_id, slug)


def _document(services: Services, tenant_id: int, document_id: int) -> tuple[FormDocument, str]:
    with services.catalog.begin() as conn:
        document = get_document(conn, document_id, tenant_id=tenant_id)
        if document is None:
            raise NotFound(f"no form document {document_id} for this tenant: check the id")
        slug = wedding_slug(conn, tenant_id=tenant_id, wedding_id=document.wedding_id)
    return document, slug or ""


def load_document(services: Services, tenant_id: int, document_id: int) -> DocumentOut:
    """The tenant's document as the API shows it, or NotFound (never another tenant's)."""
    return DocumentOut.of(*_document(services, tenant_id, document_id))


@router.get("/weddings/{slug}/forms", response_model=DocumentPage, responses=_NOT_FOUND)
def list_documents(
    slug: str,
    caller: Caller,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> DocumentPage:
    """A wedding's form documents in upload order, a page at a time, with their results."""
    after = decode_cursor(cursor) if cursor else 0
    with services.catalog.begin() as conn:
        wedding = get_wedding(conn, caller.tenant_id, slug)
        documents = page_documents(
            conn, tenant_id=caller.tenant_id, wedding_id=wedding.id, after=after, limit=limit + 1
        )
    page = documents[:limit]
    return DocumentPage(
        items=[DocumentOut.of(d, wedding.slug) for d in page],
        next_cursor=encode_cursor(page[-1].id) if len(documents) > limit else None,
    )


@router.get("/forms/{document_id}", response_model=DocumentOut, responses=_NOT_FOUND)
def read(document_id: DocumentId, caller: Caller, services: ServicesDep) -> DocumentOut:
    """One form document: its status, and its fields once read (or why it cannot be)."""
    return load_document(services, caller.tenant_id, document_id)


@router.get(
    "/forms/{document_id}/pdf",
    response_class=Response,
    responses={
        200: {
            "description": "the original PDF, as uploaded",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "not modified: If-None-Match named the current ETag"},
        **_NOT_FOUND,
    },
)
def download(
    document_id: DocumentId,
    caller: Caller,
    services: ServicesDep,
    instruments: MetricsDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The original PDF of a form document (kept whatever became of it)."""
    document, _ = _document(services, caller.tenant_id, document_id)
    etag = strong_etag(document.sha256)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if none_match(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    try:
        data = services.vault.get_bytes(document.sha256)
    except VaultError as exc:
        instruments.vault_failed(exc, "get")
        raise
    headers["Content-Disposition"] = content_disposition(document.filename)
    return Response(data, media_type="application/pdf", headers=headers)


@router.get(
    "/forms/{document_id}/fillable.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "a copy of the PDF with its detected fields as AcroForm fields",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        409: {"model": ErrorBody, "description": "the document is not read (queued or failed)"},
        **_NOT_FOUND,
    },
)
def fillable(
    document_id: DocumentId, caller: Caller, services: ServicesDep, instruments: MetricsDep
) -> Response:
    """A fillable copy of a read form document: each field detected on its printed or
    scanned pages becomes a real form field, named by its wedding concept (the same function
    as `trousseau forms analyze --rebuild`)."""
    document, _ = _document(services, caller.tenant_id, document_id)
    if document.status is not DocumentStatus.DONE or document.result is None:
        raise Conflict(
            f"form document {document_id} is {document.status.value}: its fillable copy "
            "exists once it is read (status done)"
        )
    try:
        data = services.vault.get_bytes(document.sha256)
    except VaultError as exc:
        instruments.vault_failed(exc, "get")
        raise
    rebuilt = rebuild_fillable(
        data,
        fields_from_result(document.result),
        name=document.filename,
        limits=services.settings.forms,
    )
    stem = (
        document.filename[:-4] if document.filename.lower().endswith(".pdf") else document.filename
    )
    headers = {
        "Content-Disposition": content_disposition(f"{stem}-fillable.pdf"),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
    }
    return Response(rebuilt, media_type="application/pdf", headers=headers)
