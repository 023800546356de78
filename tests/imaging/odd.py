"""Odd image files, generated: what a strange memory card or a hostile client can hand over.

Nothing here is committed as a binary; every file is built from bytes (struct) or from a tiny
libvips image, in milliseconds. `odd_files()` is the whole collection as {file name: bytes},
used by the imaging corpus test and by `bench.hostile`, which sends each one through the
upload route. The kinds:

- headers that declare huge sizes (a JPEG SOF, a PNG IHDR, a WebP canvas, a TIFF saying
  65535 x 65535, 2^31 or 2^32 - 1 pixels a side) over a few bytes of data;
- TIFF structures that make a reader walk: 40,000 SubIFDs pointing back at IFD0, SubIFD
  arrays beyond the end of the file, SubIFDs that hold SubIFDs, IFD chains thousands deep
  and chains that loop, also under a DNG or NIKON identity (the RAW decoders parse them);
- EXIF whose text tags (every one probe or the metadata policy may read) hold bad UTF-8,
  Unicode digits ("²", "٣", full-width), NULs, control and bidi characters, 64 KiB values,
  and EXIF structures that loop, point outside the block or lie about their counts, in
  JPEG APP1, PNG eXIf and TIFF;
- good files of each format truncated at several points.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import pyvips

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7

# IFD0 text tags, then the EXIF sub-IFD's, then the GPS IFD's.
IFD0_TEXT = {
    "ImageDescription": 0x010E,
    "Make": 0x010F,
    "Model": 0x0110,
    "Software": 0x0131,
    "DateTime": 0x0132,
    "Artist": 0x013B,
    "Copyright": 0x8298,
}
EXIF_TEXT = {
    "DateTimeOriginal": 0x9003,
    "DateTimeDigitized": 0x9004,
    "OffsetTime": 0x9010,
    "OffsetTimeOriginal": 0x9011,
    "OffsetTimeDigitized": 0x9012,
    "SubSecTime": 0x9290,
    "SubSecTimeOriginal": 0x9291,
    "SubSecTimeDigitized": 0x9292,
    "ImageUniqueID": 0xA420,
    "CameraOwnerName": 0xA430,
    "BodySerialNumber": 0xA431,
    "LensMake": 0xA433,
    "LensModel": 0xA434,
    "LensSerialNumber": 0xA435,
}
EXIF_UNDEFINED = {"UserComment": 0x9286, "ExifVersion": 0x9000}
GPS_TEXT = {"GPSLatitudeRef": 0x0001, "GPSMapDatum": 0x0012, "GPSDateStamp": 0x001D}
ORIENTATION, EXIF_IFD, GPS_IFD, INTEROP_IFD, SUB_IFDS = 0x0112, 0x8769, 0x8825, 0xA005, 0x014A
DNG_VERSION = 0xC612

ODD_TEXT: dict[str, bytes] = {
    "bad-utf8": b"\xff\xfe\xfd Canon \xc3",
    "superscript-two": "²".encode(),
    "digits-then-superscript": "2026:06:13 15:04:05²".encode(),
    "arabic-indic-digits": "\u0663\u0664\u0665".encode(),
    "fullwidth-date": "\uff12\uff10\uff12\uff16:\uff10\uff16:\uff11\uff13 15:04:05".encode(),
    "nuls": b"\x00\x00\x00\x00\x00\x00",
    "nul-inside": b"2026:06:13 15:04:05\x00garbage\xff",
    "control-and-bidi": "A\x01\x1b[31m\u202eB\u200f\x7f".encode(),
    "encoded-surrogate": b"\xed\xa0\x80\xed\xbf\xbf",
    "impossible-date": b"9999:99:99 99:99:99",
    "huge": b"9" * 65_000,
    "emoji": "📷 Canon".encode(),
}

DATETIME = b"2026:06:13 15:04:05"


# ---------------------------------------------------------------------------------------------
# A TIFF structure, laid out from named IFDs (used alone as a TIFF, or as an EXIF block).


@dataclass(frozen=True)
class Ref:
    """The offset of a named IFD or blob, or a number as it is (an out-of-bounds offset)."""

    target: str | int


Payload = bytes | Ref | Callable[[dict[str, int]], bytes]
Entry = tuple[int, int, int, Payload]
"""(tag, type, count, payload): bytes (inline when at most 4, else on the heap), a Ref written
as the 4-byte value, or a function of the layout's offsets returning bytes."""


