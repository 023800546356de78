"""The HTTP service: the API under /api/v1, health, readiness and metrics.

Built per call by `create_app(settings)`; `trousseau serve` runs it under uvicorn together
with a job worker.
"""

from trousseau.web.app import app_from_environment, create_app
from trousseau.web.auth import Principal
from trousseau.web.config import API_PREFIX, WebConfig, web_config
from trousseau.web.server import serve
from trousseau.web.uploads import Received, Spool, complete_upload

__all__ = [
    "API_PREFIX",
    "Principal",
    "Received",
    "Spool",
    "WebConfig",
    "app_from_environment",
    "complete_upload",
    "create_app",
    "serve",
    "web_config",
]
