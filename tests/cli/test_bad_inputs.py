"""Bad input through the real CLI: one clear line, a non-zero exit, nothing half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from trousseau.catalog import open_catalog
from trousseau.catalog.schema import job, photo

from ..ingest.conftest import make_jpeg
from .conftest import Cli, assert_one_line_error

NOBODY = 65534


def _rows(catalog_url: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    catalog = open_catalog(catalog_url)
    with catalog.begin() as conn:
        counts = (
            conn.execute(select(func.count()).select_from(photo)).scalar_one(),
            conn.execute(select(func.count()).select_from(job)).scalar_one(),
        )
    catalog.dispose()
    return counts


def _vault_files(root: Path) -> tuple[list[Path], list[Path]]:
    blobs = (
        [p for p in (root / "blobs").rglob("*") if p.is_file()] if (root / "blobs").exists() else []
    )
    partials = list((root / "tmp").glob("*")) if (root / "tmp").exists() else []
    return blobs, partials


def test_missing_path(cli: Cli, tmp_path):
    good = make_jpeg(tmp_path / "a.jpg", seed=1)
    result = cli.run("ingest", str(good), str(tmp_path / "IMG_9999.JPG"), "--wedding", "w")
    assert_one_line_error(result, "IMG_9999.JPG does not exist")
    assert _rows(cli.catalog_url) == (0, 0)


def test_zero_byte_and_non_image_files_are_rejected(cli: Cli, tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    (folder / "IMG_0001.JPG").write_bytes(b"")
    (folder / "IMG_0002.JPG").write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    make_jpeg(folder / "IMG_0003.JPG", seed=3)
    result = cli.run("ingest", str(folder), "--wedding", "w")
    assert_one_line_error(result, "2 file(s) were not ingested")
    assert "IMG_0001.JPG is empty (0 bytes)" in result.stdout
    assert "IMG_0002.JPG is not an image" in result.stdout
    assert "1 accepted" in result.stdout
    assert _rows(cli.catalog_url) == (1, 1)


def test_unreadable_file(tmp_path):
    """Run as an unprivileged user: root reads every file whatever its mode."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux) to drop privileges")
    world = Path(tempfile.mkdtemp(prefix="trousseau-unreadable-"))
    try:
        world.chmod(0o777)
        secret = make_jpeg(world / "IMG_0001.JPG", seed=1)
        secret.chmod(0o000)
        data = world / "data"
        data.mkdir()
        data.chmod(0o777)
        cli = Cli(data, f"sqlite:///{data / 'catalog.sqlite3'}", {})
        user = NOBODY if os.geteuid() == 0 else None
        result = cli.run("ingest", str(secret), "--wedding", "w", as_user=user)
        assert_one_line_error(result, "1 file(s) were not ingested")
        assert "IMG_0001.JPG" in result.stdout and "Permission denied" in result.stdout
        assert _rows(cli.catalog_url) == (0, 0)
        assert _vault_files(data / "vault") == ([], [])
    finally:
        shutil.rmtree(world, ignore_errors=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/test", "cannot reach the catalog at"),
        ("mysql://root@127.0.0.1/test", "unsupported database 'mysql'"),
        ("sqlite:////proc/1/trousseau/catalog.sqlite3", "cannot create the catalog directory"),
        ("not a url", "is not a database URL"),
    ],
)
def test_unusable_catalog_url(cli: Cli, tmp_path, url, message):
    good = make_jpeg(tmp_path / "a.jpg", seed=1)
    result = cli.run("ingest", str(good), "--wedding", "w", TROUSSEAU_CATALOG_URL=url)
    assert_one_line_error(result, message)
    assert not (cli.data_dir / "vault" / "blobs").exists()


def test_full_vault(cli: Cli, tmp_path, tmpfs):
    vault = tmpfs("256k")
    big = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1, size=(1200, 900))
    assert big.stat().st_size > 300_000
    result = cli.run("ingest", str(big), "--wedding", "w", TROUSSEAU_VAULT_URL=vault.as_uri())
    assert_one_line_error(result, "is full", "IMG_0001.JPG", "free space")
    assert _rows(cli.catalog_url) == (0, 0)
    assert _vault_files(vault) == ([], [])


@pytest.mark.parametrize("laid_out", [False, True], ids=["new", "existing"])
def test_read_only_vault(cli: Cli, tmp_path, tmpfs, laid_out):
    vault = tmpfs("1m")
    if laid_out:
        from trousseau.vault import open_vault

        open_vault(vault.as_uri()).close()
    subprocess.run(["mount", "-o", "remount,ro", str(vault)], check=True)
    good = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1)
    result = cli.run("ingest", str(good), "--wedding", "w", TROUSSEAU_VAULT_URL=vault.as_uri())
    assert_one_line_error(result, str(vault))
    assert "read-only" in result.stderr.lower()
    assert _rows(cli.catalog_url) == (0, 0)
    assert _vault_files(vault) == ([], [])


