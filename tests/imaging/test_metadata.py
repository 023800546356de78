"""filter_exif: the allow-lists per policy flag, exact tag bytes, and tolerance of broken EXIF.

EXIF here is built and read back with a small struct-based TIFF writer and reader of the
tests' own, independent of the code under test, so a tag's type, count and bytes are
checked exactly.
"""

from __future__ import annotations

import random
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pyvips

from trousseau.demo.samples import generate_photo
from trousseau.imaging.metadata import exif_of, filter_exif
from trousseau.imaging.profiles import MetadataPolicy

ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL = 2, 3, 4, 5, 7, 10
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ARTIST, COPYRIGHT, MAKE, MODEL, ORIENTATION, DATETIME = (
    0x013B,
    0x8298,
    0x010F,
    0x0110,
    0x0112,
    0x0132,
)
SOFTWARE, DESCRIPTION = 0x0131, 0x010E
EXPOSURE_BIAS, ISO, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9204, 0x8827, 0x9003, 0x9011
SUBSEC_ORIGINAL, LENS_MODEL, BODY_SERIAL, LENS_SERIAL = 0x9291, 0xA434, 0xA431, 0xA435
OWNER, UNIQUE_ID, MAKER_NOTE, USER_COMMENT, COLOR_SPACE = 0xA430, 0xA420, 0x927C, 0x9286, 0xA001
GPS_LATITUDE_REF, GPS_LATITUDE = 0x0001, 0x0002
WHEN = datetime(2026, 6, 13, 14, 0, tzinfo=UTC)

Entry = tuple[int, int, bytes]  # type, count, value bytes


def ascii_value(text: str) -> tuple[int, int, bytes]:
    data = text.encode("utf-8") + b"\x00"
    return ASCII, len(data), data


def rationals(*pairs: tuple[int, int], signed: bool = False) -> tuple[int, int, bytes]:
    fmt = "<ii" if signed else "<II"
    return (
        (SRATIONAL if signed else RATIONAL),
        len(pairs),
        b"".join(struct.pack(fmt, *p) for p in pairs),
    )


def short(value: int) -> tuple[int, int, bytes]:
    return SHORT, 1, struct.pack("<H", value)


def tiff(
    ifd0: dict[int, Entry],
    sub: dict[int, Entry] | None = None,
    gps: dict[int, Entry] | None = None,
    *,
    thumbnail: bytes | None = None,
) -> bytes:
    """A little-endian EXIF blob (with the libvips "Exif\\0\\0" prefix)."""
    ifds: list[dict[int, Entry]] = [dict(ifd0)]
    if sub:
        ifds[0][EXIF_IFD] = (LONG, 1, b"\x00" * 4)
        ifds.append(dict(sub))
    if gps:
        ifds[0][GPS_IFD] = (LONG, 1, b"\x00" * 4)
        ifds.append(dict(gps))
    ifd1 = {0x0201: (LONG, 1, b""), 0x0202: (LONG, 1, b"")} if thumbnail else None
    sizes = [2 + 12 * len(d) + 4 + sum(len(v) + len(v) % 2 for _, _, v in d.values() if len(v) > 4)
             for d in ifds]  # fmt: skip
    offsets = [8]
    for size in sizes[:-1]:
        offsets.append(offsets[-1] + size)
    end = offsets[-1] + sizes[-1]
    pointer_index = 1
    for tag in (EXIF_IFD, GPS_IFD):
        if tag in ifds[0]:
            ifds[0][tag] = (LONG, 1, struct.pack("<I", offsets[pointer_index]))
            pointer_index += 1
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for index, (entries, offset) in enumerate(zip(ifds, offsets, strict=True)):
        data_at = offset + 2 + 12 * len(entries) + 4
        table, data = bytearray(struct.pack("<H", len(entries))), bytearray()
        for tag in sorted(entries):
            kind, count, value = entries[tag]
            if len(value) <= 4:
                table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
            else:
                table += struct.pack("<HHII", tag, kind, count, data_at + len(data))
                data += value + b"\x00" * (len(value) % 2)
        next_ifd = end if (index == 0 and ifd1) else 0
        out += table + struct.pack("<I", next_ifd) + data
    if ifd1 and thumbnail:
        thumb_at = end + 2 + 12 * 2 + 4
        out += struct.pack("<H", 2)
        out += struct.pack("<HHII", 0x0201, LONG, 1, thumb_at)
        out += struct.pack("<HHII", 0x0202, LONG, 1, len(thumbnail))
        out += struct.pack("<I", 0) + thumbnail
    return b"Exif\x00\x00" + bytes(out)


