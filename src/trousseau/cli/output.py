"""Where commands write: results on stdout, problems and progress notes on stderr."""

from __future__ import annotations

from rich.console import Console

console = Console()
"""Results a script may read (tables, totals, JSON)."""

errors = Console(stderr=True)
"""Errors and warnings, kept off stdout so piped output stays clean."""
