"""Chunking: content-defined cuts, the photo-header split, streaming, compression."""

from __future__ import annotations

import functools
import io
import random
import struct
from pathlib import Path

import pytest
import pyvips

from tests.conftest import SHARED_DATA
from trousseau.backup.chunker import (
    KIB,
    MIB,
    ChunkerParams,
    chunk_bytes,
    compress_chunk,
    cut_bytes,
    expand_chunk,
    header_length,
    iter_chunks,
    worth_compressing,
)
from trousseau.errors import InvalidValue, RepositoryCorrupt

SMALL = ChunkerParams(min_size=2 * KIB, avg_size=8 * KIB, max_size=32 * KIB, seed=12345)
REAL_PHOTO = SHARED_DATA / "photos" / "exif" / "nokia83_gps.jpg"


@functools.cache
def photo_bytes() -> bytes:
    """A camera JPEG: the shared one (a Nokia's, with EXIF and GPS) when ../shared is here,
    else a noisy 1600x1200 JPEG with an EXIF block made here, so these tests never skip."""
    if REAL_PHOTO.is_file():
        return REAL_PHOTO.read_bytes()
    image = pyvips.Image.gaussnoise(1600, 1200, mean=128, sigma=40, seed=83).cast("uchar")
    image = image.bandjoin([image.rot180(), image.flip("horizontal")])
    image = image.copy(interpretation="srgb")
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Make", "trousseau test camera")
    description = random.Random(83).randbytes(1000).hex()
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-ImageDescription", description)
    data: bytes = image.jpegsave_buffer(Q=90)
    return data