@dataclass
class Ifd:
    entries: list[Entry]
    next: str | int | None = None


def ascii_entry(tag: int, text: bytes) -> Entry:
    return (tag, ASCII, len(text) + 1, text + b"\x00")


def short_entry(tag: int, value: int, order: str = "<") -> Entry:
    return (tag, SHORT, 1, struct.pack(order + "H", value))


def long_entry(tag: int, value: int | Ref, order: str = "<") -> Entry:
    return (tag, LONG, 1, value if isinstance(value, Ref) else struct.pack(order + "I", value))


def build_tiff(
    ifds: dict[str, Ifd], blobs: dict[str, bytes] | None = None, order: str = "<"
) -> bytes:
    """A TIFF structure: header, the IFDs in order (the first is IFD0), blobs, then the heap."""
    blobs = blobs or {}
    offsets: dict[str, int] = {}
    position = 8
    for name, ifd in ifds.items():
        offsets[name] = position
        position += 2 + 12 * len(ifd.entries) + 4
    for name, blob in blobs.items():
        offsets[name] = position
        position += len(blob) + len(blob) % 2
    heap_start = position
    heap = bytearray()

    def resolve(ref: Ref | str | int) -> int:
        target = ref.target if isinstance(ref, Ref) else ref
        return offsets[target] if isinstance(target, str) else target

    out = bytearray(b"II*\x00" if order == "<" else b"MM\x00*")
    out += struct.pack(order + "I", offsets[next(iter(ifds))])
    for ifd in ifds.values():
        out += struct.pack(order + "H", len(ifd.entries))
        for tag, kind, count, payload in ifd.entries:
            if callable(payload):
                payload = payload(offsets)
            if isinstance(payload, Ref):
                value = struct.pack(order + "I", resolve(payload))
            elif len(payload) <= 4:
                value = payload.ljust(4, b"\x00")
            else:
                value = struct.pack(order + "I", heap_start + len(heap))
                heap += payload + b"\x00" * (len(payload) % 2)
            out += struct.pack(order + "HHI", tag, kind, count) + value
        out += struct.pack(order + "I", 0 if ifd.next is None else resolve(ifd.next))
    for blob in blobs.values():
        out += blob + b"\x00" * (len(blob) % 2)
    return bytes(out + heap)


def image_entries(
    width: int, height: int, *, order: str = "<", long_sizes: bool = False
) -> list[Entry]:
    """The tags of an uncompressed 8-bit grey image whose pixels are the blob "pixels"."""
    size = long_entry if long_sizes else short_entry
    return [
        size(0x0100, width, order),  # ImageWidth
        size(0x0101, height, order),  # ImageLength
        short_entry(0x0102, 8, order),  # BitsPerSample
        short_entry(0x0103, 1, order),  # Compression: none
        short_entry(0x0106, 1, order),  # Photometric: min-is-black
        long_entry(0x0111, Ref("pixels"), order),  # StripOffsets
        short_entry(0x0115, 1, order),  # SamplesPerPixel
        long_entry(0x0116, max(height, 1) if height < 2**32 else 1, order),  # RowsPerStrip
        long_entry(0x0117, 16, order),  # StripByteCounts
    ]


PIXELS = bytes(range(0, 256, 16))  # 16 bytes: a 4 x 4 grey image


def small_tiff(
    extra: list[Entry] | None = None,
    *,
    next_ifd: str | int | None = None,
    order: str = "<",
    more: dict[str, Ifd] | None = None,
) -> bytes:
    """A 4 x 4 grey TIFF with `extra` IFD0 entries and `more` IFDs after IFD0."""
    entries = sorted(image_entries(4, 4, order=order) + (extra or []), key=lambda e: e[0])
    return build_tiff({"ifd0": Ifd(entries, next_ifd), **(more or {})}, {"pixels": PIXELS}, order)


# ---------------------------------------------------------------------------------------------
# Carriers: a real tiny JPEG, PNG and WebP made by libvips, with an EXIF block put in.


