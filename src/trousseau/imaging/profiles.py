"""Variant profiles: what each gallery rendition of a photo is (size, fit, encoder, metadata).

A profile is plain, frozen data; `load_profiles` layers the defaults, a TOML file of
`[profiles.NAME]` tables and settings overrides, and turns any mistake into one SettingsError
line naming the file, the profile and the field.

Default encoder settings were chosen by measurement (libvips 8.18.7 with mozjpeg, libwebp,
libaom; one libvips thread; median CPU ms of 5; sizes in KiB; "synthetic" is a generated
24 MP wedding photo, "iPhone" the 8 MP iphone6_gps.jpg, each shrunk to the profile's size):

| setting                               | synthetic ms | KiB  | iPhone ms | KiB  |
|---------------------------------------|-------------:|-----:|----------:|-----:|
| portrait 3000 JPEG q92 4:4:4 plain    |           20 | 1155 |        23 | 1592 |
| ... + optimize_coding                 |           55 | 1067 |       101 | 1571 |
| ... + progressive                     |          116 | 1026 |       185 | 1523 |
| reception 2048 JPEG q85 4:2:0 plain   |            6 |  278 |         7 |  553 |
| ... + optimize_coding                 |           15 |  259 |        20 |  547 |
| ... + progressive                     |           31 |  255 |        44 |  524 |
| social 1080 WebP q80 effort 2         |           16 | 23.4 |        35 |  140 |
| ... effort 4                          |           52 | 23.3 |        76 |  134 |
| ... effort 6                          |           84 | 22.2 |       197 |  128 |
| thumb 400 WebP q80 effort 2           |          2.6 |  2.9 |       6.6 | 35.2 |
| ... effort 4                          |          7.0 |  2.9 |      13.5 | 34.4 |
| avif 2048 AVIF q60 effort 0           |           64 |   88 |       146 |  262 |
| ... effort 2                          |          224 |   91 |       880 |  248 |
| ... effort 4                          |         2387 |   68 |      5940 |  229 |

- portrait: Huffman optimisation saves 1-2 % on real photos (8 % on smooth synthetic ones)
  for 3-4x the encode time, a quarter of the per-photo budget (300 photos/min on 2 cores
  is 400 ms of CPU for the decode and all four variants), so it is off; 4:4:4 keeps
  colour edges (dresses, flowers) exact.
- reception: optimised Huffman tables save 1-7 % for 9-13 ms; progressive would save
  another 2-4 % for 15-25 ms more (the whole pipeline measured 13 % of its time in it), so
  it is off; a studio that wants early painting in the lightbox sets progressive = true.
- social, thumb: WebP effort 2. Effort 4 is 0.5-4 % smaller and 0.3 dB better at the same
  quality but takes 3.5x the encode time (56 of the 266 ms a 24 MP photo cost with it, the
  largest stage after the decode); with it the render path measured 1.72x sharp and 2.55x
  the decode-only bound, both below the issue's floors (docs/benchmarks.md). Efforts 5 and
  6 trade quality, or 2.5x the time, for 2-3 %.
  smart_subsample costs 40-80 ms for under 0.2 dB, so it is off.
- thumb: contain, not a square cover crop: galleries lay thumbnails in justified rows, and
  a square crop cuts heads off group shots (add a cover profile, aspect = [1, 1], for
  square grids). It keeps no camera EXIF: about 400 bytes on files of 3-35 KiB.
- sharpen: 0 everywhere: lanczos3 downscaling keeps edges crisp, photographers deliver
  sharpened edits, and libvips' Lab round trip costs 10 ms at 400 px, 46 ms at 1080 px
  and 320 ms at 3000 px.
- avif: effort 0 is the only one that fits the budget (effort 4 takes 2-6 s a photo); the
  profile is disabled by default.

With these defaults and DCT-scaled JPEG decoding a 24 MP JPEG costs about 160 ms of CPU for
the decode and all four variants (bench.imaging).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from trousseau.errors import SettingsError

Format = Literal["jpeg", "webp", "avif", "png"]

QUALITY_RANGE = (1, 100)
LONG_EDGE_RANGE = (16, 16383)
SHARPEN_RANGE = (0.0, 4.0)
EFFORT_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"webp": (0, 6), "avif": (0, 9), "png": (0, 9)}
)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class MetadataPolicy(BaseModel):
    """Which EXIF a variant keeps. Pixels are always upright sRGB, whatever the policy.

    Defaults protect guests: a gallery photo says who made it, when and with what camera,
    but not where the couple lives (GPS) nor which body and lens took it (serial numbers,
    MakerNote), which stolen-gear searches and photo-to-owner matching rely on.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    keep_copyright: bool = True
    keep_capture_time: bool = True
    keep_camera: bool = True
    keep_gps: bool = False
    keep_serials: bool = False
    icc: Literal["srgb", "none"] = "srgb"

    def summary(self) -> str:
        """A short description for tables: "copyright time camera, sRGB"."""
        kept = [
            label
            for label, keep in (
                ("copyright", self.keep_copyright),
                ("time", self.keep_capture_time),
                ("camera", self.keep_camera),
                ("GPS", self.keep_gps),
                ("serials", self.keep_serials),
            )
            if keep
        ]
        icc = "sRGB" if self.icc == "srgb" else "no ICC"
        return f"{' '.join(kept) or 'no EXIF'}, {icc}"


