"""What a running job can reach: its own identity, settings, and the process's catalog/vault."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from trousseau.clock import Clock, utc_now
from trousseau.settings import Settings

T = TypeVar("T")

if TYPE_CHECKING:
    from trousseau.catalog import Catalog
    from trousseau.vault import Vault


class Resources:
    """The catalog and vault of one worker process, opened on first use and reused, and the
    worker's clock, which every job of the process reads its instants from."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """A per-process value built once (loaded profiles, an imaging backend)."""
        if key not in self._memo:
            self._memo[key] = factory()
        value: T = self._memo[key]
        return value

    @cached_property
    def catalog(self) -> Catalog:
        from trousseau.catalog import open_catalog

        return open_catalog(
            self.settings.catalog_url,
            auto_migrate=False,
            busy_timeout_ms=self.settings.sqlite_busy_timeout_ms,
        )

    @cached_property
    def vault(self) -> Vault:
        from trousseau.vault import open_vault

        return open_vault(self.settings.vault_url, replicas=self.settings.vault_replicas)

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.dispose()
        if "vault" in self.__dict__:
            self.vault.close()


@dataclass(frozen=True)
class JobContext:
    """Handed to every job function."""

    job_id: int
    kind: str
    attempt: int
    max_attempts: int
    deadline: datetime
    resources: Resources
    clock: Callable[[], datetime]
    sla: str = ""
    tenant_id: int | None = None
    wedding_id: int | None = None
    """The job's subject: the wedding it is about (None for a job about no wedding)."""
    photo_id: int | None = None
    """The job's subject: the photo it is about (None for a job about no one photo)."""

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def catalog(self) -> Catalog:
        return self.resources.catalog

    @property
    def vault(self) -> Vault:
        return self.resources.vault

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts
