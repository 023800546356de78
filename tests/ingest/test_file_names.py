"""File names on a card are outside input: any name a filesystem holds is recorded as text.

A name that is not UTF-8 (an old camera, a card formatted on another system) reaches Python
as lone surrogates, which no catalog can encode: it once stopped the whole card with a
traceback from the database driver. The photo is recorded under the readable part of its
name, the undecodable bytes shown as U+FFFD.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trousseau.catalog import iter_photos
from trousseau.catalog.text import text_problem
from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
from trousseau.ingest.sources import file_name_text

from .conftest import make_jpeg

# A POSIX file name: any bytes but "/" and NUL, at most 255 of them, not "." or "..".
raw_names = (
    st.binary(min_size=1, max_size=255)
    .map(lambda raw: raw.replace(b"/", b"_").replace(b"\x00", b"_"))
    .filter(lambda raw: raw not in (b".", b".."))
)


@given(raw_names)
def test_any_file_name_is_text_any_catalog_stores(raw: bytes) -> None:
    name = file_name_text(Path(os.fsdecode(raw)))

    assert text_problem(name.replace("\x00", "")) is None
    assert name.encode("utf-8")
    if _is_utf8(raw):
        assert name == raw.decode("utf-8")


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _ingest(paths, catalog, vault, settings_, clock) -> IngestSummary:
    wedding = prepare_wedding(
        catalog, WeddingSpec(slug="smith-jones", tenant="studio-a"), settings_, clock
    )
    summary = IngestSummary()
    for event in ingest(
        paths, catalog=catalog, vault=vault, settings=settings_, wedding=wedding, clock=clock
    ):
        summary.add(event)
    return summary


@pytest.mark.parametrize(
    ("raw", "recorded"),
    [
        (b"IMG_\xff\xfe.JPG", "IMG_\ufffd\ufffd.JPG"),
        (b"mari\xe9e.jpg", "mari\ufffde.jpg"),  # latin-1 from an old system
        ("婚礼.jpg".encode(), "婚礼.jpg"),
        (b"\xed\xa0\x80.jpg", "\ufffd\ufffd\ufffd.jpg"),  # an encoded surrogate
        (b"tab\there\x7f.jpg", "tab\there\x7f.jpg"),
    ],
)
def test_a_card_with_odd_file_names_is_recorded_whole(
    tmp_path: Path, catalog, vault, settings, clock, raw: bytes, recorded: str
) -> None:
    card = tmp_path / "card"
    card.mkdir()
    odd = make_jpeg(card / "odd.jpg", seed=1)
    os.rename(odd, os.path.join(os.fsencode(card), raw))
    for i in range(2, 5):
        make_jpeg(card / f"IMG_{i:04d}.JPG", seed=i)

    summary = _ingest([card], catalog, vault, settings, clock)

    assert (summary.accepted, summary.rejected) == (4, [])
    with catalog.begin() as conn:
        names = {p.original_name for p in iter_photos(conn)}
    assert recorded in names


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=raw_names)
def test_any_file_name_on_a_card_is_ingested(
    tmp_path: Path, catalog, vault, settings, clock, raw: bytes
) -> None:
    card = tmp_path / "card"
    shutil.rmtree(card, ignore_errors=True)
    card.mkdir()
    source = tmp_path / "source.jpg"
    if not source.exists():
        make_jpeg(source, seed=9)
    target = os.path.join(os.fsencode(card), raw)
    shutil.copyfile(source, target)

    summary = _ingest([Path(os.fsdecode(target))], catalog, vault, settings, clock)

    assert summary.rejected == []
    assert summary.accepted + summary.duplicates == 1
