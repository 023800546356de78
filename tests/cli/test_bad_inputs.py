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
