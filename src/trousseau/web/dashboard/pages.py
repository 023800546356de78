"""The operators' dashboard: server-rendered pages, a little vanilla JavaScript, no build step.

    /dashboard                       today's weddings by time zone, queue, failures, workers
    /dashboard/weddings/{slug}       a wedding's gallery: every photo, its variants, placeholder
    /dashboard/sign-in               paste an API key; it becomes an HttpOnly cookie
    /dashboard/progress              live progress of today's weddings (Server-Sent Events)

Browsers cannot attach a Bearer header to a link or an <img>, so the dashboard signs in once
and keeps the key in a cookie (HttpOnly, SameSite=Strict, Secure over https); pages without a
valid cookie send the browser to the sign-in page. What a key sees is in `overview`: its
tenant's weddings, and the cross-tenant operations panels only with an admin key. Templates
autoescape everything; pages forbid framing and any script not served by the app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
import jinja2
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from trousseau import __version__
from trousseau.analysis import culling_of
from trousseau.catalog import (
    find_wedding,
    load_persons,
    page_documents,
    page_photos,
    parse_token,
    photos_by_id,
    variants_by_photo,
    wedding_faces,
)
from trousseau.errors import SettingsError, TrousseauError
from trousseau.freeze import RegionStatus, protection_now
from trousseau.ops import Readiness, assess, gather
from trousseau.web import forms, variants
from trousseau.web.auth import COOKIE, KeyWatch, Principal, Viewer, principal_for
from trousseau.web.dashboard import overview
from trousseau.web.dashboard.progress import Progress, StreamTiming, progress_events, read_progress
from trousseau.web.errors import Forbidden, Unauthorized
from trousseau.web.metrics import MetricsDep
from trousseau.web.photos import PhotoId
from trousseau.web.services import Services, ServicesDep

log = logging.getLogger("trousseau.web.dashboard.pages")

PREFIX = "/dashboard"
STATIC_PATH = f"{PREFIX}/static"
STATIC_DIR = Path(__file__).parent.parent / "static"
TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
GALLERY_LIMIT = 500
"""Photos a gallery page shows; the API pages through the rest."""
FORMS_LIMIT = 200
"""Form documents listed on a wedding's page; the API pages through the rest."""
SIGN_IN_MAX_BYTES = 4096
COOKIE_MAX_AGE = 12 * 3600
"""A sign-in lasts a working day; the key itself does not expire with it."""
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=overview.duration,
        slack=overview.slack,
        ago=overview.ago,
        size=overview.size,
        local_time=overview.local_time,
    )
    env.globals.update(version=__version__, static=STATIC_PATH)
    return env


templates = Jinja2Templates(env=_environment())


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def signed_in(request: Request, services: ServicesDep) -> Principal | None:
    """The principal of the dashboard's cookie, or None (no cookie, or a revoked key)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return principal_for(request, services, token)
    except Unauthorized:
        return None


SignedIn = Annotated[Principal | None, Depends(signed_in)]


def _to_sign_in(request: Request) -> RedirectResponse:
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse, response_model=None)
def home(request: Request, principal: SignedIn, services: ServicesDep) -> Response:
    """Today's weddings and, for an admin key, the operations panels."""
    if principal is None:
        return _to_sign_in(request)
    now = services.clock()
    with services.catalog.begin() as conn:
        view = overview.read_overview(
            conn,
            principal,
            now=now,
            slas=services.settings.sla_classes,
            live_within=timedelta(seconds=services.settings.jobs.lease_seconds),
            backup_targets=len(services.settings.backup.targets),
            lag_target_seconds=services.settings.backup.lag_target_seconds,
        )
    protection = _protection(services, now) if principal.admin else None
    planned = _planned_now(services, now) if principal.admin else None
    readiness = _readiness_tomorrow(services, now) if principal.admin else None
    return _page(
        request,
        "overview.html",
        principal=principal,
        view=view,
        now=now,
        protection=protection,
        planned=planned,
        readiness=readiness,
    )


def _readiness_tomorrow(services: Services, now: datetime) -> Readiness | None:
    """Tomorrow's readiness (UTC day) for the admin's tile: checked the day before."""
    try:
        facts = gather(services.settings, services.catalog, now.date() + timedelta(days=1), now)
    except TrousseauError as exc:
        log.warning("dashboard: no readiness for tomorrow: %s", exc)
        return None
    return assess(facts)


def _planned_now(services: Services, now: datetime) -> int | None:
    """The workers today's plan wants now (its floor, solved once per slot as for the
    gauge), for the admin's Workers tile; None if there is no plan to show (unusable
    settings, an infeasible day: the page still renders)."""
    from trousseau.web.planning import planned_workers

    try:
        return planned_workers(services, now)
    except TrousseauError as exc:
        log.warning("dashboard: no capacity plan for today: %s", exc)
        return None


def _protection(services: Services, now: datetime) -> list[RegionStatus] | None:
    """Every region's deploy protection for the admin's tile; None if the policy is unusable
    (the page still renders, the tile says so)."""
    try:
        return protection_now(services.catalog, now, policy_path=services.settings.freeze.policy)
    except SettingsError as exc:
        log.warning("dashboard: no protection levels, the freeze policy is unusable: %s", exc)
        return None


