"""Slugs: the names tenants and weddings are addressed by, in URLs and on the command line.

One rule for every road that creates one (the API, `trousseau ingest`, `trousseau keys`), so
that whatever the CLI creates, the API and the gallery can address.
"""

from __future__ import annotations

import re

from trousseau.errors import InvalidValue

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
"""1 to 128 lower-case ASCII letters, digits, '.', '_' or '-', starting with a letter or digit:
a URL path segment as it is, never escaped, never "." or ".."."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}", re.ASCII)


def check_slug(slug: str, *, of: str = "wedding") -> str:
    """`slug` itself, or an InvalidValue saying what a slug may hold."""
    if not _SLUG.fullmatch(slug):
        raise InvalidValue(
            f"{slug!r} cannot be a {of} slug: use 1 to 128 lower-case letters, digits, '.', '_' "
            "or '-', starting with a letter or a digit (e.g. smith-jones-2026)"
        )
    return slug
