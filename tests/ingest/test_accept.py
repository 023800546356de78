"""`accept`: one original from a file or bytes, one sniff, typed errors, nothing half-stored."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select

from trousseau.catalog import get_photo
from trousseau.catalog.schema import job, photo
from trousseau.errors import ChecksumMismatch, EmptyInput, UnsupportedFormat
from trousseau.ingest import WeddingSpec, accept, pipeline, prepare_wedding
from trousseau.jobs import list_jobs

from .conftest import make_jpeg


@pytest.fixture
def into(catalog, vault, settings, clock):
    """accept(...) into one wedding of the test catalog and vault."""
    wedding = prepare_wedding(
        catalog, WeddingSpec(slug="smith-jones", tenant="studio-a"), settings, clock
    )

    def call(source, **extra):
        return accept(
            source,
            wedding=wedding,
            catalog=catalog,
            vault=vault,
            settings=settings,
            clock=clock,
            **extra,
        )

    return call


def _counts(catalog) -> tuple[int, int]:
    with catalog.begin() as conn:
        return (
            conn.execute(select(func.count()).select_from(photo)).scalar_one(),
            conn.execute(select(func.count()).select_from(job)).scalar_one(),
        )


def test_bytes_become_a_photo_with_its_job_and_again_the_same_photo(into, catalog, vault, tmp_path):
    data = make_jpeg(tmp_path / "source.jpg", seed=3).read_bytes()

    first = into(data, name="IMG_0042.JPG")
    again = into(data, name="IMG_0042 copy.JPG")

    assert first.created and not again.created
    assert again.photo_id == first.photo_id and again.original_name == "IMG_0042.JPG"
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.size == len(data)
    with catalog.begin() as conn:
        stored = get_photo(conn, first.photo_id)
        (queued,) = list_jobs(conn)
    assert stored is not None
    assert (stored.original_name, stored.format, stored.width) == ("IMG_0042.JPG", "jpeg", 320)
    assert queued.payload["photo_id"] == first.photo_id
    assert vault.get_bytes(first.sha256) == data
    assert _counts(catalog) == (1, 1)


def test_a_file_is_recorded_under_the_name_given(into, catalog, tmp_path):
    path = make_jpeg(tmp_path / "spooled-name.jpg", seed=4)
    done = into(path, name="DSC_0001.JPG")
    with catalog.begin() as conn:
        stored = get_photo(conn, done.photo_id)
    assert stored is not None and stored.original_name == "DSC_0001.JPG"


def test_a_wrong_expected_hash_stores_nothing(into, catalog, vault, tmp_path):
    path = make_jpeg(tmp_path / "IMG_0007.JPG", seed=7)
    announced = hashlib.sha256(b"what the client claimed").hexdigest()

    with pytest.raises(ChecksumMismatch) as raised:
        into(path, expected_sha256=announced)

    message = str(raised.value)
    assert "IMG_0007.JPG" in message and announced in message
    assert "nothing was stored" in message and str(tmp_path) not in message
    assert list(vault.iter_blobs()) == [] and _counts(catalog) == (0, 0)


def test_the_right_expected_hash_is_accepted(into, tmp_path):
    path = make_jpeg(tmp_path / "IMG_0008.JPG", seed=8)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert into(path, expected_sha256=expected).sha256 == expected


@pytest.mark.parametrize(
    ("data", "error", "says"),
    [
        (b"", EmptyInput, "IMG_0009.JPG is empty (0 bytes)"),
        (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", UnsupportedFormat, "IMG_0009.JPG is not an image"),
    ],
)
def test_what_cannot_be_an_original_is_a_typed_error(into, catalog, vault, data, error, says):
    with pytest.raises(error, match=re.escape(says)):
        into(data, name="IMG_0009.JPG")
    assert list(vault.iter_blobs()) == [] and _counts(catalog) == (0, 0)


def test_bytes_need_a_name(into):
    for name in (None, "", "."):
        with pytest.raises(ValueError, match="file name"):
            into(b"\xff\xd8\xff", name=name)


def test_the_format_is_sniffed_once(into, tmp_path, monkeypatch):
    sniffed = []
    real = pipeline.sniff

    def counting(path):
        sniffed.append(path.name)
        return real(path)

    monkeypatch.setattr(pipeline, "sniff", counting)
    into(make_jpeg(tmp_path / "IMG_0010.JPG", seed=10))
    assert sniffed == ["IMG_0010.JPG"]
