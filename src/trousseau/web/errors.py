"""HTTP errors: how each TrousseauError becomes a status code and a JSON body.

Every error response has the body `{"error": {"code", "message", "request_id"}}`. A client
error (4xx) carries the error's own message, which says what to fix. A server error (5xx)
carries a fixed sentence instead — the full message names hosts and paths, so it goes to the
log under the same request id, where an operator finds it.

An error takes the rule of its most specific class that has one (the first class with a
rule along its MRO), so a new subclass is mapped by its own rule or by its parent's, never
by where a line sits in the table.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match

from trousseau.errors import (
    BlobCorrupt,
    BlobMissing,
    CatalogError,
    CatalogFull,
    CatalogUnreachable,
    ChecksumMismatch,
    EmptyInput,
    FacesDisabled,
    FormError,
    IngestError,
    InvalidValue,
    NoFace,
    NotAPdf,
    NotFound,
    OverrideRefused,
    PdfTooLarge,
    SchemaOutOfDate,
    SettingsError,
    TrousseauError,
    UnsupportedFormat,
    VaultError,
    VaultFull,
    WrongRegion,
)
from trousseau.planning import PlanInfeasible
from trousseau.web.config import API_PREFIX
from trousseau.web.logs import current_request_id

log = logging.getLogger("trousseau.web")


class Unauthorized(TrousseauError):
    """No API key, or one that is malformed, unknown, revoked or wrong."""


class Forbidden(TrousseauError):
    """A valid key without the scope an endpoint needs."""


class InvalidRequest(TrousseauError):
    """A parameter the schema accepts but the service cannot use (a damaged cursor)."""


class Conflict(TrousseauError):
    """The request contradicts what the catalog holds (a taken slug, a job not dead)."""


class UploadLocked(Conflict):
    """Another request is writing to the same resumable upload right now."""


class Gone(TrousseauError):
    """A resumable upload expired, or its bytes are no longer in the spool."""


class UnsupportedProtocolVersion(TrousseauError):
    """A tus request without `Tus-Resumable: 1.0.0`, the only protocol version served."""


class TooManyUploads(TrousseauError):
    """A tenant has as many unfinished resumable uploads (or bytes in them) as it may."""


class SpoolFull(TrousseauError):
    """The upload spool has no room for an upload's bytes; nothing more of it was kept."""


class PayloadTooLarge(IngestError):
    """An upload is larger than `web.max_upload_bytes`; nothing was stored."""


class BodyTooLarge(TrousseauError):
    """A request body other than an upload is larger than `web.max_body_bytes`; it was not read."""


class ChunkChecksumMismatch(ChecksumMismatch):
    """One chunk of a resumable upload does not hash to its Upload-Checksum; it was discarded."""


class RangeNotSatisfiable(TrousseauError):
    """A Range header asks for bytes past the end of the blob."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str | None = None


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: ErrorDetail


@dataclass(frozen=True)
class Rule:
    status: int
    code: str
    public: str | None = None
    """The message shown instead of the error's own (server errors)."""


INTERNAL = Rule(500, "internal", "internal error; operators are told")

