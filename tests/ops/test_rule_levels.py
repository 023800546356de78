"""Every alert fires on a bad input and stays quiet on a good one at each protection level
(NORMAL, HIGH, MAXIMUM), with the severity and `protection` label that level gives it. The
generated rules run in promtool with their annotations left out (their texts are checked at
NORMAL and MAXIMUM by deploy/prometheus/rules_test.yml): what is checked here is when each
alert fires and how it is labelled at every level."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from trousseau.ops.rules import rule_groups

PROMTOOL = shutil.which("promtool")
LEVELED, PLAIN, STOPPED = "leveled", "plain", "stopped"

QUEUED = ('trousseau_jobs{state="queued", sla="same-day", instance="a"}', "3x90")
HTTP = 'trousseau_http_request_duration_seconds_count{method="GET", route="/x", instance="a", '
ON_TIME = 'trousseau_jobs_finished_total{sla="same-day", outcome="on_time", instance="a"}'
LATE = 'trousseau_jobs_finished_total{sla="same-day", outcome="late", instance="a"}'
WORKERS, PLANNED = 'trousseau_workers{instance="a"}', 'trousseau_plan_workers{instance="a"}'

# alert, kind, severity, labels, bad series, good series, eval time
SCENARIOS: list[tuple[str, str, str, dict[str, str], list, list, str]] = [
    ("QueueBacklogBehindDeadline", LEVELED, "critical", {"sla": "same-day"},
     [('trousseau_deadline_slack_seconds{sla="same-day", instance="a"}', "60x90"), QUEUED],
     [('trousseau_deadline_slack_seconds{sla="same-day", instance="a"}', "1700x90"), QUEUED],
     "15m"),
    ("QueueBacklogBehindDeadline", LEVELED, "warning", {"sla": "next-day"},
     [('trousseau_deadline_slack_seconds{sla="next-day", instance="a"}', "120x90"),
      ('trousseau_jobs{state="queued", sla="next-day", instance="a"}', "3x90")],
     [('trousseau_deadline_slack_seconds{sla="next-day", instance="a"}', "7000x90"),
      ('trousseau_jobs{state="queued", sla="next-day", instance="a"}', "3x90")],
     "20m"),
    ("LateSameDayJobs", PLAIN, "emergency", {"sla": "same-day"},
     [('trousseau_late_jobs{sla="same-day", instance="a"}', "2x90")],
     [('trousseau_late_jobs{sla="same-day", instance="a"}', "0x90")], "10m"),
    ("NoWorkers", STOPPED, "", {},
     [('trousseau_workers{instance="a"}', "0x90"), QUEUED],
     [('trousseau_workers{instance="a"}', "3x90"), QUEUED], "10m"),
    ("WorkersNotClaiming", STOPPED, "", {},
     [('trousseau_workers{instance="a"}', "2x90"), ('trousseau_workers_busy{instance="a"}', "0x90"),
      ('trousseau_jobs_due{instance="a"}', "9x90")],
     [('trousseau_workers{instance="a"}', "2x90"), ('trousseau_workers_busy{instance="a"}', "1x90"),
      ('trousseau_jobs_due{instance="a"}', "9x90")], "15m"),
    ("HighJobFailureRate", LEVELED, "warning", {},
     [('trousseau_jobs{state="dead", sla="standard", instance="a"}', "0+10x90"),
      ('trousseau_jobs{state="done", sla="standard", instance="a"}', "0+10x90")],
     [('trousseau_jobs{state="dead", sla="standard", instance="a"}', "0x90"),
      ('trousseau_jobs{state="done", sla="standard", instance="a"}', "0+10x90")], "25m"),
    ("VaultErrors", PLAIN, "critical", {"operation": "verify"},
     [('trousseau_vault_errors_total{operation="verify", instance="a"}', "0+1x90")],
     [('trousseau_vault_errors_total{operation="verify", instance="a"}', "0x90")], "5m"),
    ("VaultErrors", LEVELED, "warning", {"operation": "put"},
     [('trousseau_vault_errors_total{operation="put", instance="a"}', "0+5x90")],
     [('trousseau_vault_errors_total{operation="put", instance="a"}', "0x90")], "15m"),
    ("WorkerVaultErrors", PLAIN, "critical", {"operation": "verify"},
     [('trousseau_worker_vault_errors_total{operation="verify", instance="a"}', "0+1x90")],
     [('trousseau_worker_vault_errors_total{operation="verify", instance="a"}', "0x90")], "5m"),
    ("WorkerVaultErrors", LEVELED, "warning", {"operation": "job"},
     [('trousseau_worker_vault_errors_total{operation="job", instance="a"}', "0+5x90")],
     [('trousseau_worker_vault_errors_total{operation="job", instance="a"}', "0x90")], "15m"),
    ("BackupLagging", LEVELED, "critical", {"repository": "r"},
     [('trousseau_backup_lag_seconds{repository="r", instance="a"}', "300x90")],
     [('trousseau_backup_lag_seconds{repository="r", instance="a"}', "5x90")], "10m"),
    ("ApiHighErrorRate", LEVELED, "warning", {},
     [(HTTP + 'status="500"}', "0+60x90"), (HTTP + 'status="200"}', "0+60x90")],
     [(HTTP + 'status="500"}', "0x90"), (HTTP + 'status="200"}', "0+60x90")], "20m"),
    ("CertificateExpiring", LEVELED, "warning", {"endpoint": "api:443"},
     [('trousseau_certificate_expiry_seconds{endpoint="api:443", instance="a"}', "86400x90")],
     [('trousseau_certificate_expiry_seconds{endpoint="api:443", instance="a"}', "9000000x90")],
     "15m"),
    ("TrousseauMetricsAbsent", PLAIN, "critical", {},
     [], [('trousseau_workers{instance="a"}', "1x90")], "15m"),
    ("CapacityBelowPlan", PLAIN, "warning", {},
     [(WORKERS, "3x90"), (PLANNED, "8x90")],
     [(WORKERS, "8x90"), (PLANNED, "8x90")],
     "15m"),
    ("VaultDiskLow", LEVELED, "critical", {},
     [('trousseau_vault_free_bytes{instance="a"}', "10000000000x90")],
     [('trousseau_vault_free_bytes{instance="a"}', "500000000000x90")], "10m"),
    ("RestoreDrillFailed", PLAIN, "critical", {},
     [('trousseau_dr_last_drill_ok{instance="a"}', "0x90")],
     [('trousseau_dr_last_drill_ok{instance="a"}', "1x90")], "10m"),
    ("RestoreDrillOverdue", PLAIN, "warning", {},
     [('trousseau_dr_last_drill_timestamp_seconds{instance="a"}', "-1000000x90")],
     [('trousseau_dr_last_drill_timestamp_seconds{instance="a"}', "0x90")], "75m"),
    ("SloBurnRateFast", PLAIN, "critical", {"sla": "same-day"},
     [(ON_TIME, "0+970x90"), (LATE, "0+30x90")],
     [(ON_TIME, "0+1000x90"), (LATE, "0x90")],
     "10m"),
    ("SloBurnRateSlow", PLAIN, "warning", {"sla": "same-day"},
     [(ON_TIME, "0+998x90"), (LATE, "0+2x90")],
     [(ON_TIME, "0+1000x90"), (LATE, "0x90")],
     "75m"),
]  # fmt: skip


def _labels(kind: str, severity: str, labels: dict[str, str], level: int) -> dict[str, str]:
    if kind == LEVELED:
        return {**labels, "severity": severity, "protection": "normal" if level == 0 else "raised"}
    if kind == STOPPED:
        if level == 2:
            return {**labels, "severity": "emergency", "protection": "maximum"}
        return {**labels, "severity": "critical", "protection": "below-maximum"}
    return {**labels, "severity": severity}


def _case(series: list, level: int, alert: str, at: str, expected: list[dict]) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": [
            {"series": 'trousseau_protection_level{region="uk"}', "values": f"{level}x90"},
            *({"series": s, "values": v} for s, v in series),
        ],
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}],
    }


def _without_annotations() -> dict[str, Any]:
    groups = rule_groups()
    for group in groups["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return groups


@pytest.mark.skipif(PROMTOOL is None, reason="apt-get install prometheus (promtool)")
def test_every_alert_fires_and_stays_quiet_at_every_level(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(_without_annotations(), sort_keys=False))
    tests = []
    for alert, kind, severity, labels, bad, good, at in SCENARIOS:
        for level in (0, 1, 2):
            firing = {"exp_labels": _labels(kind, severity, labels, level)}
            tests.append(_case(bad, level, alert, at, [firing]))
            tests.append(_case(good, level, alert, at, []))
    (tmp_path / "levels_test.yml").write_text(
        yaml.safe_dump(
            {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests},
            sort_keys=False,
        )
    )
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "levels_test.yml"], cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_scenarios_cover_every_alert_and_severity() -> None:
    written = {
        (rule["alert"], rule["labels"]["severity"])
        for group in rule_groups()["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    covered = set()
    for alert, kind, severity, labels, *_ in SCENARIOS:
        for level in (0, 1, 2):
            covered.add((alert, _labels(kind, severity, labels, level)["severity"]))
    assert written == covered