def noise(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def fake_jpeg(exif: bytes, image: bytes) -> bytes:
    """SOI, an APP1 'EXIF' of the given bytes, a DQT, then SOS and `image` as scan data."""
    return (
        b"\xff\xd8"
        + segment(0xE1, b"Exif\x00\x00" + exif)
        + segment(0xDB, bytes(65))
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + image
        + b"\xff\xd9"
    )


def with_comment(jpeg: bytes, comment: bytes) -> bytes:
    """A metadata edit: a COM segment inserted after SOI (the header grows)."""
    return jpeg[:2] + segment(0xFE, comment) + jpeg[2:]


class Trickle(io.RawIOBase):
    """A reader that hands out at most 777 bytes a call, as a slow socket would."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(777, size if size >= 0 else 777))


def test_header_length_finds_the_jpeg_scan() -> None:
    data = fake_jpeg(b"camera" * 50, noise(1000))
    cut = header_length(data)
    assert cut is not None and data[cut : cut + 2] == b"\xff\xda"
    assert header_length(with_comment(data, b"x" * 300)) == cut + 304
    # fill bytes before a marker are skipped
    filled = data[:2] + b"\xff\xff" + data[2:]
    assert header_length(filled) == cut + 2


def test_header_length_of_a_real_photo() -> None:
    data = photo_bytes()
    cut = header_length(data)
    assert cut is not None and 1000 < cut < len(data) // 2
    assert data[cut : cut + 2] == b"\xff\xda"


def test_header_length_isobmff_mdat() -> None:
    ftyp = struct.pack(">I4s", 20, b"ftyp") + b"heic" + b"\x00" * 8
    meta = struct.pack(">I4s", 108, b"meta") + b"\x00" * 100
    mdat = struct.pack(">I4s", 1008, b"mdat") + noise(1000)
    assert header_length(ftyp + meta + mdat) == 128
    large = struct.pack(">I4sQ", 1, b"meta", 116) + b"\x00" * 100
    assert header_length(ftyp + large + mdat) == 136


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"plain text, not a photo",
        b"\xff\xd8\xff\xe1\x00\x01",  # a segment length below 2
        b"\xff\xd8\xff\xe1\x10\x00" + bytes(100),  # the header runs past the prefix
        b"\xff\xd8\x00\x00\x00\x00",  # no marker where one must be
        struct.pack(">I4s", 20, b"ftyp") + bytes(12) + struct.pack(">I4s", 0, b"meta"),
        b"\x00\x00\x00\x10ftyp" + bytes(8) + b"\x00\x00\x00\x01mdat",  # size past the prefix
    ],
)
def test_header_length_none_when_unsure(data: bytes) -> None:
    assert header_length(data) is None


def test_chunks_cover_the_data_within_bounds() -> None:
    data = noise(400 * KIB)
    chunks = chunk_bytes(data, SMALL)
    assert b"".join(chunks) == data
    assert all(SMALL.min_size <= len(c) <= SMALL.max_size for c in chunks[:-1])
    assert 10 < len(chunks) < 200


@pytest.mark.parametrize("kind", ["noise", "jpeg", "photo", "empty"])
def test_streaming_cuts_as_in_memory(kind: str) -> None:
    data = {
        "noise": noise(300 * KIB, 1),
        "jpeg": fake_jpeg(b"e" * 3000, noise(200 * KIB, 2)),
        "photo": photo_bytes(),
        "empty": b"",
    }[kind]
    streamed = list(iter_chunks(Trickle(data), SMALL))  # type: ignore[arg-type]
    assert streamed == chunk_bytes(data, SMALL)
    assert b"".join(streamed) == data


def test_edited_metadata_shares_every_image_chunk() -> None:
    """However the header's length changes, all image data chunks are shared."""
    image = noise(600 * KIB, 3)
    original = fake_jpeg(b"A" * 5000, image)
    for edit in (b"", b"B" * 17, b"C" * 9000):
        edited = fake_jpeg(edit, image)
        for copy in (edited, with_comment(edited, b"culled: 5 stars")):
            cut = header_length(copy)
            assert cut is not None
            assert _shared_tail(original, copy) == len(copy) - cut > len(image)


def test_edited_real_photo_shares_every_image_chunk() -> None:
    original = photo_bytes()
    edited = with_comment(original, b"keywords: ceremony, rings" * 40)
    cut = header_length(edited)
    assert cut is not None
    assert _shared_tail(original, edited) == len(edited) - cut


def _shared_tail(original: bytes, copy: bytes) -> int:
    """Bytes of `copy`'s chunks that `original` also has, counted from its scan onwards."""
    known = set(chunk_bytes(original, SMALL))
    cut = header_length(copy)
    assert cut is not None
    position = shared = 0
    for chunk in chunk_bytes(copy, SMALL):
        if position >= cut and chunk in known:
            shared += len(chunk)
        position += len(chunk)
    return shared


def test_default_sizes_suit_photos() -> None:
    data = noise(48 * MIB, 4)
    chunks = chunk_bytes(data, ChunkerParams())
    mean = len(data) / len(chunks)
    assert 1 * MIB <= mean <= 1.6 * MIB
    assert max(len(c) for c in chunks) <= 8 * MIB


def test_seed_moves_the_cuts() -> None:
    data = noise(300 * KIB, 5)
    other = ChunkerParams(min_size=2 * KIB, avg_size=8 * KIB, max_size=32 * KIB, seed=99)
    assert chunk_bytes(data, SMALL) != chunk_bytes(data, other)


@pytest.mark.parametrize(
    "sizes",
    [
        {"min_size": 10},
        {"min_size": 2 * MIB, "avg_size": 2 * MIB},
        {"avg_size": 8 * MIB},
        {"max_size": 32 * MIB},
        {"min_size": 64 * KIB, "avg_size": 32 * KIB},
        {"seed": -1},
    ],
)
def test_bad_params_refused(sizes: dict[str, int]) -> None:
    with pytest.raises(InvalidValue):
        ChunkerParams(**sizes)


def test_params_round_trip_and_damage() -> None:
    assert ChunkerParams.from_json(SMALL.to_json()) == SMALL
    with pytest.raises(RepositoryCorrupt, match="config"):
        ChunkerParams.from_json({"min_size": 1})


def test_compression_kept_only_when_it_pays(tmp_path: Path) -> None:
    text = b"wedding,2026-06-06,Europe/Paris\n" * 1000
    payload, compressed = compress_chunk(text)
    assert compressed and len(payload) < len(text) // 10
    assert expand_chunk(payload, compressed=True, raw_length=len(text), what="x") == text
    photo = photo_bytes()[: 64 * KIB]
    payload, compressed = compress_chunk(photo)
    assert not compressed and payload == photo
    assert expand_chunk(payload, compressed=False, raw_length=len(photo), what="x") == photo


def test_large_chunks_are_probed_before_they_are_compressed() -> None:
    rng = random.Random(7)
    noise = rng.randbytes(2 * MIB)
    assert not worth_compressing(noise)
    payload, compressed = compress_chunk(noise)
    assert not compressed and payload is noise
    # a compressible chunk passes the probe wherever its compressible part lies
    text = (b"wedding,2026-06-06,Europe/Paris\n" * 70_000)[: 2 * MIB]
    for mixed in (text, noise[:MIB] + text[:MIB], text[:MIB] + noise[:MIB]):
        assert worth_compressing(mixed)
        payload, compressed = compress_chunk(mixed)
        assert compressed and len(payload) < len(mixed) * 0.97
        assert expand_chunk(payload, compressed=True, raw_length=len(mixed), what="x") == mixed
    # a view is compressed as its bytes are
    view = memoryview(text)[:MIB]
    payload, compressed = compress_chunk(view)
    assert compressed
    assert expand_chunk(payload, compressed=True, raw_length=MIB, what="x") == text[:MIB]


def test_cuts_in_memory_are_views_equal_to_the_copied_chunks() -> None:
    data = photo_bytes()
    views = cut_bytes(data, SMALL)
    assert all(isinstance(v, memoryview) for v in views)
    assert [bytes(v) for v in views] == chunk_bytes(data, SMALL)
    assert b"".join(views) == data


def test_expand_names_the_damaged_chunk() -> None:
    payload, _ = compress_chunk(b"a" * 10_000)
    with pytest.raises(RepositoryCorrupt, match="packs/ab"):
        expand_chunk(payload[:-3], compressed=True, raw_length=10_000, what="packs/ab")
    with pytest.raises(RepositoryCorrupt, match="index says 9999"):
        expand_chunk(payload, compressed=True, raw_length=9999, what="packs/ab")
    with pytest.raises(RepositoryCorrupt, match="index says 5"):
        expand_chunk(b"abcd", compressed=False, raw_length=5, what="packs/ab")
