"""deploy/prometheus: the rules load in Prometheus, their unit tests pass, and they say enough.

promtool comes from Debian's `prometheus` package (CI installs it); without it the promtool
tests skip, naming the package to install. The structural checks below need only PyYAML.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.artefacts import (
    PROMETHEUS,
    configured_settings,
    exported_series,
    find_tool,
    metric_names,
)

RULES = PROMETHEUS / "rules.yml"
RULES_TEST = PROMETHEUS / "rules_test.yml"
REQUIRED_ALERTS = {
    "QueueBacklogBehindDeadline",
    "HighJobFailureRate",
    "NoWorkers",
    "LateSameDayJobs",
    "VaultErrors",
    "ApiHighErrorRate",
}
SEVERITIES = {"emergency", "critical", "warning"}
ANNOTATIONS = {"summary", "description", "runbook"}

PROMTOOL = find_tool("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not found: apt-get install prometheus (Debian) or put promtool on PATH",
)


def _rules() -> list[dict[str, Any]]:
    with RULES.open() as f:
        return [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


@needs_promtool
def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_test_rules() -> None:
    result = _promtool("test", "rules", RULES_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_required_alerts_exist() -> None:
    assert {rule["alert"] for rule in _alerts()} >= REQUIRED_ALERTS


def test_alerts_have_for_severity_and_runbook() -> None:
    for rule in _alerts():
        name = rule["alert"]
        assert "for" in rule, f"{name}: say how long (for: 0m when at once is meant)"
        assert rule["labels"]["severity"] in SEVERITIES, name
        assert set(rule["annotations"]) >= ANNOTATIONS, name
        assert all(rule["annotations"][key].strip() for key in ANNOTATIONS), name


def test_rules_read_only_exported_or_recorded_metrics() -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    known = exported_series() | recorded
    used = set()
    for rule in _rules():
        names = metric_names(rule["expr"])
        assert names, f"{rule.get('alert') or rule.get('record')} reads no metric"
        assert names <= known, f"unknown metric(s) {names - known} in {rule['expr']}"
        used |= names
    assert recorded <= used, "a recording rule nobody reads"


def test_every_alert_is_tested_firing_and_quiet() -> None:
    with RULES_TEST.open() as f:
        tests = yaml.safe_load(f)["tests"]
    fired, quiet = set(), set()
    for case in tests:
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in _alerts()}
    assert alerts - fired == set(), "never seen firing"
    assert alerts - quiet == set(), "never seen staying quiet"
    severities = {
        (check["alertname"], alert["exp_labels"]["severity"])
        for case in tests
        for check in case.get("alert_rule_test", [])
        for alert in check["exp_alerts"]
    }
    assert {(rule["alert"], rule["labels"]["severity"]) for rule in _alerts()} <= severities


def test_slack_thresholds_sit_inside_the_sla(monkeypatch: pytest.MonkeyPatch) -> None:
    """A threshold at or above the SLA's delay would fire as soon as any job is enqueued."""
    thresholds = {}
    for rule in _alerts():
        for sla, seconds in re.findall(
            r'trousseau_deadline_slack_seconds\{sla="([^"]+)"\}\)\s*<\s*(\d+)', rule["expr"]
        ):
            thresholds[sla] = int(seconds)
    assert set(thresholds) == {"same-day", "next-day"}
    slas = configured_settings(monkeypatch).sla_classes
    for sla, seconds in thresholds.items():
        assert 0 < seconds < slas[sla].total_seconds(), sla
