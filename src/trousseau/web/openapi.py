"""The OpenAPI document says every answer a route can give, the shared errors included.

Authentication is a dependency, so FastAPI knows a route needs a key but not that it can
answer 401 (no or bad key) or 403 (a tenant key on an admin route); and a JSON body that is
not JSON is answered 400 by the error handlers. A client generated from the schema, and
Schemathesis in the tests, must see those answers documented; they are added here from the
routes' own dependencies rather than repeated on every route.

The document also declares OpenAPI links: which answer's values (a wedding's slug, a photo's
id, a resumable upload's Location, a job's id) the next request can use. Clients generated
from the schema and Schemathesis' stateful runs follow them to chain calls (create a
wedding, upload to it, read the photo, download its variant; create an upload, patch it at
the offset HEAD answered, delete it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from trousseau.web.auth import authenticate, require_admin
from trousseau.web.errors import ErrorBody

UNAUTHORIZED: dict[str, Any] = {
    "model": ErrorBody,
    "description": "no API key, or one that is malformed, unknown or revoked",
}
FORBIDDEN: dict[str, Any] = {"model": ErrorBody, "description": "the key is not an admin key"}
MALFORMED: dict[str, Any] = {"model": ErrorBody, "description": "the body is not valid JSON"}


def document_common_errors(app: FastAPI) -> None:
    """Add 401 (and 403 on admin routes) where a key is needed, 400 where JSON is read."""
    for route in _api_routes(app.router.routes):
        calls = set(_calls(route.dependant))
        if authenticate in calls:
            route.responses.setdefault(401, UNAUTHORIZED)
        if require_admin in calls:
            route.responses.setdefault(403, FORBIDDEN)
        if route.body_field is not None:
            route.responses.setdefault(400, MALFORMED)
    app.openapi_schema = None
    _declare_links(app)


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps routers
        if included is not None:
            yield from _api_routes(included.routes)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


TUS = {"header.Tus-Resumable": "1.0.0"}
UPLOAD_ID = "$response.header.Location#regex:/uploads/([^/?]+)$"

LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("post", "/api/v1/weddings", "201"): {
        "ReadWedding": ("get", "/api/v1/weddings/{slug}", {"slug": "$response.body#/slug"}),
        "ListPhotos": ("get", "/api/v1/weddings/{slug}/photos", {"slug": "$response.body#/slug"}),
        "UploadPhoto": ("post", "/api/v1/weddings/{slug}/photos", {"slug": "$response.body#/slug"}),
        "CreateUpload": (
            "post",
            "/api/v1/weddings/{slug}/uploads",
            {"slug": "$response.body#/slug", **TUS},
        ),
    },
    ("get", "/api/v1/weddings", "200"): {
        "ReadWedding": ("get", "/api/v1/weddings/{slug}", {"slug": "$response.body#/items/0/slug"}),
        "ListPhotos": (
            "get",
            "/api/v1/weddings/{slug}/photos",
            {"slug": "$response.body#/items/0/slug"},
        ),
        "CreateUpload": (
            "post",
            "/api/v1/weddings/{slug}/uploads",
            {"slug": "$response.body#/items/0/slug", **TUS},
        ),
    },
    ("get", "/api/v1/weddings/{slug}", "200"): {
        "ListPhotos": ("get", "/api/v1/weddings/{slug}/photos", {"slug": "$response.body#/slug"}),
        "UploadPhoto": ("post", "/api/v1/weddings/{slug}/photos", {"slug": "$response.body#/slug"}),
    },
    ("get", "/api/v1/weddings/{slug}/photos", "200"): {
        "ReadPhoto": (
            "get",
            "/api/v1/photos/{photo_id}",
            {"photo_id": "$response.body#/items/0/id"},
        ),
        "NextPage": (
            "get",
            "/api/v1/weddings/{slug}/photos",
            {"slug": "$request.path.slug", "cursor": "$response.body#/next_cursor"},
        ),
    },
    ("get", "/api/v1/photos/{photo_id}", "200"): {
        "DownloadVariant": (
            "get",
            "/api/v1/photos/{photo_id}/variants/{profile}",
            {"photo_id": "$response.body#/id", "profile": "$response.body#/variants/0/profile"},
        ),
    },
    ("post", "/api/v1/weddings/{slug}/photos", "201"): {
        "ReadPhoto": ("get", "/api/v1/photos/{photo_id}", {"photo_id": "$response.body#/id"}),
    },
    ("post", "/api/v1/weddings/{slug}/uploads", "201"): {
        "UploadOffset": ("head", "/api/v1/uploads/{upload_id}", {"upload_id": UPLOAD_ID, **TUS}),
        "PatchUpload": (
            "patch",
            "/api/v1/uploads/{upload_id}",
            {"upload_id": UPLOAD_ID, "header.Upload-Offset": "0", **TUS},
        ),
        "TerminateUpload": (
            "delete",
            "/api/v1/uploads/{upload_id}",
            {"upload_id": UPLOAD_ID, **TUS},
        ),
    },
    ("head", "/api/v1/uploads/{upload_id}", "200"): {
        "PatchUpload": (
            "patch",
            "/api/v1/uploads/{upload_id}",
            {
                "upload_id": "$request.path.upload_id",
                "header.Upload-Offset": "$response.header.Upload-Offset",
                **TUS,
            },
        ),
    },
    ("patch", "/api/v1/uploads/{upload_id}", "204"): {
        "UploadOffset": (
            "head",
            "/api/v1/uploads/{upload_id}",
            {"upload_id": "$request.path.upload_id", **TUS},
        ),
        "TerminateUpload": (
            "delete",
            "/api/v1/uploads/{upload_id}",
            {"upload_id": "$request.path.upload_id", **TUS},
        ),
    },
    ("get", "/api/v1/jobs", "200"): {
        "ReadJob": ("get", "/api/v1/jobs/{job_id}", {"job_id": "$response.body#/items/0/id"}),
        "RetryJob": (
            "post",
            "/api/v1/jobs/{job_id}/retry",
            {"job_id": "$response.body#/items/0/id"},
        ),
    },
    ("get", "/api/v1/jobs/{job_id}", "200"): {
        "RetryJob": ("post", "/api/v1/jobs/{job_id}/retry", {"job_id": "$response.body#/id"}),
    },
}
"""(method, path, status) of an answer -> {link name: (method, path, parameters)} of the
requests it leads to; parameters are runtime expressions or constants, as OpenAPI links."""


def _declare_links(app: FastAPI) -> None:
    """Add `LINKS` to the generated document (once, where both ends exist)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        linked = app.openapi_schema is not None
        schema = generate()
        if not linked:
            add_links(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_links(schema: dict[str, Any]) -> None:
    """Put `LINKS` into an OpenAPI document, naming targets by their operationId."""
    paths = schema.get("paths", {})
    for (method, path, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, (target_method, target_path, parameters) in links.items():
            target = paths.get(target_path, {}).get(target_method)
            if target is None or "operationId" not in target:
                continue
            response.setdefault("links", {})[name] = {
                "operationId": target["operationId"],
                "parameters": dict(parameters),
            }
