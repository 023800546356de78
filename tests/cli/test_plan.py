"""`trousseau plan` from the command line: a generated month, its simulation as JSON, the
ScaledObject and the hourly plan, from a calendar file and from the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from trousseau.cli import app


def _run(tmp_path: Path, *args: str):
    return CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *args])


CALENDAR = """wedding,date,ceremony_time,timezone,region,culture,guests,expected_photos,sla
a,2027-06-19,13:00,Europe/London,uk,british,,3000,same-day
b,2027-06-19,14:00,Europe/Paris,eu-central,greek,,3500,same-day
c,2027-06-19,16:00,America/New_York,us-east,jewish,,2500,next-day
d,2027-06-19,11:00,Asia/Kolkata,india,indian,400,,standard
"""


def test_simulate_compares_the_policies_as_json(tmp_path) -> None:
    calendar = tmp_path / "june.csv"
    calendar.write_text(CALENDAR, encoding="utf-8")
    picture = tmp_path / "day.png"
    done = _run(tmp_path, "plan", "simulate", "--calendar", str(calendar), "--json", "--plot",
                str(picture))  # fmt: skip
    assert done.exit_code == 0, done.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
    body = json.loads(done.stdout)
    names = [p["name"] for p in body["policies"]]
    assert names == ["fixed", "reactive", "predictive", "predictive+spot", "clairvoyant"]
    for p in body["policies"]:
        assert {"same_day_met", "next_day_met", "p99_lateness_s", "worker_hours", "cost"} <= set(p)
        assert 0 <= p["same_day_met"] <= 1
    predictive = body["policies"][2]
    assert predictive["same_day_met"] == 1.0 and predictive["next_day_met"] == 1.0
    assert sum(body["photos"].values()) > 5000


def test_k8s_and_show_from_a_calendar_file(tmp_path) -> None:
    calendar = tmp_path / "june.csv"
    calendar.write_text(CALENDAR, encoding="utf-8")
    done = _run(tmp_path, "plan", "k8s", "--from", "2027-06-18", "--to", "2027-06-21",
                "--calendar", str(calendar))  # fmt: skip
    assert done.exit_code == 0, done.output
    doc = yaml.safe_load(done.stdout)
    assert doc["kind"] == "ScaledObject"
    assert doc["spec"]["triggers"][0]["type"] == "postgresql"
    assert "regenerate before 2027-06-21T00:00:00+00:00" in done.stderr
    shown = _run(tmp_path, "plan", "show", "--date", "2027-06-19", "--calendar", str(calendar),
                 "--json")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    hours = json.loads(shown.stdout)["hours"]
    assert len(hours) == 24 and all(h["workers"] >= 5 for h in hours)
    assert sum(h["photos"].get("uk", 0) for h in hours) > 2500
    assert json.loads(shown.stdout)["over_cost_cap"] == []
    capped = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path / "data"), "plan", "show", "--date", "2027-06-19",
              "--calendar", str(calendar), "--json"],
        env={"TROUSSEAU_PLANNING__HOURLY_COST_CAP": "0.45",
             "TROUSSEAU_PLANNING__PRICE_PER_HOUR": "0.1"},
    )  # fmt: skip
    assert capped.exit_code == 0, capped.output
    over = json.loads(capped.stdout)["over_cost_cap"]
    assert over and "above planning.hourly_cost_cap (0.45)" in capped.stderr


def test_a_generated_month_and_a_broken_calendar(tmp_path) -> None:
    done = _run(tmp_path, "plan", "sample", "--month", "2027-06-01")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].startswith("wedding,date,ceremony_time") and len(lines) > 150
    bad = tmp_path / "bad.csv"
    bad.write_text(CALENDAR.replace("Asia/Kolkata", "Asia/Atlantis"), encoding="utf-8")
    broken = _run(tmp_path, "plan", "simulate", "--calendar", str(bad))
    assert broken.exit_code != 0
    assert "bad.csv line 5: 'Asia/Atlantis' is not an IANA time zone" in str(broken.exception)


def test_show_reads_the_catalogs_weddings(tmp_path) -> None:
    from tests.ingest.conftest import make_jpeg

    card = tmp_path / "card"
    card.mkdir()
    make_jpeg(card / "IMG_0001.JPG", seed=1)
    made = _run(tmp_path, "ingest", str(card), "--wedding", "patel-shah", "--date",
                "2027-06-19", "--timezone", "Asia/Kolkata")  # fmt: skip
    assert made.exit_code == 0, made.output
    shown = _run(tmp_path, "plan", "show", "--date", "2027-06-19", "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["regions"] == ["Asia/Kolkata"]


def test_calibrate_needs_history(tmp_path) -> None:
    done = _run(tmp_path, "plan", "calibrate", "--from", "2026-01-01", "--to", "2026-12-01")
    assert done.exit_code != 0 and "at least 4 weddings" in str(done.exception)