def exif_entries(blob: bytes) -> dict[str, dict[int, Entry]]:
    """Every IFD of an EXIF blob as {tag: (type, count, value bytes)}, read with struct."""
    data = blob.removeprefix(b"Exif\x00\x00")
    endian = "<" if data[:2] == b"II" else ">"
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

    def read(offset: int) -> tuple[dict[int, Entry], int]:
        (count,) = struct.unpack_from(endian + "H", data, offset)
        entries: dict[int, Entry] = {}
        for i in range(count):
            tag, kind, n, raw = struct.unpack_from(endian + "HHI4s", data, offset + 2 + 12 * i)
            size = sizes.get(kind, 1) * n
            if size > 4:
                (at,) = struct.unpack(endian + "I", raw)
                raw = data[at : at + size]
            entries[tag] = (kind, n, raw[:size])
        (next_ifd,) = struct.unpack_from(endian + "I", data, offset + 2 + 12 * count)
        return entries, next_ifd

    (first,) = struct.unpack_from(endian + "I", data, 4)
    ifd0, next_ifd = read(first)
    result = {"ifd0": ifd0, "exif": {}, "gps": {}, "ifd1": {}}
    for name, tag in (("exif", EXIF_IFD), ("gps", GPS_IFD)):
        if tag in ifd0:
            (at,) = struct.unpack(endian + "I", ifd0[tag][2][:4])
            result[name] = read(at)[0]
    if next_ifd:
        result["ifd1"] = read(next_ifd)[0]
    return result


def full_exif(*, thumbnail: bytes | None = None) -> bytes:
    """EXIF with a tag of every group, in the types cameras write."""
    return tiff(
        {
            MAKE: ascii_value("Canon"),
            MODEL: ascii_value("Canon EOS R5"),
            ORIENTATION: short(6),
            SOFTWARE: ascii_value("Lightroom Classic"),
            DESCRIPTION: ascii_value("Anna & Marc, 12 Rue des Lilas"),
            DATETIME: ascii_value("2026:06:14 09:00:00"),
            ARTIST: ascii_value("Élodie Martin"),
            COPYRIGHT: ascii_value("© 2026 Élodie Martin"),
            0xC62F: ascii_value("CSN-1"),
        },
        {
            EXPOSURE_BIAS: rationals((1, 3), signed=True),
            ISO: short(400),
            DATETIME_ORIGINAL: ascii_value("2026:06:13 14:00:00"),
            OFFSET_TIME_ORIGINAL: ascii_value("+02:00"),
            SUBSEC_ORIGINAL: ascii_value("42"),
            LENS_MODEL: ascii_value("RF24-70mm F2.8 L IS USM"),
            BODY_SERIAL: ascii_value("012345678"),
            LENS_SERIAL: ascii_value("LS-99"),
            OWNER: ascii_value("Élodie"),
            UNIQUE_ID: ascii_value("0123456789abcdef0123456789abcdef"),
            MAKER_NOTE: (UNDEFINED, 12, b"SERIAL:98765"),
            USER_COMMENT: (UNDEFINED, 13, b"ASCII\x00\x00\x00hello"),
            COLOR_SPACE: short(65535),
        },
        {
            GPS_LATITUDE_REF: ascii_value("N"),
            GPS_LATITUDE: rationals((43, 1), (43, 1), (2280, 100)),
        },
        thumbnail=thumbnail,
    )


def kept(blob: bytes | None) -> dict[str, dict[int, Entry]]:
    assert blob is not None
    assert blob.startswith(b"Exif\x00\x00")
    return exif_entries(blob)


# --- the default policy ---------------------------------------------------------------------


def test_default_policy_keeps_credit_time_and_camera_only() -> None:
    out = kept(filter_exif(full_exif(), MetadataPolicy()))
    source = exif_entries(full_exif())
    for tag in (MAKE, MODEL, DATETIME, ARTIST, COPYRIGHT):
        assert out["ifd0"][tag] == source["ifd0"][tag]
    for tag in (EXPOSURE_BIAS, ISO, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, SUBSEC_ORIGINAL):
        assert out["exif"][tag] == source["exif"][tag]
    assert out["exif"][LENS_MODEL] == source["exif"][LENS_MODEL]
    assert set(out["ifd0"]) == {MAKE, MODEL, DATETIME, ARTIST, COPYRIGHT, ORIENTATION, EXIF_IFD}
    for tag in (BODY_SERIAL, LENS_SERIAL, OWNER, UNIQUE_ID, MAKER_NOTE, USER_COMMENT):
        assert tag not in out["exif"]
    assert out["gps"] == {} and GPS_IFD not in out["ifd0"]


