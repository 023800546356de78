"""Data residency: settings that would send a region's data elsewhere are refused at start,
the guard names where to go, and a wedding's stores are judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from trousseau.errors import SettingsError, WrongRegion
from trousseau.residency import Store, judge
from trousseau.settings import ResidencySettings, load_settings


def regions(eu_vault: str, us_vault: str, **eu: object) -> dict:
    return {
        "eu": {"vault_url": eu_vault, "endpoint": "https://eu.trousseau.example", **eu},
        "us": {
            "vault_url": us_vault,
            "backup_targets": ["s3://us-backups/repo"],
            "endpoint": "https://us.trousseau.example",
        },
    }


def test_settings_that_send_data_elsewhere_are_refused(tmp_path: Path) -> None:
    mine = (tmp_path / "data" / "vault").as_uri()
    ok = load_settings(
        data_dir=tmp_path / "data",
        residency={"region": "eu", "regions": regions(mine, "s3://us-vault")},
    )
    assert ok.residency.store_region("s3://us-vault/") == "us"
    cases = [
        ({"region": "mars", "regions": regions(mine, "s3://us")}, "'mars' is not one of"),
        (
            {"region": "eu", "regions": regions("s3://eu-vault", "s3://us")},
            "is not region 'eu''s vault",
        ),
        ({"regions": regions(mine, "s3://us")}, "residency.region (this node's region) is not"),
        ({"region": "eu", "regions": regions(mine, mine)}, "is listed by regions 'eu' and 'us'"),
    ]  # fmt: skip
    for residency, message in cases:
        with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_settings(data_dir=tmp_path / "data", residency=residency)
    with pytest.raises(SettingsError, match=r"backup target s3://us-backups/repo .*region 'us''s"):
        load_settings(
            data_dir=tmp_path / "data",
            backup={"targets": ["s3://us-backups/repo"]},
            residency={"region": "eu", "regions": regions(mine, "s3://us-vault")},
        )


def test_the_guard_names_where_to_go() -> None:
    residency = ResidencySettings(region="eu", regions=regions("s3://eu", "s3://us"))
    residency.guard("w", "eu")
    residency.guard("w", None)
    with pytest.raises(WrongRegion, match=r"region 'us'.*https://us\.trousseau\.example") as info:
        residency.guard("w", "us")
    assert info.value.endpoint == "https://us.trousseau.example" and info.value.region == "us"
    ResidencySettings().guard("w", "anywhere")  # residency off: nothing is pinned


def test_judging_a_weddings_stores() -> None:
    residency = ResidencySettings(region="eu", regions=regions("s3://eu", "s3://us"))
    eu, us = Store("s3://eu", "vault", "eu"), Store("s3://us-backups/repo", "backup", "us")
    assert judge("eu", [eu], residency) == []
    assert judge("eu", [eu, us], residency) == ["backup s3://us-backups/repo is region 'us''s"]
    assert judge(None, [eu], residency)[0].startswith("the wedding has no region")
    assert "belongs to no region" in judge("eu", [Store("s3://x", "vault", None)], residency)[0]
