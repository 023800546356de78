"""Liveness and readiness: is the process alive, and can it serve requests right now.

`/healthz` answers as long as the event loop runs: restarting the process would not help
with anything it could report. `/readyz` checks what a request needs — the catalog answers
and has room to write (`Catalog.write_failure`: a remembered disk-full failure, re-checked
every few seconds), its schema is the one this code expects, the vault is reachable — so a
load balancer stops sending traffic while any of them is missing, without killing the
process. Neither needs a key; neither reveals more than which check failed (the details go to
the log).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from trousseau.catalog import current_revision, head_revision
from trousseau.errors import SchemaOutOfDate, TrousseauError
from trousseau.web.errors import rule_for
from trousseau.web.services import Services, ServicesDep

log = logging.getLogger("trousseau.web.health")

_PROBE = "0" * 64
"""A blob key no content hashes to in practice: asking for it exercises the vault."""

router = APIRouter(tags=["operations"])


class Check(BaseModel):
    ok: bool
    detail: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "unready"]
    checks: dict[str, Check]


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """Liveness: 200 while the process serves requests."""
    return Liveness()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(services: ServicesDep) -> JSONResponse:
    """Readiness: 200 when the catalog answers with a current schema and the vault is reachable."""
    checks = {**_catalog_checks(services), "vault": _vault_check(services)}
    ready = all(c.ok for c in checks.values())
    body = Readiness(status="ready" if ready else "unready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _failed(what: str, exc: TrousseauError) -> Check:
    log.warning("not ready: %s: %s", what, exc)
    return Check(ok=False, detail=rule_for(exc).public or type(exc).__name__)


def _catalog_checks(services: Services) -> dict[str, Check]:
    try:
        catalog = services.catalog
        catalog.ping()
    except SchemaOutOfDate as exc:
        return {"catalog": Check(ok=True), "migrations": _failed("migrations", exc)}
    except TrousseauError as exc:
        failed = _failed("catalog", exc)
        return {"catalog": failed, "migrations": Check(ok=False, detail="catalog unavailable")}
    try:
        with catalog.engine.connect() as conn:
            current = current_revision(conn)
    except Exception as exc:  # a dropped connection mid-check is "not ready", not a 500
        log.warning("not ready: reading the schema revision failed: %s", exc)
        return {
            "catalog": Check(ok=False, detail="the catalog stopped answering"),
            "migrations": Check(ok=False, detail="catalog unavailable"),
        }
    head = head_revision()
    migrations = (
        Check(ok=True)
        if current == head
        else Check(ok=False, detail=f"schema at {current or 'none'}, this version needs {head}")
    )
    full = catalog.write_failure()
    writes = Check(ok=True) if full is None else _failed("catalog writes", full)
    return {"catalog": writes, "migrations": migrations}


def _vault_check(services: Services) -> Check:
    try:
        vault = services.vault
        vault.exists(_PROBE)
    except TrousseauError as exc:
        return _failed("vault", exc)
    root = getattr(vault, "root", None)
    if isinstance(root, Path) and not (root / "blobs").is_dir():
        log.warning("not ready: the vault directory %s is gone", root)
        return Check(ok=False, detail="storage is unavailable")
    return Check(ok=True)
