"""`trousseau freeze check` and `timeline` from the command line: exit codes, JSON, the
calendar read from the catalog, a policy file of one's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from trousseau.cli import app


class Done:
    def __init__(self, result: Result) -> None:
        self.returncode = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr + (repr(result.exception) if result.exception else "")


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Done:
    """The command run in this process (its own start-up is not what is tested)."""
    runner = CliRunner()
    return Done(runner.invoke(app, ["--data-dir", str(tmp_path / "data"), *args], env=env))


@pytest.mark.parametrize(
    ("at", "code", "verdict"),
    [
        ("2026-01-14T12:00:00+00:00", 0, "allow"),  # a Wednesday
        ("2026-01-16T19:00:00+00:00", 3, "needs-approval"),  # Friday evening in London
        ("2026-06-13T09:30:00+01:00", 4, "deny"),  # a Saturday in peak season
    ],
)
def test_check_exits_by_its_verdict(tmp_path, at, code, verdict) -> None:
    done = _run(
        tmp_path, "freeze", "check", "--env", "production", "--service", "api",
        "--region", "uk", "--at", at, "--json",
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    body = json.loads(done.stdout)
    assert body["verdict"] == verdict
    if code:
        assert body["reasons"] and body["next_allowed"] > at


def test_a_wedding_in_the_catalog_denies_deploys_around_its_ceremony(tmp_path) -> None:
    from tests.ingest.conftest import make_jpeg

    card = tmp_path / "card"
    card.mkdir()
    make_jpeg(card / "IMG_0001.JPG", seed=1)
    made = _run(
        tmp_path, "ingest", str(card), "--wedding", "patel-shah", "--date", "2026-03-11",
        "--timezone", "Asia/Kolkata",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = _run(
        tmp_path, "freeze", "check", "--env", "production", "--service", "api",
        "--region", "Asia/Kolkata", "--at", "2026-03-11T14:00:00+05:30", "--json",
    )  # fmt: skip
    assert done.returncode == 4, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert any("patel-shah" in r["text"] for r in body["reasons"])
    # the ceremony is taken at 15:00 local: denied until 12 hours after it
    assert body["next_allowed"] == "2026-03-11T21:30:00+00:00"


def test_timeline_and_a_policy_file_of_ones_own(tmp_path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[regions]\nnyc = "America/New_York"\n\n[[windows]]\nname = "release train"\n'
        'level = "high"\ndays = ["sunday"]\nstart = "01:30"\nend = "03:30"\n',
        encoding="utf-8",
    )
    done = _run(
        tmp_path, "freeze", "timeline", "--region", "nyc", "--from", "2026-03-08T00:00:00-05:00",
        "--to", "2026-03-09T00:00:00-04:00", "--json",
        env={"TROUSSEAU_FREEZE__POLICY": str(policy)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pieces = json.loads(done.stdout)
    high = [p for p in pieces if p["level"] == "high"]
    # spring forward: 02:00 EST jumps to 03:00 EDT; the window runs 01:30 EST to 03:30 EDT,
    # one hour and a half of wall clock that lasts one hour
    assert [(p["start"], p["end"]) for p in high] == [
        ("2026-03-08T06:30:00+00:00", "2026-03-08T07:30:00+00:00")
    ]
    bad = _run(
        tmp_path, "freeze", "check", "--env", "p", "--service", "s", "--region", "Mars/Olympus",
        env={"TROUSSEAU_FREEZE__POLICY": str(policy)},
    )  # fmt: skip
    assert bad.returncode not in (0, 3, 4) and "Mars/Olympus" in bad.stderr
