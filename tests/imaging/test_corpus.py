"""The image parsers over every bad and odd file: each works or fails with a reason, quickly.

Every file of `../shared/data/photos/bad` and every generated odd file (`odd.py`: huge
declared sizes, SubIFD and IFD loops, odd text in every EXIF tag, truncations) goes through
what an upload meets: `sniff`, `probe`, then for what sniffs as an image `source_size` and
`render` on the CPU backend. The property, for each parser and file:

- it returns a sane value (a probe's text any catalog stores, sizes >= 1, a naive time), or
- it raises a TrousseauError (an ImagingError from the imaging functions, an IngestError
  from sniff) whose message names the file, never another exception type;
- and it finishes in bounded time: a probe within PROBE_SECONDS, a render within
  RENDER_SECONDS, whatever the header declares.

A hypothesis test then mutates a small JPEG with a full EXIF block and a TIFF with SubIFDs
byte by byte (overwrites, insertions, cuts) and asks the same.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trousseau.catalog.text import text_problem
from trousseau.errors import ImagingError, IngestError, TrousseauError
from trousseau.imaging import (
    Original,
    cpu_backend,
    enabled_profiles,
    load_profiles,
    probe,
    render,
    sniff,
    source_size,
)
from trousseau.settings import ImagingSettings

from ..conftest import SHARED_DATA
from .odd import DATETIME, all_text_tags, jpeg_with_app1, odd_files, small_tiff, subifds

PROBE_SECONDS = 1.0
"""A probe reads headers only: a second is generous even on a loaded 2-core machine."""
RENDER_SECONDS = 10.0
"""Renders of the tiny generated files (64 x 48) and the bad corpus take milliseconds; a
declared size must be refused before it is decoded, never decoded slowly."""

BAD_DIR = SHARED_DATA / "photos" / "bad"
BAD_FILES = sorted(p.name for p in BAD_DIR.iterdir()) if BAD_DIR.is_dir() else []
ODD_FILES = odd_files()
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@pytest.fixture(scope="module")
def backend():
    return cpu_backend(ImagingSettings())


@pytest.fixture(scope="module")
def profiles():
    return enabled_profiles(load_profiles())


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """`call()`'s value or the exception it raised, and the seconds it took."""
    started = time.monotonic()
    try:
        value: Any = call()
    except Exception as exc:  # judged by the caller: the point is any exception at all
        value = exc
    return value, time.monotonic() - started


def judge(what: str, name: str, outcome: Any, expected: type[TrousseauError]) -> list[str]:
    """What is wrong with an exception `outcome` of `what` on file `name`, if anything."""
    if not isinstance(outcome, Exception):
        return []
    if not isinstance(outcome, expected):
        kind = f"{type(outcome).__module__}.{type(outcome).__name__}"
        return [f"{what} raised {kind} (not {expected.__name__}): {outcome}"]
    if name not in str(outcome):
        return [f"{what} raised {type(outcome).__name__} without naming {name}: {outcome}"]
    return []


def check_file(path: Path, backend, profiles) -> list[str]:
    """Every problem sniff, probe, source_size and render have with one file."""
    name = path.name
    problems: list[str] = []
    fmt, _ = timed(lambda: sniff(path))
    problems += judge("sniff", name, fmt, IngestError)

    info, seconds = timed(lambda: probe(path))
    problems += judge("probe", name, info, ImagingError)
    if seconds > PROBE_SECONDS:
        problems.append(f"probe took {seconds:.2f} s (limit {PROBE_SECONDS} s)")
    if not isinstance(info, Exception):
        problems += [f"probe: {p}" for p in photo_info_problems(name, info)]

    if isinstance(fmt, str):
        data = path.read_bytes()
        size, _ = timed(lambda: source_size(data, fmt=fmt, name=name))
        problems += judge("source_size", name, size, ImagingError)
        if not isinstance(size, Exception) and not all(
            isinstance(side, int) and side >= 1 for side in size
        ):
            problems.append(f"source_size gave {size}")
        rendering, seconds = timed(lambda: render(Original(data, fmt, name), profiles, backend))
        problems += judge("render", name, rendering, ImagingError)
        if seconds > RENDER_SECONDS:
            problems.append(f"render took {seconds:.2f} s (limit {RENDER_SECONDS} s)")
        if not isinstance(rendering, Exception):
            problems += [
                f"render: variant {v.profile} is {v.width}x{v.height}, {len(v.data)} bytes"
                for v in rendering.variants
                if v.width < 1 or v.height < 1 or not v.data
            ]
    return problems


