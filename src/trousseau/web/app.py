"""The application factory: one FastAPI app per call, everything it needs inside it.

    app = create_app(load_settings())          # tests, embedding
    uvicorn trousseau.web.app:app_from_environment --factory   # several processes

The catalog and vault are opened in the lifespan and closed after it; the metrics registry,
the spool and the clock belong to the app. Nothing is global, so several apps (one per test)
live side by side in one process.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from trousseau import __version__
from trousseau.clock import Clock, utc_now
from trousseau.ops import ExpiryWatch, vault_free_bytes
from trousseau.settings import Settings, load_settings
from trousseau.web import (
    backups,
    culling,
    dashboard,
    forms,
    health,
    jobs,
    people,
    photos,
    planning,
    protection,
    uploads,
    variants,
    weddings,
    workers,
)
from trousseau.web import metrics as metrics_routes
from trousseau.web.auth import key_first
from trousseau.web.bodies import BodyGate
from trousseau.web.config import API_PREFIX, WebConfig, spool_dir, web_config
from trousseau.web.errors import install_error_handlers
from trousseau.web.metrics import Metrics
from trousseau.web.middleware import RequestContext
from trousseau.web.openapi import document_common_errors
from trousseau.web.planning import planned_workers
from trousseau.web.services import Services

log = logging.getLogger("trousseau.web")

SPOOL_MAX_AGE = timedelta(hours=24)
"""Spool entries older than this were left by a crash; no upload takes a day."""

DESCRIPTION = """\
The HTTP API of trousseau: weddings, photo uploads, photos with their variants and
placeholders, variant downloads, vendors' PDF forms read into fields, and the job queue
for operators.

Authenticate with an API key from `trousseau keys create`:
`Authorization: Bearer tr_<id>_<secret>`. A key sees only its tenant's data; another
tenant's wedding, photo or variant is answered 404. Operations endpoints need an admin key.
Errors have the body `{"error": {"code", "message", "request_id"}}`.
"""


def create_app(
    settings: Settings, *, clock: Clock = utc_now, config: WebConfig | None = None
) -> FastAPI:
    """A ready-to-serve app for `settings`; `config` overrides what `settings.web` says."""
    config = config or web_config(settings)
    services = Services(settings, config, clock, uploads.Spool(spool_dir(settings, config)))
    metrics = Metrics(
        lambda: services.catalog,
        clock,
        settings.sla_classes,
        live_within=timedelta(seconds=settings.jobs.lease_seconds),
        policy_path=settings.freeze.policy,
        planned=lambda now: planned_workers(services, now),
        vault_free=lambda: vault_free_bytes(settings.vault_url),
        certificates=ExpiryWatch(settings.ops.certificates).seconds_left,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(services.open)
        await anyio.to_thread.run_sync(services.spool.sweep, SPOOL_MAX_AGE)
        redacted = settings.redacted()
        log.info(
            "trousseau %s serving",
            __version__,
            extra={"catalog": redacted["catalog_url"], "vault": redacted["vault_url"]},
        )
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(services.close)

    app = FastAPI(
        title="trousseau",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.metrics = metrics
    install_error_handlers(app)
    for router in (
        weddings.router,
        dashboard.progress_router,
        photos.router,
        uploads.single_router,
        uploads.tus_router,
        variants.router,
        forms.router,
        people.router,
        culling.router,
        jobs.router,
        workers.router,
        backups.router,
        protection.router,
        planning.router,
        health.router,
        metrics_routes.router,
        dashboard.pages_router,
    ):
        app.include_router(router)
    app.mount(dashboard.STATIC_PATH, StaticFiles(directory=dashboard.STATIC_DIR), "static")
    document_common_errors(app)
    app.add_middleware(BodyGate, limit=config.max_body_bytes, before_body=key_first(services))
    app.add_middleware(RequestContext, metrics=metrics, path_headers=uploads.TUS_PATH_HEADERS)
    return app


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (uvicorn's `--factory`, worker processes)."""
    return create_app(load_settings())
