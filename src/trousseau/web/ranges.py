"""Conditional and partial GETs (RFC 9110): ETag matching and single byte ranges.

Pure functions of header values and sizes, so every case is tested without a server.
Multiple ranges are not served: the Range header is then ignored and the whole blob sent,
which the RFC allows and every client handles.

Positions are ASCII digits only: `str.isdigit()` also says yes to "²", which `int()` refuses
(a 500 once). A number longer than any file reads as "past every file" rather than reaching
`int()`, which refuses more than 4,300 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trousseau.web.errors import RangeNotSatisfiable

_SPEC = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)
"""`first-last`, `first-` or `-suffix`, ASCII digits (RFC 9110 section 14.1.2)."""
_MAX_DIGITS = 19
BEYOND = 2**63
"""What a position longer than _MAX_DIGITS digits stands for: past the end of any blob."""
_QUOTED = 100
"""How much of a header an error message quotes."""


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end` inclusive of a blob of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def strong_etag(sha256: str) -> str:
    """A blob's entity tag: its hash, which changes exactly when its bytes do."""
    return f'"{sha256}"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weak comparison, `*` matches anything)."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


def byte_range(
    header: str | None, size: int, *, if_range: str | None = None, etag: str = ""
) -> ByteRange | None:
    """The single range to send, None for the whole blob, or RangeNotSatisfiable.

    A malformed header, several ranges, a unit other than bytes, or an If-Range that does not
    match the current ETag all mean "send everything", as RFC 9110 prescribes.
    """
    if not header or (if_range is not None and if_range.strip() != etag):
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _SPEC.fullmatch(spec.strip())
    if match is None or match.group(0) == "-":
        return None
    first, last = (_position(g) if g else None for g in match.groups())
    if first is None:
        assert last is not None
        if last == 0 or size == 0:
            raise RangeNotSatisfiable(_unsatisfiable(header, size), size)
        return ByteRange(max(0, size - last), size - 1, size)
    if last is not None and last < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable(_unsatisfiable(header, size), size)
    end = min(last, size - 1) if last is not None else size - 1
    return ByteRange(first, end, size)


def _position(digits: str) -> int:
    """A position of the header: its value, or BEYOND when it is longer than any file."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= _MAX_DIGITS else BEYOND


def _unsatisfiable(header: str, size: int) -> str:
    quoted = header if len(header) <= _QUOTED else f"{header[:_QUOTED]}…"
    return f"range {quoted!r} starts past the end of this {size}-byte file: ask for less"
