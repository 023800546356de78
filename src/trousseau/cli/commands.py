"""Importing this module registers every command group on the app."""

from trousseau.cli import demo, ingest, init, jobs, profiles, render, status, verify, work

__all__ = ["demo", "ingest", "init", "jobs", "profiles", "render", "status", "verify", "work"]