@cache
def base_image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    image = pyvips.Image.gaussnoise(*size, mean=128, sigma=40, seed=7).cast("uchar")
    image = image.bandjoin([image.rot180(), image.flip("horizontal")]).copy(interpretation="srgb")
    save = {
        "jpeg": image.jpegsave_buffer,
        "png": image.pngsave_buffer,
        "webp": image.webpsave_buffer,
    }
    if fmt == "tiff":
        return bytes(image.tiffsave_buffer())
    if fmt == "gif":
        return bytes(image.gifsave_buffer())
    if fmt == "avif":
        return bytes(image.heifsave_buffer(compression="av1", effort=0, Q=30))
    return bytes(save[fmt]())


def jpeg_with_app1(block: bytes) -> bytes:
    """The base JPEG with `block` (starting `Exif\\0\\0`) as an APP1 segment after SOI."""
    plain = base_image("jpeg")
    segment = b"\xff\xe1" + struct.pack(">H", min(len(block) + 2, 0xFFFF)) + block[:0xFFFD]
    return plain[:2] + segment + plain[2:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_exif(tiff: bytes) -> bytes:
    """The base PNG with an eXIf chunk (a bare TIFF structure) before IEND."""
    plain = base_image("png")
    end = plain.rindex(b"IEND") - 4
    return plain[:end] + png_chunk(b"eXIf", tiff) + plain[end:]


def exif_tiff(
    ifd0: list[Entry],
    exif: list[Entry] | None = None,
    gps: list[Entry] | None = None,
    order: str = "<",
) -> bytes:
    """An EXIF TIFF structure: IFD0 with pointers to the EXIF and GPS IFDs when given."""
    entries = list(ifd0)
    ifds: dict[str, Ifd] = {}
    if exif is not None:
        entries.append(long_entry(EXIF_IFD, Ref("exif"), order))
    if gps is not None:
        entries.append(long_entry(GPS_IFD, Ref("gps"), order))
    ifds["ifd0"] = Ifd(sorted(entries, key=lambda e: e[0]))
    if exif is not None:
        ifds["exif"] = Ifd(sorted(exif, key=lambda e: e[0]))
    if gps is not None:
        ifds["gps"] = Ifd(sorted(gps, key=lambda e: e[0]))
    return build_tiff(ifds, order=order)


def all_text_tags(value: bytes, *, keep_date: bool = False) -> bytes:
    """An EXIF structure whose every text tag holds `value` (DateTimeOriginal a real date when
    `keep_date`, so the sub-seconds and offsets beside it are read too)."""
    ifd0 = [ascii_entry(tag, value) for tag in IFD0_TEXT.values()]
    exif = [
        ascii_entry(tag, DATETIME if keep_date and name == "DateTimeOriginal" else value)
        for name, tag in EXIF_TEXT.items()
    ]
    exif += [(tag, UNDEFINED, len(value), value) for tag in EXIF_UNDEFINED.values()]
    gps = [ascii_entry(tag, value) for tag in GPS_TEXT.values()]
    return exif_tiff(ifd0, exif, gps)


def one_text_tag(name: str, value: bytes) -> bytes:
    """An EXIF structure with a camera and a capture time, and tag `name` holding `value`."""
    ifd0 = {IFD0_TEXT["Make"]: ascii_entry(IFD0_TEXT["Make"], b"Canon")}
    exif = {EXIF_TEXT["DateTimeOriginal"]: ascii_entry(EXIF_TEXT["DateTimeOriginal"], DATETIME)}
    gps: dict[int, Entry] = {}
    if name in IFD0_TEXT:
        ifd0[IFD0_TEXT[name]] = ascii_entry(IFD0_TEXT[name], value)
    elif name in EXIF_TEXT:
        exif[EXIF_TEXT[name]] = ascii_entry(EXIF_TEXT[name], value)
    elif name in EXIF_UNDEFINED:
        exif[EXIF_UNDEFINED[name]] = (EXIF_UNDEFINED[name], UNDEFINED, len(value), value)
    else:
        gps[GPS_TEXT[name]] = ascii_entry(GPS_TEXT[name], value)
    return exif_tiff(list(ifd0.values()), list(exif.values()), list(gps.values()) or None)


def exif_structures() -> Iterator[tuple[str, bytes]]:
    """EXIF blocks whose structure lies: loops, offsets outside, counts beyond the block."""
    make = ascii_entry(IFD0_TEXT["Make"], b"Canon")
    date = ascii_entry(EXIF_TEXT["DateTimeOriginal"], DATETIME)
    yield (
        "exif-ifd-is-ifd0",
        build_tiff({"ifd0": Ifd([make, long_entry(EXIF_IFD, Ref("ifd0"))], next="ifd0")}),
    )
    yield (
        "exif-ifd-outside",
        build_tiff(
            {
                "ifd0": Ifd(
                    [make, long_entry(EXIF_IFD, Ref(0xFFFFFFF0)), long_entry(GPS_IFD, Ref(2**31))]
                )
            }
        ),
    )
    yield (
        "exif-and-gps-loop",
        build_tiff(
            {
                "ifd0": Ifd(
                    [make, long_entry(EXIF_IFD, Ref("exif")), long_entry(GPS_IFD, Ref("exif"))]
                ),
                "exif": Ifd(
                    [date, long_entry(EXIF_IFD, Ref("ifd0")), long_entry(INTEROP_IFD, Ref("exif"))]
                ),
            }
        ),
    )
    yield (
        "ifd-chain-loop",
        build_tiff({"ifd0": Ifd([make], next="ifd1"), "ifd1": Ifd([make], next="ifd0")}),
    )
    chain = {f"ifd{i}": Ifd([make], next=f"ifd{i + 1}") for i in range(400)}
    chain["ifd400"] = Ifd([make], next="ifd0")
    yield "ifd-chain-400-looping", build_tiff(chain)
    yield (
        "ascii-count-beyond",
        build_tiff({"ifd0": Ifd([(IFD0_TEXT["Make"], ASCII, 0xFFFFFFFF, b"Canon\x00")])}),
    )
    yield (
        "ascii-offset-outside",
        build_tiff({"ifd0": Ifd([(IFD0_TEXT["Model"], ASCII, 40, Ref(0x7FFFFFF0))])}),
    )
    yield "entry-count-lies", b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x0f\x01\x02\x00" * 8
    yield "orientation-as-text", build_tiff({"ifd0": Ifd([ascii_entry(ORIENTATION, b"6")])})
    yield "orientation-65535", build_tiff({"ifd0": Ifd([short_entry(ORIENTATION, 65535)])})
    yield (
        "orientation-1000-values",
        build_tiff(
            {"ifd0": Ifd([(ORIENTATION, SHORT, 1000, struct.pack("<1000H", *([6] * 1000)))])}
        ),
    )
    yield "orientation-type-99", build_tiff({"ifd0": Ifd([(ORIENTATION, 99, 1, b"\x06\x00")])})
    yield (
        "rational-zero-denominators",
        exif_tiff([make], [(0x829A, RATIONAL, 4, b"\x01\x00\x00\x00\x00\x00\x00\x00" * 4), date]),
    )
    yield (
        "big-endian-odd-text",
        exif_tiff(
            [ascii_entry(IFD0_TEXT["Make"], ODD_TEXT["bad-utf8"])],
            [
                ascii_entry(EXIF_TEXT["DateTimeOriginal"], DATETIME),
                ascii_entry(EXIF_TEXT["SubSecTimeOriginal"], "²".encode()),
            ],
            order=">",
        ),
    )
    yield "header-only", b"II*\x00\x08\x00\x00\x00"
    yield "not-tiff", b"JUNK" * 8


# ---------------------------------------------------------------------------------------------
# Standalone TIFFs whose structure makes a reader walk.


def subifds(count: int, target: str | int = "ifd0") -> Entry:
    """A SubIFDs entry: an array of `count` offsets, each `target`."""
    return (
        SUB_IFDS,
        LONG,
        count,
        lambda offsets: struct.pack(
            f"<{count}I", *([offsets[target] if isinstance(target, str) else target] * count)
        ),
    )


def tiffs() -> Iterator[tuple[str, bytes]]:
    yield "subifds-40000-to-ifd0", small_tiff([subifds(40_000)])
    yield "subifds-2pow30-beyond-the-file", small_tiff([(SUB_IFDS, LONG, 2**30, Ref(64))])
    yield "subifds-array-outside", small_tiff([(SUB_IFDS, LONG, 1000, Ref(0xFFFFFF00))])
    yield "subifds-pointing-outside", small_tiff([subifds(64, 0x7FFFFFF0)])
    nested = {
        f"sub{i}": Ifd(
            sorted([*image_entries(4, 4), subifds(4, f"sub{(i + 1) % 32}")], key=lambda e: e[0])
        )
        for i in range(32)
    }
    yield (
        "subifds-holding-subifds-looping",
        build_tiff(
            {
                "ifd0": Ifd(sorted([*image_entries(4, 4), subifds(4, "sub0")], key=lambda e: e[0])),
                **nested,
            },
            {"pixels": PIXELS},
        ),
    )
    deep = {f"ifd{i}": Ifd(image_entries(4, 4), next=f"ifd{i + 1}") for i in range(2000)}
    deep["ifd2000"] = Ifd(image_entries(4, 4))
    yield "ifd-chain-2000-deep", build_tiff(deep, {"pixels": PIXELS})
    yield "ifd-chain-to-itself", small_tiff(next_ifd="ifd0")
    yield "ifd-chain-outside", small_tiff(next_ifd=0xFFFFFFF0)
    yield "exif-ifd-to-ifd0", small_tiff([long_entry(EXIF_IFD, Ref("ifd0"))])
    for label, side in (("65535", 65535), ("2pow31", 2**31), ("2pow32-1", 2**32 - 1)):
        entries = sorted(image_entries(side, side, long_sizes=True), key=lambda e: e[0])
        yield f"declares-{label}-square", build_tiff({"ifd0": Ifd(entries)}, {"pixels": PIXELS})
    zero = sorted(image_entries(0, 0), key=lambda e: e[0])
    yield "declares-0x0", build_tiff({"ifd0": Ifd(zero)}, {"pixels": PIXELS})
    yield (
        "dng-subifds-40000",
        small_tiff([(DNG_VERSION, BYTE, 4, b"\x01\x04\x00\x00"), subifds(40_000)]),
    )
    yield (
        "dng-chain-looping",
        small_tiff([(DNG_VERSION, BYTE, 4, b"\x01\x04\x00\x00")], next_ifd="ifd0"),
    )
    yield (
        "dng-declares-2pow31",
        build_tiff(
            {
                "ifd0": Ifd(
                    sorted(
                        [
                            *image_entries(2**31, 2**31, long_sizes=True),
                            (DNG_VERSION, BYTE, 4, b"\x01\x04\x00\x00"),
                        ],
                        key=lambda e: e[0],
                    )
                )
            },
            {"pixels": PIXELS},
        ),
    )
    yield (
        "nef-subifds-looping",
        small_tiff([ascii_entry(IFD0_TEXT["Make"], b"NIKON CORPORATION"), subifds(5000)]),
    )
    yield (
        "arw-subifds-outside",
        small_tiff(
            [ascii_entry(IFD0_TEXT["Make"], b"SONY"), (SUB_IFDS, LONG, 2**20, Ref(0xFFFFFFF0))]
        ),
    )
    yield "big-endian-subifds-looping", small_tiff(order=">", next_ifd="ifd0")
    yield "bigtiff-garbage", b"II+\x00\x08\x00\x00\x00" + b"\xff" * 64
    for name, value in ODD_TEXT.items():
        if name != "huge":
            text = [ascii_entry(tag, value) for tag in IFD0_TEXT.values()]
            yield f"tiff-text-{name}", small_tiff(text)


# ---------------------------------------------------------------------------------------------
# Huge declared sizes over a few bytes.


def jpeg_declaring(width: int, height: int) -> bytes:
    """The base JPEG with its SOF frame header saying `width` x `height`."""
    data = bytearray(base_image("jpeg"))
    index = 2
    while index + 4 <= len(data):
        marker, length = data[index + 1], struct.unpack_from(">H", data, index + 2)[0]
        if marker in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", data, index + 5, height, width)
            return bytes(data)
        index += 2 + length
    raise AssertionError("no SOF in the base JPEG")


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose IHDR (with a right CRC) says `width` x `height`, over one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x80" * 3 * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def webp_declaring(width: int, height: int) -> bytes:
    """A WebP VP8X header whose canvas says `width` x `height` (each at most 2^24)."""
    canvas = struct.pack("<I", width - 1)[:3] + struct.pack("<I", height - 1)[:3]
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + canvas
    body = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def gif_declaring(width: int, height: int) -> bytes:
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00\x3b"
    return b"GIF89a" + screen + frame


def huge_declarations() -> Iterator[tuple[str, bytes]]:
    yield "jpeg-sof-65535x65535.jpg", jpeg_declaring(65535, 65535)
    yield "jpeg-sof-0x0.jpg", jpeg_declaring(0, 0)
    yield "jpeg-sof-65535x1.jpg", jpeg_declaring(65535, 1)
    yield "png-ihdr-65535x65535.png", png_declaring(65535, 65535)
    yield "png-ihdr-2pow31-1x1.png", png_declaring(2**31 - 1, 1)
    yield "png-ihdr-2pow32-1-square.png", png_declaring(2**32 - 1, 2**32 - 1)
    yield "png-ihdr-0x0.png", png_declaring(0, 0)
    yield "webp-canvas-16mx16m.webp", webp_declaring(2**24, 2**24)
    yield "gif-screen-65535x65535.gif", gif_declaring(65535, 65535)


def jpeg_oddities() -> Iterator[tuple[str, bytes]]:
    plain = base_image("jpeg")
    comments = b"".join(b"\xff\xfe\x00\x04hi" for _ in range(20_000))
    yield "jpeg-20000-comments.jpg", plain[:2] + comments + plain[2:]
    app1s = b"".join(b"\xff\xe1\x00\x0aExif\x00\x00II" for _ in range(2000))
    yield "jpeg-2000-exif-segments.jpg", plain[:2] + app1s + plain[2:]
    yield "jpeg-exif-65533-junk.jpg", jpeg_with_app1(b"Exif\x00\x00" + b"\xa5" * 65_000)
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description "
        b'exif:DateTimeOriginal="\xc2\xb2026-13-45T99:99:99\xff" '
        b'photoshop:DateCreated="9999999999999999999999-01-01"/></x:xmpmeta>'
    )
    yield (
        "jpeg-odd-xmp-date.jpg",
        plain[:2] + b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + plain[2:],
    )
    icc = b"ICC_PROFILE\x00\x01\x01" + b"\x00\x00\xff\xff" + b"\xa5" * 200
    yield (
        "jpeg-broken-icc.jpg",
        plain[:2] + b"\xff\xe2" + struct.pack(">H", len(icc) + 2) + icc + plain[2:],
    )