def test_bad_settings_are_one_line(cli: Cli):
    result = cli.run("status", TROUSSEAU_JOBS__LEASE_SECONDS="soon")
    assert_one_line_error(result, "invalid settings", "jobs.lease_seconds")
    result = cli.run("ingest", ".", "--wedding", "w", "--sla", "express")
    assert_one_line_error(result, "unknown SLA class 'express'")


def test_a_card_whose_first_photo_has_odd_exif_is_ingested_whole(cli: Cli, tmp_path):
    from ..imaging.exif import odd_subsec_jpeg

    folder = tmp_path / "card"
    folder.mkdir()
    odd_subsec_jpeg(folder / "IMG_0000.JPG")
    for i in range(1, 21):
        make_jpeg(folder / f"IMG_{i:04d}.JPG", seed=i, size=(64, 48))

    result = cli.run("ingest", str(folder), "--wedding", "w")

    assert result.returncode == 0, result.stderr
    assert "21 accepted" in result.stdout
    assert "IMG_0000.JPG: its SubSecTimeOriginal '²' is not digits" in result.stdout
    assert "Traceback" not in result.stderr
    assert _rows(cli.catalog_url) == (21, 21)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Europe/Pari"], "'Europe/Pari' is not an IANA time zone"),
        (["--timezone", "../../etc/passwd"], "is not an IANA time zone"),
        (["--wedding", "Smith/Jones 2026"], "'Smith/Jones 2026' cannot be a wedding slug"),
        (["--wedding", ""], "'' cannot be a wedding slug"),
        (["--tenant", "Studio A"], "'Studio A' cannot be a tenant slug"),
    ],
)
def test_bad_wedding_values_are_one_line_and_record_nothing(cli: Cli, tmp_path, args, message):
    photo = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1)
    base = {"--wedding": "w", "--timezone": "UTC", "--tenant": "studio-a"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    options = [part for pair in base.items() for part in pair]

    result = cli.run("ingest", str(photo), *options)

    assert_one_line_error(result, message)
    assert _rows(cli.catalog_url) == (0, 0)


def test_a_key_for_an_unaddressable_tenant_is_refused(cli: Cli):
    result = cli.run("keys", "create", "--tenant", "Smith/Jones")
    assert_one_line_error(result, "'Smith/Jones' cannot be a tenant slug")


# --- render: a bad --output, names too long for the file system --------------------------


def test_render_refuses_an_output_that_is_a_file(cli: Cli, tmp_path):
    photo = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1, size=(64, 48))
    taken = tmp_path / "variants"
    taken.write_text("keep me", encoding="utf-8")

    result = cli.invoke("render", str(photo), "-o", str(taken))

    assert_one_line_error(result, f"--output {taken} is a file, not a folder", "name a folder")
    assert taken.read_text(encoding="utf-8") == "keep me"


def test_render_refuses_an_output_under_a_file(cli: Cli, tmp_path):
    photo = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1, size=(64, 48))
    (tmp_path / "afile").write_bytes(b"")

    result = cli.invoke("render", str(photo), "-o", str(tmp_path / "afile" / "out"))

    assert_one_line_error(result, "--output", "cannot be created as a folder", "Not a directory")


def test_render_long_names_use_a_short_temporary_name_and_one_too_long_fails_alone(
    cli: Cli, tmp_path
):
    """A 240-character stem fits NAME.reception.jpg (254) but not NAME.reception.jpg.partial;
    a 250-character one fits no variant name: that photo fails, the others are rendered."""
    card = tmp_path / "card"
    card.mkdir()
    fits = make_jpeg(card / ("a" * 240 + ".jpg"), seed=1, size=(64, 48))
    too_long = make_jpeg(card / ("b" * 250 + ".jpg"), seed=2, size=(64, 48))
    make_jpeg(card / "c.jpg", seed=3, size=(64, 48))
    out = tmp_path / "out"

    result = cli.invoke("render", str(card), "-o", str(out))

    assert_one_line_error(result, "1 file(s) could not be rendered")
    text = " ".join(result.stderr.split())
    assert f"failed {too_long.name}: cannot write" in text
    assert "File name too long" in text and "rename the photo shorter" in text
    names = {p.name for p in out.iterdir()}
    assert f"{fits.stem}.reception.jpg" in names and "c.thumb.webp" in names
    assert not any(name.startswith("b") for name in names)
    assert not any(name.endswith(".partial") for name in names)


