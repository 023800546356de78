"""The command line: one module per command group, rich output, one-line errors.

`cli.main` builds the `trousseau` command from the groups it lists; `main` is the entry point.
"""

from trousseau.cli.main import app, main

__all__ = ["app", "main"]