def truncations() -> Iterator[tuple[str, bytes]]:
    for fmt, ext in (
        ("jpeg", "jpg"),
        ("png", "png"),
        ("webp", "webp"),
        ("tiff", "tif"),
        ("gif", "gif"),
        ("avif", "avif"),
    ):
        data = base_image(fmt)
        for label, keep in (
            ("head-4", 4),
            ("head-40", 40),
            ("half", len(data) // 2),
            ("all-but-1", len(data) - 1),
        ):
            yield f"truncated-{fmt}-{label}.{ext}", data[:keep]
    exif = jpeg_with_app1(b"Exif\x00\x00" + all_text_tags(DATETIME))
    yield "truncated-inside-exif.jpg", exif[:60]


def odd_exif() -> Iterator[tuple[str, bytes]]:
    for value_name, value in ODD_TEXT.items():
        block = all_text_tags(value)
        yield f"exif-every-tag-{value_name}.jpg", jpeg_with_app1(b"Exif\x00\x00" + block)
        dated = all_text_tags(value, keep_date=True)
        yield f"exif-every-tag-dated-{value_name}.jpg", jpeg_with_app1(b"Exif\x00\x00" + dated)
        yield f"exif-every-tag-{value_name}.png", png_with_exif(block)
    for name, block in exif_structures():
        yield f"exif-{name}.jpg", jpeg_with_app1(b"Exif\x00\x00" + block)
        yield f"exif-{name}.png", png_with_exif(block)


def odd_exif_per_tag() -> Iterator[tuple[str, bytes]]:
    """Each text tag alone holding each odd value (beside a real make and date)."""
    for tag in (*IFD0_TEXT, *EXIF_TEXT, *EXIF_UNDEFINED, *GPS_TEXT):
        for value_name, value in ODD_TEXT.items():
            block = one_text_tag(tag, value)
            yield f"exif-{tag}-{value_name}.jpg", jpeg_with_app1(b"Exif\x00\x00" + block)


def odd_files(*, per_tag: bool = True) -> dict[str, bytes]:
    """Every generated odd file as {file name: bytes}; `per_tag` adds one JPEG per text tag
    and odd value (~330 more, each a few KB)."""
    files: dict[str, bytes] = {}
    files.update(huge_declarations())
    files.update((f"{name}.tif", data) for name, data in tiffs())
    files.update(jpeg_oddities())
    files.update(odd_exif())
    files.update(truncations())
    if per_tag:
        files.update(odd_exif_per_tag())
    return files