def test_render_prints_file_names_with_brackets_as_they_are(cli: Cli, tmp_path):
    card = tmp_path / "card"
    card.mkdir()
    make_jpeg(card / "IMG_0001 [edit].jpg", seed=1, size=(64, 48))
    (card / "IMG_0002 [v2].jpg").write_bytes(b"")

    result = cli.invoke("render", str(card), "-o", str(tmp_path / "out"))

    assert_one_line_error(result, "failed IMG_0002 [v2].jpg: IMG_0002 [v2].jpg is empty")
    assert "IMG_0001 [edit].jpg: portrait" in result.stdout


def test_ingest_prints_file_names_with_brackets_as_they_are(cli: Cli, tmp_path):
    from ..imaging.exif import odd_subsec_jpeg

    card = tmp_path / "card"
    card.mkdir()
    (card / "IMG_0001 [edit].JPG").write_bytes(b"")
    odd_subsec_jpeg(card / "IMG_0002 [v2].JPG")

    result = cli.run("ingest", str(card), "--wedding", "w")

    assert_one_line_error(result, "1 file(s) were not ingested")
    assert "IMG_0001 [edit].JPG is empty (0 bytes)" in result.stdout
    assert "IMG_0002 [v2].JPG: its SubSecTimeOriginal" in result.stdout


# --- numbers and dates past what the catalog or the calendar holds ----------------------

TOO_BIG = str(2**63)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["jobs", "retry", TOO_BIG], ["Invalid value", "9223372036854775807"]),
        (["jobs", "retry", "0"], ["Invalid value", "greater than or equal to 1"]),
        (["jobs", "list", "--limit", TOO_BIG], ["Invalid value for '--limit'"]),
        (["freeze", "override", "revoke", TOO_BIG, "--by", "alice"], ["Invalid value"]),
        (["freeze", "override", "approve", TOO_BIG, "--by", "bob"], ["Invalid value"]),
        (["freeze", "audit", "show", "--after", TOO_BIG], ["Invalid value for '--after'"]),
        (["freeze", "audit", "show", "--limit", TOO_BIG], ["Invalid value for '--limit'"]),
        (["freeze", "export", "gitlab", "--horizon", TOO_BIG], ["Invalid value for '--horizon'"]),
        (
            ["freeze", "check", "--env", "production", "--service", "web", "--at",
             "9999-12-31T23:00:00+00:00"],
            ["--at '9999-12-31T23:00:00+00:00' is out of range", "1900-01-01 to 9000-12-31"],
        ),
        (
            ["freeze", "timeline", "--region", "uk", "--from", "0001-01-01T00:00:00+00:00",
             "--to", "0001-01-02T00:00:00+00:00"],
            ["--from '0001-01-01T00:00:00+00:00' is out of range"],
        ),
        (
            ["freeze", "override", "request", "--env", "production", "--service", "web",
             "--reason", "x", "--for", "1e300h", "--by", "alice"],
            ["duration '1e300h' is too long"],
        ),
        (["verify", "--orphan-grace-hours", "1e300"], ["Invalid value for '--orphan-grace-hours'"]),
        (["verify", "--orphan-grace-hours", "inf"], ["Invalid value for '--orphan-grace-hours'"]),
        (["verify", "--orphan-grace-hours", "nan"], ["Invalid value for '--orphan-grace-hours'"]),
        (
            ["plan", "show", "--date", "9999-12-31"],
            ["--date '9999-12-31' is out of range: give a day from 1900-01-01 to 9000-12-31"],
        ),
        (
            ["plan", "calibrate", "--from", "0001-01-01", "--to", "9999-12-31"],
            ["--from '0001-01-01' is out of range"],
        ),
        (["plan", "sample", "--month", "9999-12-01"], ["--month '9999-12-01' is out of range"]),
    ],
)  # fmt: skip
def test_numbers_and_dates_out_of_range_are_one_line(cli: Cli, args, fragments):
    result = cli.invoke(*args)
    assert_one_line_error(result, *fragments)


def test_plan_simulate_names_a_calendar_wedding_out_of_range(cli: Cli, tmp_path):
    calendar = tmp_path / "far.csv"
    calendar.write_text(
        "wedding,date,ceremony_time,timezone,region,culture,guests,expected_photos,sla\n"
        "a,9999-12-31,13:00,Europe/London,uk,british,,3000,same-day\n",
        encoding="utf-8",
    )
    result = cli.invoke("plan", "simulate", "--calendar", str(calendar))
    assert_one_line_error(result, f"the wedding 'a' of {calendar} on 9999-12-31 is out of range")