class Profile(BaseModel):
    """One rendition of every photo: its size, crop, encoder settings and metadata policy.

    `long_edge` bounds the longer output side (`fit="contain"`), or, with `fit="cover"`, the
    longer side of an `aspect` box the photo fills and is cropped to (`crop` picks what is
    kept: libvips' attention or entropy strategy, or the centre). Encoder fields apply where
    the format has them: `chroma` to JPEG and AVIF (WebP lossy is always 4:2:0;
    `smart_subsample` is its sharper-chroma option), `optimize_coding` to JPEG, `progressive`
    to JPEG and PNG (interlaced), `effort` to WebP (0..6), AVIF (0..9) and PNG (zlib level
    0..9); `quality` is ignored by PNG. `sharpen` is the unsharp-mask amount applied after
    downscaling, on lightness only: 1.0 is a 100 % mask of radius 0.5 px that leaves flat
    areas (lightness steps under 2 L*) untouched, so skin and sky grain are not amplified;
    0 disables it. `background` is what transparent pixels are flattened on for JPEG.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    long_edge: int
    fit: Literal["contain", "cover"] = "contain"
    aspect: tuple[int, int] | None = None
    crop: Literal["attention", "entropy", "centre"] = "attention"
    format: Format
    quality: int
    chroma: Literal["4:4:4", "4:2:0"] = "4:2:0"
    optimize_coding: bool = True
    progressive: bool = False
    effort: int | None = None
    smart_subsample: bool = False
    sharpen: float = 0.0
    background: str = "#ffffff"
    metadata: MetadataPolicy = MetadataPolicy()
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                f"name {value!r} must be 1-32 lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("long_edge")
    @classmethod
    def _long_edge(cls, value: int) -> int:
        return _within("long_edge", value, LONG_EDGE_RANGE)

    @field_validator("quality")
    @classmethod
    def _quality(cls, value: int) -> int:
        return _within("quality", value, QUALITY_RANGE)

    @field_validator("sharpen")
    @classmethod
    def _sharpen(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"sharpen {value} must be a finite number")
        return _within("sharpen", value, SHARPEN_RANGE)

    @field_validator("aspect")
    @classmethod
    def _aspect(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and min(value) < 1:
            raise ValueError(f"aspect {list(value)} must be two positive whole numbers")
        return value

    @field_validator("background")
    @classmethod
    def _background(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"background {value!r} must be a colour like '#ffffff' or '#fff'")
        return value.lower()

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.fit == "cover" and self.aspect is None:
            raise ValueError('fit "cover" needs an aspect, e.g. aspect = [1, 1]')
        if self.fit == "contain" and self.aspect is not None:
            raise ValueError(f'aspect {list(self.aspect)} applies only to fit "cover"')
        if self.effort is not None:
            if self.format not in EFFORT_RANGES:
                raise ValueError(
                    f"effort applies to webp (0..6), avif (0..9) and png (0..9), not {self.format}"
                )
            low, high = EFFORT_RANGES[self.format]
            if not low <= self.effort <= high:
                raise ValueError(f"effort {self.effort} is outside {low}..{high} for {self.format}")
        if self.format == "webp" and self.chroma == "4:4:4":
            raise ValueError(
                'chroma "4:4:4" is impossible in lossy WebP (always 4:2:0): use jpeg or avif, '
                "or smart_subsample = true"
            )
        if self.smart_subsample and self.format != "webp":
            raise ValueError(f"smart_subsample applies only to webp, not {self.format}")
        if self.progressive and self.format not in ("jpeg", "png"):
            raise ValueError(f"progressive applies only to jpeg and png, not {self.format}")
        return self

    def target_size(self, width: int, height: int) -> tuple[int, int]:
        """The output size for an upright `width` x `height` source; never larger than it.

        `contain` scales the longer side to `long_edge` (a smaller source keeps its size).
        `cover` gives the `aspect` box whose longer side is `long_edge`; a source too small
        to fill it gives the largest box of that aspect the source holds. Rounding matches
        libvips' `thumbnail`, so the pipeline's output has exactly this size.
        """
        if width < 1 or height < 1:
            raise ValueError(f"source size must be positive, not {width}x{height}")
        if self.fit == "contain":
            longer = max(width, height)
            if longer <= self.long_edge:
                return width, height
            shrink = longer / self.long_edge
            return max(1, round(width / shrink)), max(1, round(height / shrink))
        box_w, box_h = self.box()
        factor = min(1.0, width / box_w, height / box_h)
        return max(1, round(box_w * factor)), max(1, round(box_h * factor))

    def box(self) -> tuple[int, int]:
        """The `cover` output box (width, height); for `contain`, the square bounding it."""
        if self.aspect is None:
            return self.long_edge, self.long_edge
        aw, ah = self.aspect
        if aw >= ah:
            return self.long_edge, max(1, round(self.long_edge * ah / aw))
        return max(1, round(self.long_edge * aw / ah)), self.long_edge

    def background_rgb(self) -> list[int]:
        """`background` as three 0..255 integers, for libvips' flatten."""
        digits = self.background[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return [int(digits[i : i + 2], 16) for i in (0, 2, 4)]


_Number = TypeVar("_Number", int, float)


def _within(field: str, value: _Number, bounds: tuple[float, float]) -> _Number:
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{field} {value} is outside {low}..{high}")
    return value


_PORTRAIT = Profile(
    name="portrait", long_edge=3000, format="jpeg", quality=92, chroma="4:4:4",
    optimize_coding=False, progressive=False,
)  # fmt: skip
_RECEPTION = Profile(
    name="reception", long_edge=2048, format="jpeg", quality=85, chroma="4:2:0",
    optimize_coding=True, progressive=False,
)  # fmt: skip
_SOCIAL = Profile(name="social", long_edge=1080, format="webp", quality=80, effort=2)
_THUMB = Profile(
    name="thumb", long_edge=400, format="webp", quality=80, effort=2,
    metadata=MetadataPolicy(keep_camera=False),
)  # fmt: skip
_AVIF = Profile(
    name="avif", long_edge=2048, format="avif", quality=60, effort=0, chroma="4:2:0",
    enabled=False,
)  # fmt: skip

DEFAULT_PROFILES: Mapping[str, Profile] = MappingProxyType(
    {p.name: p for p in (_PORTRAIT, _RECEPTION, _SOCIAL, _THUMB, _AVIF)}
)


def load_profiles(
    path: Path | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Profile]:
    """The defaults, then `path`'s `[profiles.NAME]` tables, then `overrides`, validated.

    A table or override named like a default changes only the fields it gives (the
    `metadata` sub-table too); any other name defines a new profile, which then needs at
    least `long_edge`, `format` and `quality`. Any mistake raises SettingsError naming the
    file (or "settings imaging.profiles"), the profile and the field.
    """
    profiles = dict(DEFAULT_PROFILES)
    if path is not None:
        _apply(profiles, _read_toml(path), str(path))
    if overrides:
        _apply(profiles, overrides, "settings imaging.profiles")
    return profiles


def enabled_profiles(profiles: Mapping[str, Profile]) -> list[Profile]:
    """The enabled profiles, largest output first (each can be rendered from the previous)."""
    enabled = [p for p in profiles.values() if p.enabled]
    return sorted(enabled, key=lambda p: (-p.long_edge, p.name))


def profile_to_toml(profile: Profile) -> str:
    """`profile` as a `[profiles.NAME]` table that `load_profiles` reads back unchanged."""
    data = profile.model_dump(exclude={"name", "metadata"})
    lines = [f"[profiles.{profile.name}]"]
    for key, value in data.items():
        if value is None:
            lines.append(
                f"# {key} is unset (encoder default)" if key == "effort" else f"# {key} is unset"
            )
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    lines.append("")
    lines.append(f"[profiles.{profile.name}.metadata]")
    for key, value in profile.metadata.model_dump().items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _read_toml(path: Path) -> Mapping[str, Any]:
    """The `profiles` table of a TOML file, or a SettingsError naming the file."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such profiles file: fix the path or unset it") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the profiles file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    unknown = sorted(set(document) - {"profiles"})
    if unknown:
        raise SettingsError(
            f"{path}: unknown top-level key {unknown[0]!r}: only profiles.NAME tables belong here"
        )
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise SettingsError(
            f"{path}: 'profiles' must hold one table per profile (profiles.social, ...), not "
            f"{'an array of tables' if isinstance(profiles, list) else type(profiles).__name__}"
        )
    return profiles


def _apply(profiles: dict[str, Profile], layer: Mapping[str, Any], source: str) -> None:
    """Merge one layer of tables into `profiles`, validating each profile it touches."""
    for name, table in layer.items():
        where = f"{source}: profile {name!r}"
        if not isinstance(table, Mapping):
            raise SettingsError(f"{where}: must be a table of fields, not {type(table).__name__}")
        if "name" in table and table["name"] != name:
            raise SettingsError(
                f"{where}: name {table['name']!r} differs from the table's name; drop it"
            )
        base = profiles[name].model_dump() if name in profiles else {}
        merged = _merge(base, dict(table))
        merged["name"] = name
        try:
            profiles[name] = Profile.model_validate(merged)
        except ValidationError as exc:
            raise SettingsError(f"{where}: {describe(exc)}") from None


def _merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), dict(value))
        else:
            merged[key] = value
    return merged


def describe(exc: ValidationError) -> str:
    """A pydantic ValidationError of a Profile as short clauses joined by "; "."""
    return "; ".join(_clause(error) for error in exc.errors())


def _clause(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        known = (
            MetadataPolicy.model_fields if field.startswith("metadata.") else Profile.model_fields
        )
        leaf = field.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(leaf, list(known), n=1)
        hint = f": did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        return f"unknown field {field!r}{hint}"
    if kind == "missing":
        return f"{field} is required"
    if kind == "literal_error":
        return f"{field} {value!r} is not one of {error['ctx']['expected']}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return message
    hint = (
        "; write it as [width, height], e.g. aspect = [1, 1]" if field.startswith("aspect") else ""
    )
    return f"{field} {value!r}: {message[:1].lower()}{message[1:]}{hint}"
