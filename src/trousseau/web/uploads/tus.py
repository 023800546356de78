"""Resumable uploads (tus 1.0.0): an original sent in chunks, over as many requests as it takes.

Photographers upload from venues over bad Wi-Fi; a dropped connection must cost the chunk in
flight, never the file. This is the tus protocol (https://tus.io/protocols/resumable-upload)
with the extensions creation, creation-with-upload, checksum (sha256), expiration and
termination:

    POST    /api/v1/weddings/{slug}/uploads   Upload-Length, Upload-Metadata: filename <b64>
    HEAD    /api/v1/uploads/{id}              → Upload-Offset: how many bytes arrived
    PATCH   /api/v1/uploads/{id}              Upload-Offset, application/offset+octet-stream
    DELETE  /api/v1/uploads/{id}              terminate
    OPTIONS /api/v1/uploads                   what this server supports

State: the catalog records each upload (wedding, name, length, announced SHA-256, expiry, the
photo it became); the bytes wait in the spool, and the spooled file's size *is* the offset. A
PATCH holds an exclusive lock on that file for as long as it writes, so two clients never
interleave (the second gets 423 at once). A client that disconnects keeps the bytes that
arrived, unless the PATCH carried Upload-Checksum: such a chunk is staged beside the file and
appended only once it verifies, so one cut short (by the client, or by a crash of the server)
is discarded and the offset stays that of the last verified chunk. Nothing is acknowledged as
stored until the last byte: then the file takes the road of every upload (`complete_upload`:
checksum, format, ingest) and the reply names the photo (X-Photo-Id, X-Photo-Location). A
failed check removes the upload and stores nothing. Each chunk moves the expiry
`web.upload_expiry` ahead; expired uploads answer 410 and a sweep (at start, then at most every
SWEEP_EVERY on creation) removes their bytes and records. The catalog is shared by replicas;
the spool must be too, or the balancer must keep an upload on one replica (deploy/README.md).

Every request is authenticated, and every lookup carries the caller's tenant: another
tenant's upload id is 404.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any, BinaryIO, ClassVar

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.routing import APIRoute

from trousseau.catalog import (
    Catalog,
    ResumableUpload,
    Wedding,
    create_resumable_upload,
    delete_resumable_upload,
    expired_resumable_uploads,
    extend_resumable_upload,
    find_resumable_upload,
    finish_resumable_upload,
    get_resumable_upload,
    known_resumable_uploads,
    open_resumable_uploads,
)
from trousseau.errors import IngestError, NotFound, TrousseauError
from trousseau.web.auth import Caller
from trousseau.web.bodies import own_body_limit
from trousseau.web.config import API_PREFIX, WebConfig
from trousseau.web.errors import (
    ChunkChecksumMismatch,
    Conflict,
    ErrorBody,
    Gone,
    PayloadTooLarge,
    SpoolFull,
    TooManyUploads,
    UploadLocked,
    trousseau_error_response,
)
from trousseau.web.metrics import Metrics, MetricsDep
from trousseau.web.services import Services, ServicesDep
from trousseau.web.uploads.single import complete_upload, tenant_wedding
from trousseau.web.uploads.spool import (
    Spool,
    SpoolEntry,
    append,
    commit_staged,
    cut,
    drop,
    held_size,
    hold,
)
from trousseau.web.uploads.tusheaders import (
    CHECKSUM_ALGORITHMS,
    CHUNK_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    check_chunk_type,
    check_tus_resumable,
    declared_size,
    has_body,
    http_date,
    metadata_name,
    metadata_sha256,
    parse_count,
    parse_length,
    parse_metadata,
    parse_upload_checksum,
    state_headers,
    upload_location,
)

log = logging.getLogger("trousseau.web.uploads.tus")

SWEEP_EVERY = timedelta(minutes=10)
"""The least time between two opportunistic sweeps of expired uploads in one process."""
EXPIRY_STEPS = 24
SPOOL_RESERVE = 64 * 1024 * 1024
"""Bytes a new upload must leave free in the spool, for chunks of uploads already under way."""
"""A chunk moves an upload's expiry only when that gains more than expiry / EXPIRY_STEPS."""
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""What an upload id can look like (URL-safe base64, the catalog's column width)."""

_ERRORS = {
    400: "malformed tus headers, or the client disconnected mid-chunk",
    404: "no such upload (or wedding) for this tenant",
    409: "Upload-Offset is not the upload's offset",
    410: "the upload expired, or its bytes are no longer in the spool",
    412: "Tus-Resumable is not 1.0.0 (Tus-Version says what is served)",
    413: "larger than Tus-Max-Size, or past the announced Upload-Length",
    415: f"a chunk not sent as {CHUNK_TYPE}, or a file that is not an accepted image",
    422: "the complete file's checksum mismatched; nothing was stored",
    423: "another request is writing to this upload",
    429: "the studio has too many unfinished uploads open",
    460: "the chunk's Upload-Checksum mismatched; it was discarded",
    503: "the catalog or the vault is unavailable: retry",
    507: "storage is full: retry later",
}


def documented(success: dict[int, str], errors: tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of a tus route: its success, and the errors it may answer."""
    responses: dict[int | str, dict[str, Any]] = {
        status: {"description": text} for status, text in success.items()
    }
    for status in (*errors, 412, 422):
        responses[status] = {"model": ErrorBody, "description": _ERRORS[status]}
    return responses


def describe(record: ResumableUpload) -> str:
    """How messages name an upload: its id and file name."""
    return f"upload {record.id} ({record.name})"


# The protocol's responses, errors included, carry Tus-Resumable.


class TusRoute(APIRoute):
    """A route whose every response, errors included, says `Tus-Resumable: 1.0.0`."""

    every_response_headers: ClassVar[Mapping[str, str]] = {"Tus-Resumable": TUS_VERSION}
    """Also on the answers given outside the handler (405, the last-resort 500): middleware."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except TrousseauError as exc:
                response = trousseau_error_response(exc)
            response.headers["Tus-Resumable"] = TUS_VERSION
            if response.status_code == 412:
                response.headers["Tus-Version"] = TUS_VERSION
            return response

        return tus_handler


# Expiry: records past their time are removed with their bytes.


class Sweeper:
    """Sweeps one app's expired uploads, at most once every SWEEP_EVERY of its clock."""

    def __init__(self) -> None:
        self.last: datetime | None = None
        self._running = threading.Lock()

    def maybe(self, services: Services) -> int:
        """Sweep unless one ran within SWEEP_EVERY or is running; how many were removed."""
        now = services.clock()
        if self.last is not None and now - self.last < SWEEP_EVERY:
            return 0
        if not self._running.acquire(blocking=False):
            return 0
        try:
            self.last = now
            return sweep_uploads(services.catalog, services.spool, now=now)
        finally:
            self._running.release()


def sweep_uploads(catalog: Catalog, spool: Spool, *, now: datetime) -> int:
    """Remove uploads expired at `now` (bytes, then record) and spool entries with no record.

    An upload being written right now is skipped: its writer moves the expiry. Entries are
    created after their record is committed and removed before it is deleted, so an entry
    without a record is debris of a crash, never an upload about to start.
    """
    with catalog.begin() as conn:
        expired = expired_resumable_uploads(conn, now=now)
    removed = sum(_remove(catalog, spool, upload_id, expired_at=now) for upload_id in expired)
    entries = spool.resumable_entries()
    if entries:
        with catalog.begin() as conn:
            known = known_resumable_uploads(conn, entries)
        for upload_id, files in entries.items():
            if upload_id not in known and _remove_orphan(spool, upload_id, files):
                removed += 1
    if removed:
        log.info("swept %d expired resumable uploads", removed)
    return removed


def _remove(catalog: Catalog, spool: Spool, upload_id: str, *, expired_at: datetime) -> int:
    with catalog.begin() as conn:
        record = find_resumable_upload(conn, upload_id, tenant_id=None)
    if record is None or not record.expired(expired_at):
        return 0
    entry = spool.resumable(record.id, record.name)
    try:
        handle = _hold_if_present(entry, record)
    except UploadLocked:
        return 0
    try:
        with catalog.begin() as conn:
            again = find_resumable_upload(conn, upload_id, tenant_id=None)
        if again is None or not again.expired(expired_at):
            return 0
        entry.discard()
        with catalog.begin() as conn:
            delete_resumable_upload(conn, upload_id)
        return 1
    finally:
        if handle is not None:
            handle.close()


def _remove_orphan(spool: Spool, upload_id: str, files: list[Path]) -> bool:
    handles = []
    try:
        for path in files:
            with suppress(FileNotFoundError, IsADirectoryError):
                handles.append(hold(path, f"spool entry {upload_id}"))
    except UploadLocked:
        return False
    finally:
        for handle in handles:
            handle.close()
    spool.resumable(upload_id, "-").discard()
    return True


def _hold_if_present(entry: SpoolEntry, record: ResumableUpload) -> BinaryIO | None:
    try:
        return hold(entry.path, describe(record))
    except FileNotFoundError:
        return None


def _sweeper(app: FastAPI) -> Sweeper:
    sweeper = getattr(app.state, "tus_sweeper", None)
    if sweeper is None:
        sweeper = app.state.tus_sweeper = Sweeper()
    return sweeper


def _sweep_logged(sweeper: Sweeper, services: Services) -> None:
    try:
        sweeper.maybe(services)
    except TrousseauError as exc:
        log.warning("cannot sweep expired resumable uploads now: %s", exc)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start, sweep what expired while the service was down."""
    await anyio.to_thread.run_sync(_sweep_logged, _sweeper(app), app.state.services)
    yield


router = APIRouter(prefix=API_PREFIX, tags=["uploads"], route_class=TusRoute, lifespan=lifespan)


# Blocking steps, run in worker threads.


def _create(
    services: Services,
    wedding: Wedding,
    *,
    name: str,
    length: int,
    sha256: str | None,
    metadata: str | None,
) -> ResumableUpload:
    services.spool.check_room(length, reserve=SPOOL_RESERVE)
    now = services.clock()
    with services.catalog.begin() as conn:
        check_open_uploads(
            *open_resumable_uploads(conn, tenant_id=wedding.tenant_id, now=now),
            length=length,
            config=services.config,
        )
        record = create_resumable_upload(
            conn,
            tenant_id=wedding.tenant_id,
            wedding_id=wedding.id,
            name=name,
            length=length,
            sha256=sha256,
            metadata=metadata,
            now=now,
            expires_at=now + services.config.upload_expiry,
        )
    try:
        services.spool.create_resumable(record.id, record.name)
    except TrousseauError:
        with services.catalog.begin() as conn:
            delete_resumable_upload(conn, record.id)
        raise
    return record


def check_open_uploads(count: int, total: int, *, length: int, config: WebConfig) -> None:
    """TooManyUploads (429) when one more upload of `length` bytes would pass the tenant's
    limits on unfinished uploads (a soft limit: two creations at once may both pass)."""
    if count >= config.max_open_uploads:
        raise TooManyUploads(
            f"this studio has {count} resumable uploads open, the limit "
            f"(web.max_open_uploads): finish or DELETE some, or let abandoned ones expire"
        )
    if total + length > config.max_open_upload_bytes:
        raise TooManyUploads(
            f"this studio's open resumable uploads announce {total} bytes; {length} more would "
            f"pass the {config.max_open_upload_bytes}-byte limit (web.max_open_upload_bytes): "
            "finish some first"
        )


def _load(services: Services, tenant_id: int, upload_id: str) -> ResumableUpload:
    """The caller's upload; NotFound (404) if none, Gone (410) once expired (then removed)."""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise NotFound(f"no upload {upload_id[:40]!r}: upload ids are what creation answered")
    with services.catalog.begin() as conn:
        record = get_resumable_upload(conn, upload_id, tenant_id=tenant_id)
    now = services.clock()
    if record.expired(now):
        _remove(services.catalog, services.spool, record.id, expired_at=now)
        raise Gone(
            f"{describe(record)} expired at {http_date(record.expires_at)} and its bytes were "
            "removed: create a new upload"
        )
    return record


def _lost(record: ResumableUpload) -> Gone:
    return Gone(
        f"the bytes of {describe(record)} are not in this server's spool: the spool was "
        "cleared, or API replicas do not share it (see deploy/README.md); create a new upload"
    )


def _offset(services: Services, record: ResumableUpload) -> int:
    if record.complete:
        return record.length
    try:
        return services.spool.resumable(record.id, record.name).path.stat().st_size
    except FileNotFoundError:
        raise _lost(record) from None


def _hold(services: Services, record: ResumableUpload) -> BinaryIO:
    try:
        return hold(services.spool.resumable(record.id, record.name).path, describe(record))
    except FileNotFoundError:
        raise _lost(record) from None


def _reload(services: Services, record: ResumableUpload) -> ResumableUpload:
    with services.catalog.begin() as conn:
        fresh = find_resumable_upload(conn, record.id, tenant_id=record.tenant_id)
    if fresh is None:
        raise NotFound(f"{describe(record)} was terminated or expired: create a new upload")
    return fresh


def renewed_expiry(current: datetime, *, now: datetime, expiry: timedelta) -> datetime | None:
    """The expiry a chunk arriving `now` gives the upload, or None to leave it as it is.

    Each chunk keeps an upload alive for `expiry`, but moving it by less than a
    twenty-fourth of that is not worth a catalog write per chunk: an upload expires between
    23/24 and all of `expiry` after its last chunk.
    """
    wanted = now + expiry
    return wanted if wanted - current >= expiry / EXPIRY_STEPS else None


def _extend(services: Services, record: ResumableUpload) -> ResumableUpload:
    now = services.clock()
    expires_at = renewed_expiry(record.expires_at, now=now, expiry=services.config.upload_expiry)
    if expires_at is None:
        return record
    with services.catalog.begin() as conn:
        extend_resumable_upload(conn, record.id, expires_at=expires_at)
    return replace(record, expires_at=expires_at)


def _finish(services: Services, instruments: Metrics, record: ResumableUpload) -> ResumableUpload:
    """Verify and ingest the complete file (the caller holds its lock); the record, finished.

    A check that fails (empty, checksum, format) removes the upload: those bytes can never
    become a photo. A storage failure keeps them, so a PATCH at the final offset retries.
    """
    entry = services.spool.resumable(record.id, record.name)
    wedding = tenant_wedding(services, record.tenant_id, record.wedding_slug)
    try:
        done = complete_upload(
            services,
            instruments,
            entry.path,
            name=record.name,
            expected=record.sha256,
            wedding=wedding,
        )
    except IngestError as exc:
        entry.discard()
        with services.catalog.begin() as conn:
            delete_resumable_upload(conn, record.id)
        raise type(exc)(f"{exc} (the upload {record.id} was removed: create a new one)") from exc
    with services.catalog.begin() as conn:
        finish_resumable_upload(conn, record.id, photo_id=done.photo_id)
    entry.discard()
    return replace(record, photo_id=done.photo_id)


def _terminate(services: Services, record: ResumableUpload) -> None:
    entry = services.spool.resumable(record.id, record.name)
    handle = _hold_if_present(entry, record)
    try:
        entry.discard()
        with services.catalog.begin() as conn:
            delete_resumable_upload(conn, record.id)
    finally:
        if handle is not None:
            handle.close()


# Writing one chunk.


@dataclass(frozen=True)
class Progress:
    """Where an upload stands after a request: its record and offset."""

    record: ResumableUpload
    offset: int


async def _accept(
    request: Request,
    services: Services,
    instruments: Metrics,
    record: ResumableUpload,
    *,
    offset: int,
    checksum: bytes | None,
) -> Progress:
    """Append the request body at `offset` under the upload's lock; finish when complete."""
    handle = await anyio.to_thread.run_sync(_hold, services, record)
    try:
        current = held_size(handle)
        record = await anyio.to_thread.run_sync(_reload, services, record)
        if record.complete:
            return Progress(record, record.length)
        if current is None:
            raise NotFound(f"{describe(record)} was terminated meanwhile: create a new upload")
        if offset != current:
            raise Conflict(
                f"Upload-Offset {offset} does not match the {current} bytes of {describe(record)} "
                "received so far: ask HEAD for Upload-Offset and resume from there"
            )
        room = record.length - offset
        size = declared_size(request)
        if size is not None and size > room:
            raise PayloadTooLarge(
                f"the chunk of {size} bytes at offset {offset} goes past the {record.length} "
                f"bytes announced for {describe(record)}: nothing of it was stored"
            )
        staging = services.spool.resumable(record.id, record.name).staging
        await anyio.to_thread.run_sync(drop, staging)  # a chunk a crash cut short
        try:
            chunk = await append(
                request.stream(),
                handle,
                offset=offset,
                room=room,
                staging=None if checksum is None else staging,
            )
        except PayloadTooLarge:
            await anyio.to_thread.run_sync(_cut_and_drop, handle, offset, staging)
            raise
        except (OSError, SpoolFull):  # the spool failed mid-chunk (disk full): keep none of it
            with suppress(OSError):
                await anyio.to_thread.run_sync(_cut_and_drop, handle, offset, staging)
            raise
        instruments.upload_bytes.inc(chunk.size)
        if checksum is not None:
            if chunk.disconnected or chunk.digest != checksum:
                await anyio.to_thread.run_sync(drop, staging)
                if not chunk.disconnected:
                    raise ChunkChecksumMismatch(
                        f"the chunk of {describe(record)} at offset {offset} ({chunk.size} "
                        "bytes) does not hash to its Upload-Checksum: it was discarded; send "
                        "it again"
                    )
            else:
                await anyio.to_thread.run_sync(
                    partial(commit_staged, staging, handle, offset=offset, size=chunk.size)
                )
        record = await anyio.to_thread.run_sync(_extend, services, record)
        if chunk.disconnected:
            kept = "discarded (they carried Upload-Checksum)" if checksum else "kept"
            raise IngestError(
                f"the client disconnected after {chunk.size} bytes of the chunk of "
                f"{describe(record)}; they were {kept}: resume from HEAD's Upload-Offset"
            )
        if offset + chunk.size < record.length:
            return Progress(record, offset + chunk.size)
        record = await anyio.to_thread.run_sync(partial(_finish, services, instruments, record))
        return Progress(record, record.length)
    finally:
        handle.close()


def _cut_and_drop(handle: BinaryIO, offset: int, staging: Path) -> None:
    cut(handle, offset)
    drop(staging)


PATH_HEADERS: Mapping[str, Mapping[str, str]] = {
    f"{API_PREFIX}/uploads/": TusRoute.every_response_headers
}
"""Headers for a path under the uploads no route matches (a mangled upload URL): still tus."""


# Routes.


def _options(services: Services) -> Response:
    return Response(
        status_code=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(services.config.max_upload_bytes),
            "Tus-Checksum-Algorithm": CHECKSUM_ALGORITHMS,
        },
    )


@router.options("/uploads", status_code=204, response_class=Response)
async def discover(caller: Caller, services: ServicesDep) -> Response:
    """What this server supports: tus version, extensions, largest upload, checksums."""
    return _options(services)


@router.options("/weddings/{slug}/uploads", status_code=204, response_class=Response)
async def discover_creation(slug: str, caller: Caller, services: ServicesDep) -> Response:
    """The same as OPTIONS /uploads, where uploads are created."""
    return _options(services)


@router.options("/uploads/{upload_id}", status_code=204, response_class=Response)
async def discover_upload(upload_id: str, caller: Caller, services: ServicesDep) -> Response:
    """The same as OPTIONS /uploads, on an upload."""
    return _options(services)


@router.post(
    "/weddings/{slug}/uploads",
    status_code=201,
    response_class=Response,
    responses=documented(
        {201: "created; Location is the upload's URL, Upload-Offset what arrived with it"},
        (400, 404, 409, 413, 415, 423, 429, 460, 503, 507),
    ),
)
@own_body_limit  # bounded by Upload-Length and web.max_upload_bytes
async def create(
    slug: str,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    instruments: MetricsDep,
    tus_resumable: Annotated[str | None, Header(description="1.0.0")] = None,
    upload_length: Annotated[str | None, Header(description="the file's size in bytes")] = None,
    upload_defer_length: Annotated[str | None, Header(include_in_schema=False)] = None,
    upload_metadata: Annotated[
        str | None, Header(description="`filename <base64>[,checksum <base64 sha256>]`")
    ] = None,
    upload_checksum: Annotated[
        str | None, Header(description="`sha256 <base64>` of a body sent with the creation")
    ] = None,
) -> Response:
    """Create a resumable upload into a wedding (creation, creation-with-upload)."""
    check_tus_resumable(tus_resumable)
    length = parse_length(
        upload_length, limit=services.config.max_upload_bytes, defer=upload_defer_length
    )
    metadata = parse_metadata(upload_metadata)
    name = metadata_name(metadata)
    expected = metadata_sha256(metadata)
    body = has_body(request)
    checksum = None
    if body:
        check_chunk_type(request.headers.get("content-type"))
        checksum = parse_upload_checksum(upload_checksum)
    wedding = await anyio.to_thread.run_sync(tenant_wedding, services, caller.tenant_id, slug)
    await anyio.to_thread.run_sync(_sweep_logged, _sweeper(request.app), services)
    record = await anyio.to_thread.run_sync(
        partial(
            _create,
            services,
            wedding,
            name=name,
            length=length,
            sha256=expected,
            metadata=upload_metadata.strip() if upload_metadata else None,
        )
    )
    progress = Progress(record, 0)
    if body:
        try:
            progress = await _accept(
                request, services, instruments, record, offset=0, checksum=checksum
            )
        except TrousseauError:
            with suppress(TrousseauError):
                await anyio.to_thread.run_sync(_terminate, services, record)
            raise
    headers = state_headers(progress.record, progress.offset)
    headers["Location"] = upload_location(record.id)
    return Response(status_code=201, headers=headers)


@router.head(
    "/uploads/{upload_id}",
    response_class=Response,
    responses=documented(
        {200: "Upload-Offset: the bytes received; X-Photo-Id once complete"}, (400, 404, 410)
    ),
)
async def offset(
    upload_id: str,
    caller: Caller,
    services: ServicesDep,
    tus_resumable: Annotated[str | None, Header(description="1.0.0")] = None,
) -> Response:
    """How many bytes of the upload arrived (and, once complete, which photo it became)."""
    check_tus_resumable(tus_resumable)
    record = await anyio.to_thread.run_sync(_load, services, caller.tenant_id, upload_id)
    current = await anyio.to_thread.run_sync(_offset, services, record)
    return Response(status_code=200, headers=state_headers(record, current))


@router.patch(
    "/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the next bytes of the file, from Upload-Offset on",
            "content": {CHUNK_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses=documented(
        {204: "stored; Upload-Offset is the new offset; X-Photo-Id once complete"},
        (400, 404, 409, 410, 413, 415, 423, 460, 503, 507),
    ),
)
@own_body_limit  # bounded by the upload's remaining length
async def patch(
    upload_id: str,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    instruments: MetricsDep,
    tus_resumable: Annotated[str | None, Header(description="1.0.0")] = None,
    upload_offset: Annotated[str | None, Header(description="where this chunk starts")] = None,
    upload_checksum: Annotated[
        str | None, Header(description="`sha256 <base64>` of this chunk")
    ] = None,
) -> Response:
    """Append a chunk at Upload-Offset; the last chunk makes the photo."""
    check_tus_resumable(tus_resumable)
    check_chunk_type(request.headers.get("content-type"))
    start = parse_count("Upload-Offset", upload_offset)
    checksum = parse_upload_checksum(upload_checksum)
    record = await anyio.to_thread.run_sync(_load, services, caller.tenant_id, upload_id)
    if record.complete:
        if start != record.length or has_body(request):
            raise Conflict(
                f"{describe(record)} is complete ({record.length} bytes) and became photo "
                f"{record.photo_id}: there is nothing to resume"
            )
        return Response(status_code=204, headers=state_headers(record, record.length))
    progress = await _accept(
        request, services, instruments, record, offset=start, checksum=checksum
    )
    return Response(status_code=204, headers=state_headers(progress.record, progress.offset))


@router.delete(
    "/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    responses=documented(
        {204: "terminated: the bytes and the record are gone"}, (400, 404, 410, 423)
    ),
)
async def terminate(
    upload_id: str,
    caller: Caller,
    services: ServicesDep,
    tus_resumable: Annotated[str | None, Header(description="1.0.0")] = None,
) -> Response:
    """Abandon an upload: its bytes and record are removed (a photo it became stays)."""
    check_tus_resumable(tus_resumable)
    record = await anyio.to_thread.run_sync(_load, services, caller.tenant_id, upload_id)
    await anyio.to_thread.run_sync(_terminate, services, record)
    return Response(status_code=204)
