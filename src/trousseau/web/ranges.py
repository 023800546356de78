"""Conditional and partial GETs (RFC 9110): ETag matching and single byte ranges.

Pure functions of header values and sizes, so every case is tested without a server.
Multiple ranges are not served: the Range header is then ignored and the whole blob sent,
which the RFC allows and every client handles.
"""

from __future__ import annotations

from dataclasses import dataclass

from trousseau.web.errors import RangeNotSatisfiable


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
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(_unsatisfiable(header, size), size)
        return ByteRange(max(0, size - suffix), size - 1, size)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(_unsatisfiable(header, size), size)
    end = min(int(last), size - 1) if last else size - 1
    return ByteRange(start, end, size)


def _unsatisfiable(header: str, size: int) -> str:
    return f"range {header!r} starts past the end of this {size}-byte file: ask for less"
