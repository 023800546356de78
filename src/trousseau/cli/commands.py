"""Importing this module registers every command group on the app."""

from trousseau.cli import (
    demo,
    ingest,
    init,
    jobs,
    keys,
    profiles,
    render,
    serve,
    status,
    verify,
    work,
)

__all__ = [
    "demo",
    "ingest",
    "init",
    "jobs",
    "keys",
    "profiles",
    "render",
    "serve",
    "status",
    "verify",
    "work",
]