@router.get("/weddings/{slug}", response_class=HTMLResponse, response_model=None)
def gallery(
    slug: str,
    request: Request,
    principal: SignedIn,
    services: ServicesDep,
    sections: Annotated[str | None, Header(alias="X-Trousseau-Sections")] = None,
) -> Response:
    """One wedding's photos with their placeholders and variants, and its form documents
    with their status; 404 if not the tenant's."""
    if principal is None:
        return _to_sign_in(request)
    now = services.clock()
    with services.catalog.begin() as conn:
        wedding = find_wedding(conn, principal.tenant_id, slug)
        if wedding is None:
            return _page(request, "not_found.html", 404, principal=principal, slug=slug, now=now)
        progress = read_progress(conn, [wedding], now=now)[0]
        photos = page_photos(
            conn, tenant_id=principal.tenant_id, wedding_id=wedding.id, limit=GALLERY_LIMIT
        )
        found = variants_by_photo(conn, [p.id for p in photos])
        documents = page_documents(
            conn, tenant_id=principal.tenant_id, wedding_id=wedding.id, limit=FORMS_LIMIT
        )
        people: list[overview.PersonCard] = []
        if wedding.faces:
            persons, faces = load_persons(conn, wedding.id), wedding_faces(conn, wedding.id)
            wanted = sorted({f.photo_id for f in faces})
            people = overview.person_cards(
                persons,
                faces,
                photos_by_id(conn, wanted),
                variants_by_photo(conn, wanted),
            )
    culled, moments = None, []
    if _wants_section(sections, "moments"):  # a refresh of the thumbnails skips the culling
        culled = culling_of(
            services.catalog, services.vault, wedding.id, clock=services.clock,
            measure_missing=False,
        )  # fmt: skip
        with services.catalog.begin() as conn:
            shown = [m.representative.id for m in culled.moments]
            moments = overview.moment_cards(
                culled, photos_by_id(conn, shown), variants_by_photo(conn, shown)
            )
    return _page(
        request,
        "gallery.html",
        moments=moments,
        culled=culled,
        people=people,
        principal=principal,
        wedding=wedding,
        progress=progress,
        tiles=overview.tiles(photos, found),
        limit=GALLERY_LIMIT,
        documents=documents,
        forms_limit=FORMS_LIMIT,
        now=now,
    )


def _wants_section(sections: str | None, section: str) -> bool:
    """Whether a page request needs `section`: a whole page does; the dashboard's script,
    refreshing some sections, names them in X-Trousseau-Sections."""
    return sections is None or section in {s.strip() for s in sections.split(",")}


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _page(request, "sign_in.html", error=None)


def check_own_form(request: Request) -> None:
    """Forbidden (403) unless a form post comes from this site's own pages.

    SameSite=Strict keeps the cookie off cross-site requests, but another site's form could
    still sign a browser in with the attacker's key, or out. Browsers say where a request
    comes from in Sec-Fetch-Site, else in Origin; a client that sends neither is no browser
    posting another site's form.
    """
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if site is not None:
        own = site in ("same-origin", "none")
    else:
        own = origin is None or urlsplit(origin).netloc == request.headers.get("host")
    if not own:
        raise Forbidden("the dashboard signs in and out only from its own pages")


@router.post("/sign-in", response_class=HTMLResponse, response_model=None)
async def sign_in(request: Request, services: ServicesDep) -> Response:
    """Check the pasted key; a valid one becomes the dashboard's cookie (303 to /dashboard)."""
    check_own_form(request)
    token = await _form_key(request)
    principal = None
    if token:
        try:
            principal = await anyio.to_thread.run_sync(principal_for, request, services, token)
        except Unauthorized:
            principal = None
    if principal is None:
        parsed = parse_token(token) if token else None
        log.info("dashboard sign-in refused", extra={"key_id": parsed[0] if parsed else None})
        error = (
            "This API key is not valid (malformed, unknown or revoked). Paste a key from "
            "`trousseau keys create`, or ask an operator for a new one."
        )
        return _page(request, "sign_in.html", 401, error=error)
    response = RedirectResponse(PREFIX, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def _form_key(request: Request) -> str:
    """The `key` field of a small urlencoded form body ('' when absent or oversized)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > SIGN_IN_MAX_BYTES:
            return ""
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:  # more fields than the form has
        return ""
    return (fields.get("key") or [""])[0].strip()


@router.post("/sign-out")
def sign_out(request: Request) -> RedirectResponse:
    """Forget the cookie."""
    check_own_form(request)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/progress", response_class=EventSourceResponse)
async def today_progress(
    viewer: Viewer, services: ServicesDep, request: Request
) -> AsyncIterator[ServerSentEvent]:
    """Live progress of the viewer's weddings dated today: one stream for the overview."""
    tenant_id = viewer.tenant_id

    def read() -> list[Progress]:
        return _today(services, tenant_id)

    timing, watch = StreamTiming.of(services), KeyWatch.of(viewer, services)
    async for event in progress_events(read, timing, request.is_disconnected, watch=watch):
        yield event


def _today(services: Services, tenant_id: int) -> list[Progress]:
    now = services.clock()
    with services.catalog.begin() as conn:
        return overview.read_today(conn, tenant_id, now)


@router.get("/photos/{photo_id}/variants/{profile}", response_class=Response)
def variant(
    photo_id: PhotoId,
    profile: str,
    viewer: Viewer,
    services: ServicesDep,
    instruments: MetricsDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A variant for the gallery, with the dashboard's cookie: the API's download route."""
    return variants.download(
        photo_id,
        profile,
        viewer,
        services,
        instruments,
        range_=None,
        if_none_match=if_none_match,
        if_range=None,
    )


@router.get("/forms/{document_id}/pdf", response_class=Response)
def form_pdf(
    document_id: forms.DocumentId,
    viewer: Viewer,
    services: ServicesDep,
    instruments: MetricsDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A form document's original PDF, with the dashboard's cookie: the API's download route."""
    return forms.download(document_id, viewer, services, instruments, if_none_match=if_none_match)