RULES: Mapping[type[TrousseauError], Rule] = {
    TrousseauError: INTERNAL,
    Unauthorized: Rule(401, "unauthorized"),
    Forbidden: Rule(403, "forbidden"),
    NotFound: Rule(404, "not_found"),
    Conflict: Rule(409, "conflict"),
    OverrideRefused: Rule(409, "conflict"),
    PlanInfeasible: Rule(409, "conflict"),
    UploadLocked: Rule(423, "locked"),
    Gone: Rule(410, "gone"),
    UnsupportedProtocolVersion: Rule(412, "precondition_failed"),
    InvalidRequest: Rule(422, "invalid_request"),
    SettingsError: Rule(422, "invalid_request"),
    InvalidValue: Rule(422, "invalid_request"),
    RangeNotSatisfiable: Rule(416, "range_not_satisfiable"),
    TooManyUploads: Rule(429, "too_many_uploads"),
    IngestError: Rule(400, "bad_upload"),
    EmptyInput: Rule(400, "empty_upload"),
    PayloadTooLarge: Rule(413, "payload_too_large"),
    BodyTooLarge: Rule(413, "payload_too_large"),
    UnsupportedFormat: Rule(415, "unsupported_media_type"),
    FormError: Rule(422, "unreadable_form"),
    FacesDisabled: Rule(409, "faces_disabled"),
    WrongRegion: Rule(421, "wrong_region"),
    NoFace: Rule(422, "no_face"),
    NotAPdf: Rule(415, "unsupported_media_type"),
    PdfTooLarge: Rule(413, "payload_too_large"),
    ChecksumMismatch: Rule(422, "checksum_mismatch"),
    ChunkChecksumMismatch: Rule(460, "checksum_mismatch"),
    SpoolFull: Rule(507, "spool_full"),
    VaultError: Rule(503, "vault_unavailable", "storage is unavailable: retry later"),
    VaultFull: Rule(507, "vault_full", "storage is full: nothing was stored; retry later"),
    BlobMissing: Rule(500, "blob_missing", "a stored file is missing; operators are told"),
    BlobCorrupt: Rule(500, "blob_corrupt", "a stored file is damaged; operators are told"),
    CatalogError: Rule(503, "catalog_unavailable", "the catalog is unavailable: retry later"),
    CatalogUnreachable: Rule(503, "catalog_unreachable", "the catalog is unreachable: retry later"),
    CatalogFull: Rule(
        507,
        "catalog_full",
        "the catalog's disk is full: nothing was stored; retry later (operators are told to "
        "free space)",
    ),
    SchemaOutOfDate: Rule(
        503, "catalog_out_of_date", "the catalog schema does not match this version"
    ),
}
"""The HTTP rule of each error class; an error without one of its own takes its parent's."""

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def rule_for(exc: TrousseauError, rules: Mapping[type[TrousseauError], Rule] = RULES) -> Rule:
    """The status and code of an error: the rule of its most specific class that has one.

    Walks the class's MRO, so the table's order never matters: a subclass's rule wins over
    its parent's wherever either is listed, and a new subclass inherits its parent's rule.
    """
    for kind in type(exc).__mro__:
        rule = rules.get(kind)
        if rule is not None:
            return rule
    return INTERNAL


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error response, tagged with the current request id."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, request_id=current_request_id()))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _headers(exc: TrousseauError, rule: Rule) -> dict[str, str]:
    headers: dict[str, str] = {}
    if rule.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="trousseau"'
    if rule.status == 503:
        headers["Retry-After"] = "5"
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    if isinstance(exc, WrongRegion):  # where the client should go instead
        headers["X-Trousseau-Region"] = exc.region
        if exc.endpoint:
            headers["Location"] = exc.endpoint
    return headers


async def _trousseau_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TrousseauError)
    return trousseau_error_response(exc)


def trousseau_error_response(exc: TrousseauError) -> JSONResponse:
    """The error response of `exc` (5xx logged), for handlers that add headers of their own."""
    rule = rule_for(exc)
    if rule.status >= 500:
        log.error("%s: %s", type(exc).__name__, exc, extra={"code": rule.code})
    return error_response(
        rule.status, rule.code, rule.public or str(exc), headers=_headers(exc, rule)
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ())) or 'request'}: {err.get('msg', 'invalid')}"
        for err in exc.errors()
    )
    return error_response(422, "invalid_request", problems or "the request is invalid")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
        exc = HTTPException(405, exc.detail, headers)
    return error_response(exc.status_code, code, http_message(request, exc), headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def http_message(request: Request, exc: HTTPException) -> str:
    """The message of a routing error, naming its cause rather than the bare status phrase.

    Starlette answers an unknown path or method with its reason phrase ("Not Found"), which
    tells a client nothing it can fix; those become a sentence naming the method and path.
    """
    detail = str(exc.detail)
    if detail != HTTPStatus(exc.status_code).phrase:
        return detail
    where = f"{request.method} {_shown(request.url.path)}"
    if exc.status_code == 404:
        return (
            f"no route answers {where}: check the URL against the API's routes ({API_PREFIX}/docs)"
        )
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return f"the method of {where} is not served there; allowed: {allowed or 'none'}"
    return f"{detail}: {where}"


def _shown(text: str, limit: int = 200) -> str:
    """A client's text quoted in a message, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def install_error_handlers(app: FastAPI) -> None:
    """Make every expected failure an error body with the right status."""
    app.add_exception_handler(TrousseauError, _trousseau_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
