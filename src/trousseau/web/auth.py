"""Who is calling: an API key in `Authorization: Bearer tr_…` becomes a Principal.

Every tenant resource is looked up with the principal's tenant id in the query itself, so
another tenant's wedding, photo or variant is simply not found (404): the API never says
whether it exists. Operations endpoints need the "admin" scope (403 without it).

Browsers cannot put a header on a plain link, so the dashboard signs in once with a key and
keeps it in an HttpOnly, SameSite=Strict cookie (Secure over https). Only the dashboard and
the progress stream accept that cookie (`Viewer`); every other route takes the header only.
The key itself is never logged: a refusal logs the key id at most.

Two moments besides the dependencies below check a key. FastAPI reads a route's body before
it runs its dependencies, so `key_first` is what the body gate (`web.bodies`) runs before any
body is read: a request without a valid key is answered 401 with its body unread. The key it
verifies is kept on the request, so the dependency does not ask the catalog again. And a
progress stream outlives the moment it was opened: `KeyWatch` re-reads its key every
`web.progress_key_check_seconds`, and the stream ends once the key is revoked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import Scope

from trousseau.catalog import ADMIN, get_api_key, parse_token, verify_api_key
from trousseau.errors import NotFound
from trousseau.web.errors import Forbidden, Unauthorized
from trousseau.web.services import Services, ServicesDep

log = logging.getLogger("trousseau.web.auth")

COOKIE = "trousseau_key"
"""The dashboard's cookie: the API key it signed in with (HttpOnly, SameSite=Strict)."""

NO_KEY = "send an API key: `Authorization: Bearer tr_<id>_<secret>`"
NO_KEY_OR_COOKIE = (
    "send an API key (`Authorization: Bearer tr_<id>_<secret>`) or sign in to the "
    "dashboard at /dashboard/sign-in"
)

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A key from `trousseau keys create`: `Authorization: Bearer tr_<id>_<secret>`.",
)

_cookie = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    scheme_name="DashboardCookie",
    description="Set by signing in at /dashboard/sign-in; accepted by the dashboard and streams.",
)


@dataclass(frozen=True)
class Principal:
    """The caller: which key, on behalf of which tenant, allowed to do what."""

    key_id: int
    tenant_id: int
    tenant_slug: str
    scopes: frozenset[str]

    @property
    def admin(self) -> bool:
        return ADMIN in self.scopes


def authenticate(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal of a valid, active key; Unauthorized (401) for anything else."""
    if credentials is None:
        raise Unauthorized(NO_KEY)
    return principal_for(request, services, credentials.credentials)


def authenticate_viewer(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """Like `authenticate`, but a signed-in dashboard's cookie counts as the key too."""
    if credentials is not None:
        return principal_for(request, services, credentials.credentials)
    if not token:
        raise Unauthorized(NO_KEY_OR_COOKIE)
    return principal_for(request, services, token)


@dataclass(frozen=True)
class _Verified:
    """The key this request proved, kept so that one request asks the catalog once."""

    token: str = field(repr=False)
    principal: Principal


def verified(request: Request, token: str) -> Principal | None:
    """The principal `token` already proved during this request, or None."""
    found = getattr(request.state, "verified_key", None)
    return found.principal if isinstance(found, _Verified) and found.token == token else None


def principal_for(request: Request, services: Services, token: str) -> Principal:
    """The principal of `token` if it is a valid, active key; Unauthorized (401) if not."""
    known = verified(request, token)
    if known is not None:
        return known
    with services.catalog.begin() as conn:
        key = verify_api_key(conn, token)
    if key is None:
        parsed = parse_token(token)
        log.info("API key refused", extra={"key_id": parsed[0] if parsed else None})
        raise Unauthorized(
            "this API key is not valid (malformed, unknown or revoked): "
            "ask for a new one (`trousseau keys create`)"
        )
    request.state.tenant = key.tenant_slug
    principal = Principal(key.id, key.tenant_id, key.tenant_slug, key.scopes)
    request.state.verified_key = _Verified(token, principal)
    return principal


def require_admin(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """The principal, if its key has the admin scope; Forbidden (403) otherwise."""
    if not principal.admin:
        raise Forbidden("this endpoint needs an admin key (`trousseau keys create --admin`)")
    return principal


Caller = Annotated[Principal, Depends(authenticate)]
Viewer = Annotated[Principal, Depends(authenticate_viewer)]
Admin = Annotated[Principal, Depends(require_admin)]


# Before the body: the key of a route that takes one, verified before FastAPI reads its body.


def key_taken_by(route: object) -> Callable[..., Principal] | None:
    """`authenticate` or `authenticate_viewer` when the route depends on it, else None.

    Walks the route's whole dependency tree (`Admin` reaches `authenticate` through
    `require_admin`); a route taking the header only is checked as such even if it also
    takes the cookie somewhere.
    """
    dependant = getattr(route, "dependant", None)
    found: set[Any] = set()
    pending = [dependant] if dependant is not None else []
    while pending:
        current = pending.pop()
        found.add(current.call)
        pending.extend(current.dependencies)
    for check in (authenticate, authenticate_viewer):
        if check in found:
            return check
    return None


def presented_token(request: Request, *, cookie: bool) -> str | None:
    """The key the request presents: its Bearer header, else (when allowed) its cookie.

    The same reading as the dependencies' (`HTTPBearer`, `APIKeyCookie`), without awaiting.
    """
    scheme, credentials = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return (request.cookies.get(COOKIE) or None) if cookie else None


def key_first(services: Services) -> Callable[[Scope], Awaitable[None]]:
    """The check the body gate runs before a route reads its body: its key, if it takes one.

    Raises Unauthorized as the route's dependency would. Nothing is awaited unless the
    catalog must be asked, so a read that may not wait (`is_disconnected`) is not held up.
    """

    async def check(scope: Scope) -> None:
        takes = key_taken_by(scope.get("route"))
        if takes is None:
            return
        request = Request(scope)
        viewer = takes is authenticate_viewer
        token = presented_token(request, cookie=viewer)
        if token is None:
            raise Unauthorized(NO_KEY_OR_COOKIE if viewer else NO_KEY)
        if verified(request, token) is None:
            await anyio.to_thread.run_sync(principal_for, request, services, token)

    return check


# While a stream is open: its key, re-read every so often.


def key_active(services: Services, key_id: int) -> bool:
    """Whether the key is still there and not revoked (one short transaction)."""
    try:
        with services.catalog.begin() as conn:
            return get_api_key(conn, key_id).active
    except NotFound:
        return False


@dataclass
class KeyWatch:
    """Whether the key a long response was opened with still holds, re-read every `every` s.

    A progress stream checked its key only when it opened, so a revoked key kept its streams
    flowing until their lifetime (ten minutes). The stream asks `revoked()` between polls; the
    catalog is read at most once every `every` seconds of `now` (injectable, for tests).
    """

    still_valid: Callable[[], bool]
    every: float
    now: Callable[[], float] = time.monotonic
    checked_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.checked_at = self.now()

    @classmethod
    def of(cls, principal: Principal, services: Services) -> KeyWatch:
        """The watch over `principal`'s key, every `web.progress_key_check_seconds`."""
        return cls(
            lambda: key_active(services, principal.key_id),
            services.config.progress_key_check_seconds,
        )

    async def revoked(self) -> bool:
        """True once the key is revoked (or gone); reads the catalog only when one is due."""
        if self.now() - self.checked_at < self.every:
            return False
        valid = await anyio.to_thread.run_sync(self.still_valid)
        self.checked_at = self.now()
        return not valid