def photo_info_problems(name: str, info) -> list[str]:
    """What a probe's answer holds that the catalog could not store or a reader not trust."""
    problems = []
    if not (isinstance(info.width, int) and isinstance(info.height, int)):
        problems.append(f"size {info.width!r} x {info.height!r} is not whole numbers")
    elif info.width < 1 or info.height < 1:
        problems.append(f"size {info.width} x {info.height}")
    if info.camera is not None and (
        not info.camera.strip() or text_problem(info.camera) or _CONTROL.search(info.camera)
    ):
        problems.append(f"camera {info.camera[:80]!r} is not clean text")
    if info.camera is not None and len(info.camera) > 1000:
        problems.append(f"camera is {len(info.camera)} characters")
    if info.captured_at is not None and info.captured_at.tzinfo is not None:
        problems.append(f"captured_at {info.captured_at} is not naive camera time")
    if info.orientation is not None and not 1 <= info.orientation <= 8:
        problems.append(f"orientation {info.orientation}")
    problems += [
        f"warning {w[:80]!r} does not name the file" for w in info.warnings if name not in w
    ]
    return problems


@pytest.mark.skipif(not BAD_FILES, reason="../shared/data/photos/bad is absent")
@pytest.mark.parametrize("name", BAD_FILES)
def test_each_bad_file_works_or_fails_with_a_reason(name: str, backend, profiles) -> None:
    problems = check_file(BAD_DIR / name, backend, profiles)

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_each_odd_file_works_or_fails_with_a_reason(
    name: str, tmp_path: Path, backend, profiles
) -> None:
    path = tmp_path / name
    path.write_bytes(ODD_FILES[name])

    problems = check_file(path, backend, profiles)

    assert not problems, "\n".join(problems)


def test_the_corpus_holds_every_kind() -> None:
    kinds = (
        "jpeg-sof-",
        "png-ihdr-",
        "subifds-40000",
        "ifd-chain-",
        "exif-every-tag-",
        "truncated-",
    )
    for kind in kinds:
        assert any(name.startswith(kind) for name in ODD_FILES), kind
    assert len(ODD_FILES) > 300


# ---------------------------------------------------------------------------------------------
# Mutations of a small JPEG with a full EXIF block, and of a TIFF with SubIFDs.

SEEDS = {
    "exif.jpg": jpeg_with_app1(b"Exif\x00\x00" + all_text_tags(DATETIME, keep_date=True)),
    "subifds.tif": small_tiff([subifds(4)]),
}

mutation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 2**16), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("insert"), st.integers(0, 2**16), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("cut"), st.integers(0, 2**16), st.just(b"")),
)


def mutate(data: bytes, changes: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, at, payload in changes:
        at %= max(len(out), 1)
        if kind == "set":
            out[at : at + len(payload)] = payload
        elif kind == "insert":
            out[at:at] = payload
        else:
            del out[at:]
    return bytes(out)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.sampled_from(sorted(SEEDS)), changes=st.lists(mutation, min_size=1, max_size=6))
def test_any_mutation_works_or_fails_with_a_reason(
    tmp_path: Path, backend, profiles, seed: str, changes: list[tuple[str, int, bytes]]
) -> None:
    path = tmp_path / f"mutated-{seed}"
    path.write_bytes(mutate(SEEDS[seed], changes))

    problems = check_file(path, backend, profiles)

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("raw", [b"IMG_\xff\xfe.jpg", b"mari\xe9e.jpg", "婚礼.jpg".encode()])
def test_a_file_whose_name_is_not_utf8_is_probed_or_fails_with_a_reason(
    tmp_path: Path, backend, profiles, raw: bytes
) -> None:
    # What a card formatted elsewhere holds: Python reads the name's bytes as lone surrogates.
    target = os.path.join(os.fsencode(tmp_path), raw)
    with open(target, "wb") as out:
        out.write(ODD_FILES["exif-every-tag-dated-superscript-two.jpg"])

    problems = check_file(Path(os.fsdecode(target)), backend, profiles)

    assert not problems, "\n".join(problems)
