"""Free text (titles, regions, names): what any catalog can store, checked before it is written.

PostgreSQL refuses a NUL in a text column, and neither database can encode a lone surrogate
as UTF-8; either reached the driver as an exception with no field in it, a 500 once. Every
road that writes free text checks it here first, so the refusal names the field.
"""

from __future__ import annotations

import re

from trousseau.errors import InvalidValue

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL, and the UTF-16 surrogates that are no character on their own."""


def text_problem(value: str) -> str | None:
    """Why no catalog can store `value` as text, or None when any can (pure, total)."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (\\x00)"
    return f"a lone surrogate (U+{ord(found.group()):04X}), which is not UTF-8 text"


def check_text(value: str, *, field: str) -> str:
    """`value` itself, or an InvalidValue naming `field` and what it holds that cannot be kept."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidValue(f"{field} holds {problem}, which no catalog can store: remove it")
    return value
