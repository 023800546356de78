"""Variant profiles: defaults, target sizes, layered loading and one-line validation errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pydantic
import pytest
import pyvips

from trousseau.errors import SettingsError
from trousseau.imaging.profiles import (
    DEFAULT_PROFILES,
    MetadataPolicy,
    Profile,
    enabled_profiles,
    load_profiles,
    profile_to_toml,
)


def profile(**fields) -> Profile:
    base = {"name": "p", "long_edge": 1000, "format": "jpeg", "quality": 85}
    return Profile(**(base | fields))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_profiles(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


# --- defaults -------------------------------------------------------------------------------


def test_defaults_are_the_issue_profiles() -> None:
    assert list(DEFAULT_PROFILES) == ["portrait", "reception", "social", "thumb", "avif"]
    portrait, reception = DEFAULT_PROFILES["portrait"], DEFAULT_PROFILES["reception"]
    assert (portrait.long_edge, portrait.format, portrait.quality) == (3000, "jpeg", 92)
    assert portrait.chroma == "4:4:4" and portrait.sharpen == 0
    assert (reception.long_edge, reception.format, reception.quality) == (2048, "jpeg", 85)
    assert reception.chroma == "4:2:0" and reception.optimize_coding
    social, thumb, avif = (DEFAULT_PROFILES[n] for n in ("social", "thumb", "avif"))
    assert (social.long_edge, social.format, social.quality, social.effort) == (1080, "webp", 80, 2)
    assert (thumb.long_edge, thumb.format, thumb.fit) == (400, "webp", "contain")
    assert avif.format == "avif" and not avif.enabled


def test_defaults_strip_gps_and_serials_and_embed_srgb() -> None:
    for p in DEFAULT_PROFILES.values():
        assert not p.metadata.keep_gps and not p.metadata.keep_serials
        assert p.metadata.keep_copyright and p.metadata.keep_capture_time
        assert p.metadata.icc == "srgb"


def test_load_without_file_gives_the_defaults() -> None:
    assert load_profiles() == dict(DEFAULT_PROFILES)


def test_enabled_profiles_are_largest_first() -> None:
    names = [p.name for p in enabled_profiles(DEFAULT_PROFILES)]
    assert names == ["portrait", "reception", "social", "thumb"]


def test_profiles_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError):
        DEFAULT_PROFILES["social"].quality = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_PROFILES["x"] = DEFAULT_PROFILES["social"]  # type: ignore[index]


# --- target_size ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "long_edge", "expected"),
    [
        ((6000, 4000), 3000, (3000, 2000)),
        ((4000, 6000), 3000, (2000, 3000)),
        ((3264, 2448), 2048, (2048, 1536)),
        ((4000, 2667), 2048, (2048, 1366)),
        ((5000, 5000), 400, (400, 400)),
        ((2000, 1000), 3000, (2000, 1000)),
        ((3000, 2000), 3000, (3000, 2000)),
        ((20000, 10), 400, (400, 1)),
    ],
)
def test_contain_fits_the_longer_side_and_never_upscales(source, long_edge, expected) -> None:
    assert profile(long_edge=long_edge).target_size(*source) == expected


@pytest.mark.parametrize(
    "source", [(6000, 4000), (4000, 6000), (4000, 2667), (4001, 2999), (5472, 3648), (3264, 2448)]
)
@pytest.mark.parametrize("long_edge", [400, 1080, 2048])
def test_contain_size_matches_libvips_thumbnail(source, long_edge) -> None:
    image = pyvips.Image.black(*source).thumbnail_image(long_edge, height=long_edge)
    assert profile(long_edge=long_edge).target_size(*source) == (image.width, image.height)


@pytest.mark.parametrize(
    ("aspect", "source", "expected"),
    [
        ((1, 1), (6000, 4000), (400, 400)),
        ((1, 1), (300, 200), (200, 200)),
        ((3, 2), (6000, 4000), (400, 267)),
        ((2, 3), (6000, 4000), (267, 400)),
        ((16, 9), (1000, 300), (400, 225)),
        ((16, 9), (300, 1000), (300, 169)),
        ((4, 5), (100, 100), (80, 100)),
    ],
)
def test_cover_fills_the_aspect_box_and_never_upscales(aspect, source, expected) -> None:
    cover = profile(long_edge=400, fit="cover", aspect=aspect)
    width, height = cover.target_size(*source)
    assert (width, height) == expected
    assert width <= source[0] and height <= source[1]


def test_cover_size_matches_libvips_crop() -> None:
    cover = profile(long_edge=400, fit="cover", aspect=(3, 2))
    image = pyvips.Image.black(4000, 6000).thumbnail_image(400, height=267, crop="attention")
    assert cover.target_size(4000, 6000) == (image.width, image.height)


def test_target_size_rejects_an_empty_source() -> None:
    with pytest.raises(ValueError, match="positive"):
        profile().target_size(0, 10)


def test_background_rgb() -> None:
    assert profile(background="#FF8000").background_rgb() == [255, 128, 0]
    assert profile(background="#0f0").background_rgb() == [0, 255, 0]


# --- layered loading ------------------------------------------------------------------------


def test_a_table_overrides_a_default_partially(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[profiles.social]\nquality = 70\n\n[profiles.portrait.metadata]\nkeep_gps = true\n",
    )
    profiles = load_profiles(path)
    social = profiles["social"]
    assert social.quality == 70
    assert social.model_dump(exclude={"quality"}) == DEFAULT_PROFILES["social"].model_dump(
        exclude={"quality"}
    )
    metadata = profiles["portrait"].metadata
    assert metadata.keep_gps and metadata.keep_copyright and not metadata.keep_serials


def test_a_table_defines_a_new_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[profiles.square]\nlong_edge = 600\nfit = "cover"\naspect = [1, 1]\ncrop = "entropy"\n'
        'format = "webp"\nquality = 78\n\n[profiles.avif]\nenabled = true\n',
    )
    profiles = load_profiles(path)
    assert list(profiles) == [*DEFAULT_PROFILES, "square"]
    square = profiles["square"]
    assert (square.fit, square.aspect, square.crop) == ("cover", (1, 1), "entropy")
    assert square.target_size(6000, 4000) == (600, 600)
    assert [p.name for p in enabled_profiles(profiles)] == [
        "portrait",
        "avif",
        "reception",
        "social",
        "square",
        "thumb",
    ]


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.thumb]\nquality = 60\neffort = 2\n")
    profiles = load_profiles(path, {"thumb": {"quality": 70}, "social": {"enabled": False}})
    assert (profiles["thumb"].quality, profiles["thumb"].effort) == (70, 2)
    assert not profiles["social"].enabled


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_profiles(write(tmp_path, "")) == dict(DEFAULT_PROFILES)


@pytest.mark.parametrize("name", list(DEFAULT_PROFILES))
def test_show_toml_reads_back_unchanged(tmp_path: Path, name: str) -> None:
    text = profile_to_toml(DEFAULT_PROFILES[name])
    assert load_profiles(write(tmp_path, text))[name] == DEFAULT_PROFILES[name]


def test_toml_of_a_custom_profile_reads_back_unchanged(tmp_path: Path) -> None:
    custom = profile(
        name="square",
        fit="cover",
        aspect=(4, 5),
        crop="centre",
        format="avif",
        effort=3,
        sharpen=0.4,
        background="#102030",
        metadata=MetadataPolicy(keep_camera=False, keep_gps=True, icc="none"),
    )
    text = profile_to_toml(custom)
    tomllib.loads(text)
    assert load_profiles(write(tmp_path, text))["square"] == custom


# --- errors: one line naming the file, the profile and the field ----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[profiles.social]\nquality = 120\n", "profile 'social': quality 120 is outside 1..100"),
        ("[profiles.social]\nquality = 0\n", "profile 'social': quality 0 is outside 1..100"),
        (
            "[profiles.social]\neffort = 9\n",
            "profile 'social': effort 9 is outside 0..6 for webp",
        ),
        (
            "[profiles.avif]\neffort = 10\n",
            "profile 'avif': effort 10 is outside 0..9 for avif",
        ),
        (
            "[profiles.portrait]\neffort = 3\n",
            "profile 'portrait': effort applies to webp (0..6), avif (0..9) and png (0..9), "
            "not jpeg",
        ),
        (
            "[profiles.social]\nqualty = 70\n",
            "profile 'social': unknown field 'qualty': did you mean 'quality'?",
        ),
        (
            "[profiles.social.metadata]\nkeep_gsp = true\n",
            "profile 'social': unknown field 'metadata.keep_gsp': did you mean 'keep_gps'?",
        ),
        (
            '[profiles.thumb]\nfit = "cover"\n',
            "profile 'thumb': fit \"cover\" needs an aspect, e.g. aspect = [1, 1]",
        ),
        (
            "[profiles.thumb]\naspect = [1, 1]\n",
            "profile 'thumb': aspect [1, 1] applies only to fit \"cover\"",
        ),
        (
            '[profiles.thumb]\nfit = "cover"\naspect = [0, 1]\n',
            "profile 'thumb': aspect [0, 1] must be two positive whole numbers",
        ),
        (
            '[profiles.thumb]\nformat = "gif"\n',
            "profile 'thumb': format 'gif' is not one of 'jpeg', 'webp', 'avif' or 'png'",
        ),
        (
            '[profiles.social]\nchroma = "4:4:4"\n',
            "profile 'social': chroma \"4:4:4\" is impossible in lossy WebP",
        ),
        (
            "[profiles.portrait]\nsmart_subsample = true\n",
            "profile 'portrait': smart_subsample applies only to webp, not jpeg",
        ),
        (
            "[profiles.social]\nprogressive = true\n",
            "profile 'social': progressive applies only to jpeg and png, not webp",
        ),
        ("[profiles.thumb]\nsharpen = 5.0\n", "profile 'thumb': sharpen 5.0 is outside 0.0..4.0"),
        ("[profiles.thumb]\nlong_edge = 20000\n", "long_edge 20000 is outside 16..16383"),
        ('[profiles.thumb]\nbackground = "white"\n', "background 'white' must be a colour"),
        ('[profiles.thumb]\nquality = "high"\n', "profile 'thumb': quality 'high': input"),
        ('[profiles.thumb.metadata]\nicc = "p3"\n', "metadata.icc 'p3' is not one of 'srgb'"),
        ("[profiles.wide]\nlong_edge = 800\n", "profile 'wide': format is required; quality is"),
        ("[profiles.Wide]\nlong_edge = 800\n", "profile 'Wide': name 'Wide' must be 1-32 lower"),
        (
            '[profiles."thumb\\n"]\nlong_edge = 800\nformat = "jpeg"\nquality = 80\n',
            "name 'thumb\\n' must be 1-32 lower",
        ),
        ('[profiles.thumb]\nname = "other"\n', "profile 'thumb': name 'other' differs"),
        ("[profiles]\nthumb = 3\n", "profile 'thumb': must be a table of fields, not int"),
        ("quality = 3\n", "unknown top-level key 'quality'"),
        ("[[profiles]]\nname = 'x'\n", "'profiles' must hold one table per profile"),
        ("[profiles.thumb]\nquality = \n", "not valid TOML: "),
        ("[profiles.thumb]\nquality = 1\n[profiles.thumb]\nquality = 2\n", "twice"),
    ],
)
def test_mistakes_are_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in load_error(tmp_path, text)


@pytest.mark.parametrize("name", ["thumb\n", "\nthumb", "thumb\r\n", "thumb "])
def test_a_name_with_a_line_break_is_refused(name: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="must be 1-32 lower-case"):
        profile(name=name)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"nope\.toml: no such profiles file"):
        load_profiles(tmp_path / "nope.toml")


def test_an_override_mistake_names_the_settings() -> None:
    with pytest.raises(SettingsError) as caught:
        load_profiles(None, {"social": {"quality": 120}})
    assert str(caught.value) == (
        "settings imaging.profiles: profile 'social': quality 120 is outside 1..100"
    )


def test_settings_errors_exit_with_status_2(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_profiles(write(tmp_path, "[profiles.social]\nquality = 120\n"))
    assert caught.value.exit_code == 2


# --- metadata policy ------------------------------------------------------------------------


def test_metadata_policy_summary() -> None:
    assert MetadataPolicy().summary() == "copyright time camera, sRGB"
    everything = MetadataPolicy(keep_gps=True, keep_serials=True, icc="none")
    assert everything.summary() == "copyright time camera GPS serials, no ICC"
    nothing = MetadataPolicy(keep_copyright=False, keep_capture_time=False, keep_camera=False)
    assert nothing.summary() == "no EXIF, sRGB"


def test_metadata_policy_rejects_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        MetadataPolicy(keep_location=True)  # type: ignore[call-arg]
