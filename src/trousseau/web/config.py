"""What the HTTP service reads from Settings, in one place."""

from __future__ import annotations

from pathlib import Path

from trousseau.settings import Settings, WebSettings

API_PREFIX = "/api/v1"
"""Every resource lives under this version prefix; a breaking change gets a new one."""

MAX_ID = 2**63 - 1
"""Ids are BIGINT: a larger one in a path or query is refused (422) before any query."""

WebConfig = WebSettings
"""The service's knobs: `Settings.web` (host, port, max_upload_bytes, spool_dir)."""


def web_config(settings: Settings) -> WebSettings:
    """The web section of `settings`."""
    return settings.web


def spool_dir(settings: Settings, config: WebSettings) -> Path:
    """Where upload bodies are spooled before they are verified and stored."""
    return config.spool_dir or settings.data_dir / "uploads"
