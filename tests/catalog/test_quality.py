"""Photo quality in the catalog (both backends): signals and errors recorded, measuring again
replacing a row, what is left to measure, and a wedding's erasure taking its signals."""

from __future__ import annotations

import pytest

from trousseau.catalog import (
    Signals,
    erase_wedding_rows,
    photos_to_measure,
    record_quality,
    record_variant,
    wedding_quality,
)

from .conftest import wedding_with_photos

SHARP = Signals(2.9, 0.21, 0.48, 0.01, 0.0, 2.5, 0.97, (), 0xF0E1D2C3B4A59687)
UNDECODABLE = "variant reception could not be decoded"
DARK = Signals(1.1, 0.3, 0.05, 0.0, 0.62, 1.0, 0.12, ("blurred (sharpness 1.10)",), 1)


def _rendered(conn, clock, photo_id: int) -> None:
    record_variant(conn, photo_id=photo_id, profile="reception", fmt="jpeg",
                   sha256=f"v{photo_id}".ljust(64, "0"), size=9, width=2048, height=1365,
                   now=clock())  # fmt: skip


def test_signals_and_errors_are_stored_and_unmeasured_photos_listed(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=False, photos=4)
        other, others = wedding_with_photos(conn, clock, "w2", faces=False, photos=1)
        for photo_id in [*photos[:3], *others]:
            _rendered(conn, clock, photo_id)
        record_quality(conn, photo_id=photos[0], wedding_id=wedding.id, now=clock(),
                       source="reception", signals=SHARP)  # fmt: skip
        record_quality(conn, photo_id=photos[1], wedding_id=wedding.id, now=clock(),
                       source="reception", error=UNDECODABLE)  # fmt: skip
    with catalog.begin() as conn:
        rows = wedding_quality(conn, wedding.id)
        assert [r.original_name for r in rows] == [
            "IMG_0.JPG",
            "IMG_1.JPG",
            "IMG_2.JPG",
            "IMG_3.JPG",
        ]
        assert rows[0].signals == SHARP and rows[0].source == "reception"
        assert rows[0].measured_at is not None and rows[0].photo_state == "stored"
        assert rows[1].signals is None and rows[1].error == UNDECODABLE
        assert rows[2].measured_at is None and rows[2].signals is None and rows[2].error is None
        # the photo without a variant is not measurable yet; another wedding's is not listed;
        # a photo that could not be measured is measured again only when asked
        assert photos_to_measure(conn, wedding.id, again_failed=False) == [photos[2]]
        assert photos_to_measure(conn, wedding.id, again_failed=True) == photos[1:3]
        assert photos_to_measure(conn, other.id, again_failed=False) == others


def test_measuring_again_replaces_the_row(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=False, photos=1)
        record_quality(conn, photo_id=photos[0], wedding_id=wedding.id, now=clock(),
                       source="reception", error="variant reception unreadable")  # fmt: skip
    with catalog.begin() as conn:
        record_quality(conn, photo_id=photos[0], wedding_id=wedding.id, now=clock(),
                       source="social", signals=DARK)  # fmt: skip
    with catalog.begin() as conn:
        (row,) = wedding_quality(conn, wedding.id)
    assert row.signals == DARK and row.error is None and row.source == "social"


def test_signals_or_an_error_never_both(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=False, photos=1)
        with pytest.raises(ValueError, match="exactly one"):
            record_quality(conn, photo_id=photos[0], wedding_id=wedding.id, now=clock(),
                           source="reception")  # fmt: skip


def test_erasing_a_wedding_erases_its_signals(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=False, photos=2)
        kept, kept_photos = wedding_with_photos(conn, clock, "w2", faces=False, photos=1)
        for photo_id in photos:
            record_quality(conn, photo_id=photo_id, wedding_id=wedding.id, now=clock(),
                           source="reception", signals=SHARP)  # fmt: skip
        record_quality(conn, photo_id=kept_photos[0], wedding_id=kept.id, now=clock(),
                       source="reception", signals=SHARP)  # fmt: skip
    with catalog.begin() as conn:
        erase_wedding_rows(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id)
    with catalog.begin() as conn:
        assert wedding_quality(conn, wedding.id) == []
        (row,) = wedding_quality(conn, kept.id)
        assert row.signals == SHARP
