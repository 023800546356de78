"""The outermost layer of every request: its id, its access log line, its duration metric.

Written as plain ASGI (not BaseHTTPMiddleware) so upload bodies and blob downloads stream
through untouched. It is also the last resort for bugs: an unexpected exception becomes a
500 error body carrying the request id, and the traceback goes to the log under that id.

A route whose protocol wants a header on every answer (tus: `Tus-Resumable`) declares it as
`every_response_headers`; it is added here, the one place every answer passes, so an error
answered by a handler, a 405 or that last-resort 500 carries it too. A path no route matches
takes the headers declared for its prefix (`path_headers`): a tus client's PATCH to a mangled
upload URL still reads a tus answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trousseau.web.errors import INTERNAL, error_response
from trousseau.web.logs import bound_request_id, request_id_for
from trousseau.web.metrics import Metrics

log = logging.getLogger("trousseau.web.access")

UNMATCHED = "<unmatched>"
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probed every few seconds: logged at debug level unless they fail."""


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/photos/{photo_id}`), bounded cardinality."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


def route_headers(
    scope: Scope, path_headers: Mapping[str, Mapping[str, str]] | None = None
) -> Mapping[str, str]:
    """The headers the matched route puts on every answer (its `every_response_headers`).

    Where no route matched, those declared for the longest prefix of the path in `path_headers`.
    """
    route = scope.get("route")
    if route is not None:
        declared: Mapping[str, str] | None = getattr(route, "every_response_headers", None)
        return declared or {}
    path = scope.get("path", "")
    prefixes = [prefix for prefix in (path_headers or {}) if path.startswith(prefix)]
    return (path_headers or {})[max(prefixes, key=len)] if prefixes else {}


class RequestContext:
    """Request id in and out (`X-Request-ID`), access log, duration histogram."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        path_headers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.path_headers = dict(path_headers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(Headers(scope=scope).get("x-request-id"))
        response: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["started"] = True
                headers = MutableHeaders(scope=message)
                headers.append("X-Request-ID", request_id)
                for name, value in route_headers(scope, self.path_headers).items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        started = time.perf_counter()
        with bound_request_id(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error while serving %s %s", scope["method"], scope["path"])
                response["status"] = 500
                if not response["started"]:
                    fallback = error_response(INTERNAL.status, INTERNAL.code, INTERNAL.public or "")
                    await fallback(scope, receive, send_with_id)
            finally:
                self._record(scope, response["status"], time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        route = route_template(scope)
        self.metrics.http_duration.labels(method, route, str(status)).observe(seconds)
        level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
        client = scope.get("client")
        log.log(
            level,
            "%s %s %d",
            method,
            scope["path"],
            status,
            extra={
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "client": client[0] if client else None,
                "tenant": scope.get("state", {}).get("tenant"),
            },
        )
