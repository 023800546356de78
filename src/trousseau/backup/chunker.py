"""Chunks: cutting a blob into content-defined pieces, and compressing a piece when it pays.

A blob is cut with FastCDC (pyfastcdc), so that two files sharing a long run of bytes share
the chunks inside it wherever the run sits in each file. Photos add one twist: the metadata
header of a JPEG or HEIC file (EXIF, XMP, ICC, thumbnails) is edited by studios' tools far
more often than the image data, and its length changes with the edit. Pure CDC usually finds
its cut points again after such a shift, but not always (a cut point that fell inside the
skipped minimum size moves): so the header is cut apart first, at the start of the image
data, and the image data is chunked on its own. Two copies of a photo whose metadata differ
then share every chunk of the image data, whatever the edit.

The chunker's parameters are the repository's (recorded in its config): two writers with
different parameters would never deduplicate against each other. The gear-table seed is random
per repository, so that chunk boundaries (and so sizes) do not tell which known file is stored.

Everything here is pure but `iter_chunks`, which reads a stream without ever holding more
than a few maximum-size chunks of it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import zstandard
from pyfastcdc import FastCDC

from trousseau.errors import InvalidValue, RepositoryCorrupt

KIB = 1024
MIB = 1024 * KIB

MIN_SAVING = 0.03
"""A compressed chunk is kept only if it is at least 3% smaller: JPEG, HEIC and most RAW data
do not compress, and storing them raw saves the decompression on every restore."""

ZSTD_LEVEL = 3

HEADER_PROBE_BYTES = 4 * MIB
"""How far into a file its metadata header is looked for; a longer header is chunked as
plain data (CDC still finds most of its cut points again)."""


@dataclass(frozen=True)
class ChunkerParams:
    """FastCDC's sizes and gear-table seed; fixed for a repository at `init`.

    The defaults suit photos of 5 to 60 MB: a 20 MB JPEG makes about 15 chunks (the mean
    chunk is about 1.3 MiB: FastCDC skips `min_size` bytes before it looks for a cut), few
    enough that the index stays small, many enough that a partial change costs little.
    """

    min_size: int = 512 * KIB
    avg_size: int = 1 * MIB
    max_size: int = 8 * MIB
    seed: int = 0

    def __post_init__(self) -> None:
        # pyfastcdc's own bounds, checked here to say which repository value is wrong.
        if not 64 <= self.min_size <= 1 * MIB:
            raise InvalidValue(f"chunker min_size {self.min_size} must be 64 B to 1 MiB")
        if not 256 <= self.avg_size <= 4 * MIB:
            raise InvalidValue(f"chunker avg_size {self.avg_size} must be 256 B to 4 MiB")
        if not 1 * KIB <= self.max_size <= 16 * MIB:
            raise InvalidValue(f"chunker max_size {self.max_size} must be 1 KiB to 16 MiB")
        if not self.min_size <= self.avg_size <= self.max_size:
            raise InvalidValue(
                f"chunker sizes must be min <= avg <= max (got {self.min_size}, "
                f"{self.avg_size}, {self.max_size})"
            )
        if not 0 <= self.seed < 2**62:
            raise InvalidValue(f"chunker seed {self.seed} must be 0 to 2**62 - 1")

    def to_json(self) -> dict[str, int]:
        return {
            "min_size": self.min_size,
            "avg_size": self.avg_size,
            "max_size": self.max_size,
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, data: Any) -> ChunkerParams:
        try:
            return cls(
                min_size=int(data["min_size"]),
                avg_size=int(data["avg_size"]),
                max_size=int(data["max_size"]),
                seed=int(data["seed"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RepositoryCorrupt(f"config: chunker parameters unreadable ({exc})") from None


def _cdc(params: ChunkerParams) -> FastCDC:
    return FastCDC(
        params.avg_size,
        min_size=params.min_size,
        max_size=params.max_size,
        normalized_chunking=1,
        seed=params.seed,
    )


# --- where the image data starts (pure) ----------------------------------------------------

_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: markers without a length
_JPEG_SOS = 0xDA


def header_length(prefix: bytes | memoryview) -> int | None:
    """Where the image data starts in a file beginning with `prefix`, or None.

    JPEG: the offset of the first start-of-scan marker (everything before it is metadata and
    tables). HEIC/AVIF and other ISO-BMFF files: the offset of the `mdat` box when it follows
    the metadata. None for anything else, or anything not parsed to that point within `prefix`:
    the caller then chunks the file as plain data.
    """
    if prefix[:2] == b"\xff\xd8":
        return _jpeg_scan_start(prefix)
    if prefix[4:8] == b"ftyp":
        return _isobmff_mdat_start(prefix)
    return None


def _jpeg_scan_start(data: bytes | memoryview) -> int | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _JPEG_SOS:
            return pos
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            return None
        pos += 2 + length
    return None


def _isobmff_mdat_start(data: bytes | memoryview) -> int | None:
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > len(data):
                return None
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        if kind == b"mdat":
            return pos if pos > 0 else None
        if size < header:  # 0 ("to the end of the file") or damaged, before any mdat
            return None
        pos += size
    return None


# --- cutting --------------------------------------------------------------------------------


def cut_bytes(data: bytes, params: ChunkerParams) -> list[memoryview]:
    """The chunks of `data` held in memory, as views into it (no copy): the same cuts
    `iter_chunks` makes of a stream."""
    cdc = _cdc(params)
    view = memoryview(data)
    cut = header_length(view[:HEADER_PROBE_BYTES])
    if cut is None or cut >= len(data):
        return [c.data for c in cdc.cut_buf(view)]
    return [c.data for c in cdc.cut_buf(view[:cut])] + [c.data for c in cdc.cut_buf(view[cut:])]


def chunk_bytes(data: bytes, params: ChunkerParams) -> list[bytes]:
    """The chunks of `data` held in memory, as bytes."""
    return [bytes(v) for v in cut_bytes(data, params)]


class _Prefixed:
    """A reader that yields `prefix`, then the rest of `source` (what was probed, put back)."""

    def __init__(self, prefix: bytes, source: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._source = source

    def readinto(self, buffer: memoryview) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_up_to(source: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left > 0:
        data = source.read(left)
        if not data:
            break
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def iter_chunks(source: BinaryIO, params: ChunkerParams) -> Iterator[bytes]:
    """The chunks of `source`, read as a stream (memory: a few `max_size` buffers).

    Cuts exactly as `chunk_bytes` would on the whole file, so a blob backed up from a stream
    and from memory deduplicates.
    """
    cdc = _cdc(params)
    prefix = _read_up_to(source, HEADER_PROBE_BYTES)
    cut = header_length(prefix)
    if cut is not None and cut < len(prefix):
        yield from (bytes(c.data) for c in cdc.cut_buf(prefix[:cut]))
        prefix = prefix[cut:]
    for chunk in cdc.cut_stream(_Prefixed(prefix, source)):
        yield bytes(chunk.data)


# --- compression ----------------------------------------------------------------------------


PROBE_WINDOW = 32 * KIB
PROBE_ABOVE = 256 * KIB
"""A chunk larger than this is first probed: three windows of it (start, middle, end) are
compressed at zstd's fastest level, and only if they save `MIN_SAVING` is the whole chunk
compressed. Image data (JPEG, HEIC, RAW) fails the probe in a twentieth of the time a full
compression takes to find out."""


def worth_compressing(data: bytes | memoryview) -> bool:
    """Whether compressing `data` may save `MIN_SAVING` (a sample of it says so)."""
    if len(data) <= PROBE_ABOVE:
        return True
    view = memoryview(data)
    step = (len(view) - PROBE_WINDOW) // 2
    sample = b"".join(view[at : at + PROBE_WINDOW] for at in (0, step, len(view) - PROBE_WINDOW))
    packed = zstandard.ZstdCompressor(level=1).compress(sample)
    return len(packed) <= len(sample) * (1 - MIN_SAVING)


def compress_chunk(data: bytes | memoryview) -> tuple[bytes | memoryview, bool]:
    """(payload, compressed): zstd's output when it saves at least `MIN_SAVING`, else `data`."""
    if not worth_compressing(data):
        return data, False
    packed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)
    if len(packed) <= len(data) * (1 - MIN_SAVING):
        return packed, True
    return data, False


def expand_chunk(payload: bytes, *, compressed: bool, raw_length: int, what: str) -> bytes:
    """The chunk's bytes from its stored payload; RepositoryCorrupt naming `what` if damaged."""
    if not compressed:
        data = payload
    else:
        try:
            data = zstandard.ZstdDecompressor().decompress(payload, max_output_size=raw_length)
        except zstandard.ZstdError as exc:
            raise RepositoryCorrupt(f"{what}: does not decompress ({exc})") from None
    if len(data) != raw_length:
        raise RepositoryCorrupt(
            f"{what}: holds {len(data)} bytes where the index says {raw_length}"
        )
    return data
