"""`python -m trousseau` runs the CLI."""

from trousseau.cli import main

main()
