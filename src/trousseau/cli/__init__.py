"""The command line: one module per command group, rich output, one-line errors."""

from trousseau.cli.app import app, main

__all__ = ["app", "main"]