def test_orientation_is_always_1_and_colour_space_srgb() -> None:
    out = kept(filter_exif(full_exif(), MetadataPolicy()))
    assert out["ifd0"][ORIENTATION] == (SHORT, 1, struct.pack("<H", 1))
    assert out["exif"][COLOR_SPACE] == (SHORT, 1, struct.pack("<H", 1))


def test_types_and_bytes_are_kept_exactly() -> None:
    out = kept(filter_exif(full_exif(), MetadataPolicy()))
    assert out["ifd0"][ARTIST] == (ASCII, 15, "Élodie Martin".encode() + b"\x00")
    assert out["exif"][EXPOSURE_BIAS] == (SRATIONAL, 1, struct.pack("<ii", 1, 3))


def test_the_ifd1_thumbnail_is_dropped() -> None:
    source = full_exif(thumbnail=b"\xff\xd8" + b"uncropped original" * 50 + b"\xff\xd9")
    assert exif_entries(source)["ifd1"]
    out = filter_exif(source, MetadataPolicy(keep_serials=True, keep_gps=True))
    assert kept(out)["ifd1"] == {}
    assert b"uncropped original" not in out


# --- each flag ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "gone_ifd0", "gone_exif"),
    [
        ("keep_copyright", {ARTIST, COPYRIGHT}, set()),
        (
            "keep_capture_time",
            {DATETIME},
            {DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, SUBSEC_ORIGINAL},
        ),
        ("keep_camera", {MAKE, MODEL}, {EXPOSURE_BIAS, ISO, LENS_MODEL}),
    ],
)
def test_each_flag_removes_its_group(flag: str, gone_ifd0: set[int], gone_exif: set[int]) -> None:
    out = kept(filter_exif(full_exif(), MetadataPolicy(**{flag: False})))
    assert not gone_ifd0 & set(out["ifd0"])
    assert not gone_exif & set(out["exif"])
    everything_else = kept(filter_exif(full_exif(), MetadataPolicy()))
    assert set(everything_else["ifd0"]) - gone_ifd0 == set(out["ifd0"])


def test_keep_gps_keeps_the_whole_gps_ifd() -> None:
    out = kept(filter_exif(full_exif(), MetadataPolicy(keep_gps=True)))
    assert out["gps"] == exif_entries(full_exif())["gps"]


def test_keep_serials_keeps_serials_and_the_maker_note() -> None:
    out = kept(filter_exif(full_exif(), MetadataPolicy(keep_serials=True)))
    source = exif_entries(full_exif())
    for tag in (BODY_SERIAL, LENS_SERIAL, OWNER, UNIQUE_ID, MAKER_NOTE):
        assert out["exif"][tag] == source["exif"][tag]
    assert out["ifd0"][0xC62F] == source["ifd0"][0xC62F]
    assert USER_COMMENT not in out["exif"] and SOFTWARE not in out["ifd0"]


def test_nothing_allowed_gives_none() -> None:
    nothing = MetadataPolicy(keep_copyright=False, keep_capture_time=False, keep_camera=False)
    assert filter_exif(full_exif(), nothing) is None


def test_only_unlisted_tags_give_none() -> None:
    blob = tiff({ORIENTATION: short(8), SOFTWARE: ascii_value("x")}, {USER_COMMENT: (7, 2, b"hi")})
    assert filter_exif(blob, MetadataPolicy(keep_gps=True, keep_serials=True)) is None


def test_bare_tiff_header_exif_is_accepted() -> None:
    blob = full_exif()
    assert filter_exif(blob.removeprefix(b"Exif\x00\x00"), MetadataPolicy()) == filter_exif(
        blob, MetadataPolicy()
    )


def test_big_endian_exif_is_read(shared_data: Path) -> None:
    source = exif_of(_load(Path("exif/iphone6_gps.jpg"), shared_data))
    out = kept(filter_exif(source, MetadataPolicy()))
    assert out["ifd0"][MAKE] == (ASCII, 6, b"Apple\x00")


def test_output_is_stable() -> None:
    assert filter_exif(full_exif(), MetadataPolicy()) == filter_exif(full_exif(), MetadataPolicy())


def test_output_is_accepted_by_libvips() -> None:
    image = pyvips.Image.black(4, 4).copy()
    image.set_type(pyvips.GValue.blob_type, "exif-data", filter_exif(full_exif(), MetadataPolicy()))
    fields = image.get_fields()
    assert "exif-ifd0-Artist" in fields and "exif-ifd2-OffsetTimeOriginal" in fields
    assert not [f for f in fields if f.startswith("exif-ifd3")]
    assert image.get("orientation") == 1


# --- broken EXIF never raises ---------------------------------------------------------------


