"""The OpenAPI document says every answer a route can give, the shared errors included.

Authentication is a dependency, so FastAPI knows a route needs a key but not that it can
answer 401 (no or bad key) or 403 (a tenant key on an admin route); and a JSON body that is
not JSON is answered 400 by the error handlers. A client generated from the schema, and
Schemathesis in the tests, must see those answers documented; they are added here from the
routes' own dependencies rather than repeated on every route.
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
