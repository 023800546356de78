"""`trousseau profiles list|show|check`, run through the real Typer app."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trousseau.cli import app
from trousseau.imaging.profiles import DEFAULT_PROFILES, load_profiles

SQUARE = """
[profiles.square]
long_edge = 600
fit = "cover"
aspect = [1, 1]
format = "webp"
quality = 78

[profiles.social]
quality = 70
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def profiles_file(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(SQUARE)
    return path


def invoke(runner: CliRunner, *args: str, **env: str):
    return runner.invoke(app, ["profiles", *args], env=env or None)


def test_list_shows_the_defaults_enabled_first(runner: CliRunner) -> None:
    result = invoke(runner, "list")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines() if line.strip()]
    names = [cells[0] for cells in lines if cells and cells[0] in DEFAULT_PROFILES]
    assert names == ["portrait", "reception", "social", "thumb", "avif"]
    portrait = next(cells for cells in lines if cells[0] == "portrait")
    assert portrait[1:6] == ["3000", "jpeg", "92", "4:4:4", "-"]
    avif = next(cells for cells in lines if cells[0] == "avif")
    assert avif[-1] == "no"


def test_list_uses_the_configured_file(runner: CliRunner, profiles_file: Path) -> None:
    result = invoke(runner, "list", TROUSSEAU_IMAGING__PROFILES_FILE=str(profiles_file))
    assert result.exit_code == 0, result.output
    square = next(line.split() for line in result.output.splitlines() if "square" in line)
    assert square[1:4] == ["600x600", "cover", "webp"]
    social = next(line.split() for line in result.output.splitlines() if "social" in line)
    assert social[3] == "70"


def test_show_prints_toml_that_reads_back(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "show", "portrait")
    assert result.exit_code == 0, result.output
    document = tomllib.loads(result.output)
    assert document["profiles"]["portrait"]["quality"] == 92
    assert document["profiles"]["portrait"]["metadata"]["keep_gps"] is False
    pasted = tmp_path / "pasted.toml"
    pasted.write_text(result.output)
    assert load_profiles(pasted)["portrait"] == DEFAULT_PROFILES["portrait"]


def test_show_a_configured_profile(runner: CliRunner, profiles_file: Path) -> None:
    result = invoke(runner, "show", "square", TROUSSEAU_IMAGING__PROFILES_FILE=str(profiles_file))
    assert result.exit_code == 0, result.output
    square = tomllib.loads(result.output)["profiles"]["square"]
    assert (square["fit"], square["aspect"], square["crop"]) == ("cover", [1, 1], "attention")


def test_show_an_unknown_profile_fails_in_one_line(runner: CliRunner) -> None:
    result = invoke(runner, "show", "poster")
    assert result.exit_code == 2
    assert "unknown profile 'poster': use one of portrait, reception" in result.output
    assert "Traceback" not in result.output


def test_check_a_good_file(runner: CliRunner, profiles_file: Path) -> None:
    result = invoke(runner, "check", str(profiles_file))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 6 profiles (5 enabled: portrait, reception, social, ")


def test_check_a_bad_file_prints_the_line_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[profiles.social]\nquality = 120\n")
    result = invoke(runner, "check", str(path))
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"error: {path}: profile 'social': quality 120 is outside 1..100"
    )


def test_check_keeps_brackets_in_messages(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text('[profiles.thumb]\nfit = "cover"\n')
    result = invoke(runner, "check", str(path))
    assert result.exit_code == 2
    assert "needs an aspect, e.g. aspect = [1, 1]" in result.output


def test_check_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "check", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "nope.toml: no such profiles file" in result.output


def test_check_the_configured_profiles(runner: CliRunner, profiles_file: Path) -> None:
    assert invoke(runner, "check").output.startswith("ok: 5 profiles (4 enabled: ")
    result = invoke(runner, "check", TROUSSEAU_IMAGING__PROFILES_FILE=str(profiles_file))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 6 profiles")


def test_check_the_configured_overrides(runner: CliRunner) -> None:
    overrides = json.dumps({"social": {"quality": 120}})
    result = invoke(runner, "check", TROUSSEAU_IMAGING__PROFILES=overrides)
    assert result.exit_code == 2
    assert "settings imaging.profiles: profile 'social': quality 120 is outside 1..100" in (
        " ".join(result.output.split())
    )


def test_list_with_a_broken_configured_file_fails_in_one_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text("[profiles.social]\neffort = 9\n")
    result = invoke(runner, "list", TROUSSEAU_IMAGING__PROFILES_FILE=str(path))
    assert result.exit_code == 2
    assert "profile 'social': effort 9 is outside 0..6 for webp" in " ".join(result.output.split())