@pytest.mark.parametrize(
    "blob",
    [None, b"", b"Exif\x00\x00", b"Exif\x00\x00garbage", b"II*\x00\xff\xff\xff\xff", b"MM\x00*"],
)
def test_unparseable_exif_gives_none(blob: bytes | None) -> None:
    assert filter_exif(blob, MetadataPolicy()) is None


def test_a_broken_exif_ifd_pointer_keeps_ifd0() -> None:
    blob = bytearray(full_exif())
    entries = exif_entries(bytes(blob))
    pointer = struct.pack("<I", struct.unpack("<I", entries["ifd0"][EXIF_IFD][2])[0])
    at = blob.index(struct.pack("<HHI", EXIF_IFD, LONG, 1) + pointer) + 8
    blob[at : at + 4] = struct.pack("<I", 10**6)
    out = kept(filter_exif(bytes(blob), MetadataPolicy()))
    assert out["ifd0"][ARTIST][2].startswith("Élodie".encode())
    assert out["exif"] == {COLOR_SPACE: (SHORT, 1, struct.pack("<H", 1))}


def test_a_tag_pointing_past_the_end_is_dropped_alone() -> None:
    blob = bytearray(full_exif())
    at = blob.index(struct.pack("<HHI", ARTIST, ASCII, 15)) + 8
    blob[at : at + 4] = struct.pack("<I", 10**6)
    out = kept(filter_exif(bytes(blob), MetadataPolicy()))
    assert ARTIST not in out["ifd0"] and COPYRIGHT in out["ifd0"]


@pytest.mark.parametrize("cut", [10, 40, 100, 200, 400])
def test_truncated_exif_never_raises(cut: int) -> None:
    out = filter_exif(full_exif()[:cut], MetadataPolicy())
    assert out is None or exif_entries(out)["gps"] == {}


def test_random_damage_never_raises_nor_leaks_gps(shared_data: Path) -> None:
    source = exif_of(_load(Path("exif/iphone6_gps.jpg"), shared_data))
    rng = random.Random(2026)
    for _ in range(300):
        damaged = bytearray(source)
        for _ in range(rng.randint(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        out = filter_exif(bytes(damaged), MetadataPolicy())
        if out is not None:
            assert GPS_IFD not in exif_entries(out)["ifd0"]


# --- real files -----------------------------------------------------------------------------


def _load(relative: Path, shared_data: Path) -> pyvips.Image:
    return pyvips.Image.new_from_file(str(shared_data / "photos" / relative))


@pytest.mark.parametrize(
    "name",
    [
        "exif/iphone6_gps.jpg",
        "exif/nokia83_gps.jpg",
        "exif/tiny_gps.jpg",
        "color/display_p3_gps_iphonexs.avif",
    ],
)
def test_real_gps_photos_lose_their_position(shared_data: Path, name: str) -> None:
    source = exif_of(_load(Path(name), shared_data))
    assert source is not None and GPS_IFD in exif_entries(source)["ifd0"]
    out = kept(filter_exif(source, MetadataPolicy()))
    assert out["gps"] == {} and GPS_IFD not in out["ifd0"]
    assert MAKER_NOTE not in out["exif"]
    with_gps = kept(filter_exif(source, MetadataPolicy(keep_gps=True)))
    assert with_gps["gps"]


def test_real_serial_numbers_are_dropped(shared_data: Path) -> None:
    source = exif_of(_load(Path("color/adobe_rgb__canon_xmp.jpg"), shared_data))
    assert BODY_SERIAL in exif_entries(source)["exif"]
    assert BODY_SERIAL not in kept(filter_exif(source, MetadataPolicy()))["exif"]
    assert BODY_SERIAL in kept(filter_exif(source, MetadataPolicy(keep_serials=True)))["exif"]


def test_demo_photo_keeps_credit_and_loses_gps() -> None:
    image = pyvips.Image.new_from_buffer(
        generate_photo(1, seed=2026, megapixels=0.2, when=WHEN), ""
    )
    source = exif_of(image)
    assert GPS_IFD in exif_entries(source)["ifd0"]
    out = kept(filter_exif(source, MetadataPolicy()))
    assert ARTIST in out["ifd0"] and COPYRIGHT in out["ifd0"]
    assert GPS_IFD not in out["ifd0"]


def test_exif_of_an_image_without_exif_is_none() -> None:
    assert exif_of(pyvips.Image.black(2, 2)) is None


def test_exif_of_a_jpeg_is_the_libvips_blob(shared_data: Path) -> None:
    blob = exif_of(_load(Path("exif/nokia83_gps.jpg"), shared_data))
    assert blob is not None and blob.startswith(b"Exif\x00\x00MM")
