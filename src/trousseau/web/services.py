"""What request handlers share: settings, clock, and the catalog and vault of this process.

The catalog and vault are opened when the app starts; if the database or the store is down
at that moment the app still starts (liveness stays green, readiness says why it is not
ready) and each later request tries to open them again. Nothing here is global: every app
built by `create_app` has its own Services.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from trousseau.catalog import Catalog, open_catalog
from trousseau.clock import Clock
from trousseau.errors import TrousseauError
from trousseau.ingest import sweep
from trousseau.settings import Settings
from trousseau.vault import Vault, open_vault
from trousseau.web.config import WebConfig

if TYPE_CHECKING:  # the upload package's routes depend on Services, not the reverse
    from trousseau.web.uploads import Spool

log = logging.getLogger("trousseau.web")

POOL_SIZE = 20
"""Catalog connections kept open: requests run in a pool of 40 threads, and a connection
opened per request beyond the pool (PostgreSQL: a fork and authentication on the server)
costs more than the request itself."""
POOL_OVERFLOW = 20


class Services:
    """One app's connections and configuration."""

    def __init__(self, settings: Settings, config: WebConfig, clock: Clock, spool: Spool) -> None:
        self.settings = settings
        self.config = config
        self.clock = clock
        self.spool = spool
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._vault: Vault | None = None

    @property
    def catalog(self) -> Catalog:
        """The catalog, opened (and migrated when safe) on first use; CatalogError if down."""
        if self._catalog is None:
            with self._lock:
                if self._catalog is None:
                    self._catalog = open_catalog(
                        self.settings.catalog_url,
                        auto_migrate=self.settings.auto_migrate,
                        busy_timeout_ms=self.settings.sqlite_busy_timeout_ms,
                        pool_size=POOL_SIZE,
                        max_overflow=POOL_OVERFLOW,
                    )
        return self._catalog

    @property
    def vault(self) -> Vault:
        """The vault, opened on first use; VaultError if it cannot be."""
        if self._vault is None:
            with self._lock:
                if self._vault is None:
                    vault = open_vault(
                        self.settings.vault_url, replicas=self.settings.vault_replicas
                    )
                    sweep(vault)
                    self._vault = vault
        return self._vault

    def open(self) -> None:
        """Open what can be opened now; log (do not raise) what cannot, for readiness to tell."""
        for name in ("catalog", "vault"):
            try:
                getattr(self, name)
            except TrousseauError as exc:
                log.error("cannot open the %s at start: %s", name, exc)

    def close(self) -> None:
        with self._lock:
            if self._catalog is not None:
                self._catalog.dispose()
                self._catalog = None
            if self._vault is not None:
                self._vault.close()
                self._vault = None


def services_of(request: Request) -> Services:
    """The Services of the app serving this request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(services_of)]
