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
    """A run's outcome as `trousseau` itself ends it (an expected error exits with its code)."""

    def __init__(self, result: Result) -> None:
        from trousseau.errors import TrousseauError

        self.returncode = result.exit_code
        if isinstance(result.exception, TrousseauError):
            self.returncode = result.exception.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr + (str(result.exception) if result.exception else "")


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


def _freeze_now(tmp_path: Path) -> dict[str, str]:
    """A policy whose one-off freeze holds now, so overrides are tested at the real time."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    policy = tmp_path / "now.toml"
    policy.write_text(
        '[regions]\nuk = "Europe/London"\n\n[[freezes]]\n'
        f'from = "{(now - timedelta(hours=1)).isoformat()}"\n'
        f'to = "{(now + timedelta(hours=3)).isoformat()}"\n'
        'level = "maximum"\nreason = "release of 4.0"\n',
        encoding="utf-8",
    )
    return {"TROUSSEAU_FREEZE__POLICY": str(policy)}


def test_an_override_takes_two_people_and_every_step_is_audited(tmp_path) -> None:
    env = _freeze_now(tmp_path)
    check = ("freeze", "check", "--env", "production", "--service", "api", "--json")
    assert _run(tmp_path, *check, "--by", "ci", env=env).returncode == 4
    asked = _run(
        tmp_path, "freeze", "override", "request", "--env", "production", "--service", "api",
        "--reason", "card uploads fail for every studio", "--for", "90m", "--by", "alice", env=env,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    own = _run(tmp_path, "freeze", "override", "approve", "1", "--by", "alice", env=env)
    assert own.returncode == 2 and "second, different person" in own.stderr
    assert _run(tmp_path, *check, env=env).returncode == 4
    ok = _run(tmp_path, "freeze", "override", "approve", "1", env={**env, "TROUSSEAU_ACTOR": "bob"})
    assert ok.returncode == 0, ok.stderr
    allowed = _run(tmp_path, *check, "--by", "ci", env=env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    body = json.loads(allowed.stdout)
    assert body["level"] == "maximum" and body["override"]["approved_by"] == "bob"
    other = _run(tmp_path, "freeze", "check", "--env", "production", "--service", "web", env=env)
    assert other.returncode == 4
    revoked = _run(tmp_path, "freeze", "override", "revoke", "1", "--by", "carol", env=env)
    assert revoked.returncode == 0
    assert _run(tmp_path, *check, env=env).returncode == 4
    listed = json.loads(_run(tmp_path, "freeze", "override", "list", "--json", env=env).stdout)
    assert [o["state"] for o in listed] == ["revoked"]

    shown = json.loads(_run(tmp_path, "freeze", "audit", "show", "--json", env=env).stdout)
    assert [e["action"] for e in shown] == [
        "decision", "request", "decision", "approve", "decision", "decision", "revoke", "decision"
    ]  # fmt: skip
    verified = _run(tmp_path, "freeze", "audit", "verify", env=env)
    assert verified.returncode == 0 and "8 entries" in verified.stdout

    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "catalog.sqlite3") as db:
        db.execute("UPDATE freeze_audit SET actor = 'mallory' WHERE seq = 4")
    broken = _run(tmp_path, "freeze", "audit", "verify", env=env)
    assert broken.returncode == 5 and "entry 4" in broken.stderr
