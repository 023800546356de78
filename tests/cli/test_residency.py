"""`trousseau residency report` and the guard on a two-region set-up: a wedding of another
region refused before anything is stored, and the report finding what is out of place."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import assert_one_line_error
from tests.residency.test_residency import regions


def _env(cli, us_vault: Path) -> dict[str, str]:
    mine = (cli.data_dir / "vault").as_uri()
    return {
        "TROUSSEAU_RESIDENCY__REGION": "eu",
        "TROUSSEAU_RESIDENCY__REGIONS": json.dumps(regions(mine, us_vault.as_uri())),
    }


def test_a_two_region_set_up_end_to_end(cli, tmp_path, shared_data) -> None:
    from trousseau.catalog import create_wedding, ensure_tenant, open_catalog
    from trousseau.clock import utc_now

    card = tmp_path / "card"
    card.mkdir()
    (card / "IMG_0001.JPG").write_bytes((shared_data / "photos/exif/iphone6_gps.jpg").read_bytes())
    before = cli.invoke("ingest", str(card), "--wedding", "before-residency")
    assert before.returncode == 0, before.stderr
    env = _env(cli, tmp_path / "us-vault")
    made = cli.invoke("ingest", str(card), "--wedding", "ada-and-sam", **env)
    assert made.returncode == 0, made.stderr

    catalog = open_catalog(cli.catalog_url)
    with catalog.begin() as conn:  # a wedding of the US region recorded on the EU node
        owner = ensure_tenant(conn, "default", now=utc_now())
        create_wedding(conn, owner.id, "jo-and-li", on=utc_now().date(), timezone="UTC",
                       delivery_sla="standard", now=utc_now(), region="us")  # fmt: skip
    catalog.dispose()
    blobs = sorted(p.name for p in (cli.data_dir / "vault").rglob("*") if p.is_file())
    refused = cli.invoke("ingest", str(tmp_path / "card"), "--wedding", "jo-and-li", **env)
    assert_one_line_error(refused, "lives in region 'us'", "https://us.trousseau.example")
    assert sorted(p.name for p in (cli.data_dir / "vault").rglob("*") if p.is_file()) == blobs

    report = cli.invoke("residency", "report", "--json", "--blobs", **env)
    assert report.returncode == 3, report.stderr
    places = {w["wedding"]: w for w in json.loads(report.stdout)["weddings"]}
    assert places["ada-and-sam"]["region"] == "eu" and places["ada-and-sam"]["in_place"]
    assert places["ada-and-sam"]["blobs"] == 1 and len(places["ada-and-sam"]["blob_list"]) == 1
    assert places["ada-and-sam"]["stores"] == [
        {"url": (cli.data_dir / "vault").as_uri(), "role": "vault", "region": "eu"}
    ]
    assert not places["before-residency"]["in_place"]
    assert "has no region" in places["before-residency"]["problems"][0]
    assert places["jo-and-li"]["problems"] == [
        f"vault {(cli.data_dir / 'vault').as_uri()} is region 'eu''s"
    ]
    off = cli.invoke("residency", "report", "--json")
    assert off.returncode == 0 and json.loads(off.stdout)["node_region"] is None


def test_the_report_names_the_backup_targets_holding_each_wedding(cli, tmp_path) -> None:
    from trousseau.demo.samples import generate_photo

    repo = str(tmp_path / "eu-backups")
    mine = (cli.data_dir / "vault").as_uri()
    env = {
        "TROUSSEAU_RESIDENCY__REGION": "eu",
        "TROUSSEAU_RESIDENCY__REGIONS": json.dumps(
            regions(mine, (tmp_path / "us").as_uri(), backup_targets=[repo])
        ),
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([repo]),
    }
    card = tmp_path / "card"
    card.mkdir()
    import datetime as dt

    when = dt.datetime(2027, 6, 19, 14, tzinfo=dt.UTC)
    (card / "IMG_1.JPG").write_bytes(generate_photo(1, seed=3, megapixels=0.3, when=when))
    assert cli.invoke("ingest", str(card), "--wedding", "ada", **env).returncode == 0
    unchecked = json.loads(cli.invoke("residency", "report", "--json", **env).stdout)
    assert "no backup passphrase" in unchecked["note"]
    assert unchecked["weddings"][0]["backup_copies"] is None
    env["TROUSSEAU_BACKUP__PASSPHRASE"] = "correct horse battery staple"
    assert cli.invoke("backup", "init", **env).returncode == 0
    before = json.loads(cli.invoke("residency", "report", "--json", **env).stdout)
    assert before["weddings"][0]["backup_copies"] == [] and before["weddings"][0]["in_vault"]
    assert cli.invoke("backup", "run", **env).returncode == 0
    report = cli.invoke("residency", "report", "--json", **env)
    assert report.returncode == 0, report.stdout
    (place,) = json.loads(report.stdout)["weddings"]
    assert len(place["backup_copies"]) == 1 and place["in_place"]
    assert [s["role"] for s in place["stores"]] == ["vault", "backup"]
    assert {s["region"] for s in place["stores"]} == {"eu"}
