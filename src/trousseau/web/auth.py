"""Who is calling: an API key in `Authorization: Bearer tr_…` becomes a Principal.

Every tenant resource is looked up with the principal's tenant id in the query itself, so
another tenant's wedding, photo or variant is simply not found (404): the API never says
whether it exists. Operations endpoints need the "admin" scope (403 without it).

Browsers cannot put a header on a plain link, so the dashboard signs in once with a key and
keeps it in an HttpOnly, SameSite=Strict cookie (Secure over https). Only the dashboard and
the progress stream accept that cookie (`Viewer`); every other route takes the header only.
The key itself is never logged: a refusal logs the key id at most.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from trousseau.catalog import ADMIN, parse_token, verify_api_key
from trousseau.web.errors import Forbidden, Unauthorized
from trousseau.web.services import Services, ServicesDep

log = logging.getLogger("trousseau.web.auth")

COOKIE = "trousseau_key"
"""The dashboard's cookie: the API key it signed in with (HttpOnly, SameSite=Strict)."""

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
        raise Unauthorized("send an API key: `Authorization: Bearer tr_<id>_<secret>`")
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
        raise Unauthorized(
            "send an API key (`Authorization: Bearer tr_<id>_<secret>`) or sign in to the "
            "dashboard at /dashboard/sign-in"
        )
    return principal_for(request, services, token)


def principal_for(request: Request, services: Services, token: str) -> Principal:
    """The principal of `token` if it is a valid, active key; Unauthorized (401) if not."""
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
    return Principal(key.id, key.tenant_id, key.tenant_slug, key.scopes)


def require_admin(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """The principal, if its key has the admin scope; Forbidden (403) otherwise."""
    if not principal.admin:
        raise Forbidden("this endpoint needs an admin key (`trousseau keys create --admin`)")
    return principal


Caller = Annotated[Principal, Depends(authenticate)]
Viewer = Annotated[Principal, Depends(authenticate_viewer)]
Admin = Annotated[Principal, Depends(require_admin)]
