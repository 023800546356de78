"""The alert rules are generated: the committed file is the generator's, thresholds tighten
monotonically with the protection level, and the rule file's own promtool tests cover every
alert and severity at each level it is written for (tests/deploy runs them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from trousseau.cli import app
from trousseau.ops.rules import RAISED, Thresholds, rule_groups, rules_yaml

RULES = Path(__file__).parents[2] / "deploy" / "prometheus" / "rules.yml"


def test_the_committed_rule_file_is_the_generators() -> None:
    assert RULES.read_text(encoding="utf-8") == rules_yaml(), (
        "deploy/prometheus/rules.yml was edited by hand or the generator changed: "
        "trousseau ops rules --out deploy/prometheus/rules.yml"
    )


def _thresholds(groups: dict) -> dict[tuple[str, str, str], float]:
    found = {}
    for group in groups["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule or rule["labels"].get("protection") not in ("normal", "raised"):
                continue
            match = re.search(r"([<>])\s*([0-9.e+-]+)\n", rule["expr"].split("\n)\n")[0] + "\n")
            if match:
                key = (rule["alert"], rule["labels"]["severity"], rule["labels"]["protection"])
                found[key] = (match.group(1), float(match.group(2)))
    return found


@pytest.mark.parametrize("sensitivity", [0.6, 0.8, 1.0])
def test_a_stricter_level_is_never_less_sensitive(sensitivity: float) -> None:
    """On the same input the raised rule fires whenever the normal one would, and with the
    same `for`: never later."""
    groups = rule_groups(Thresholds(sensitivity=sensitivity))
    found = _thresholds(groups)
    pairs = {(a, s) for a, s, _ in found}
    assert len(pairs) >= 7
    for alert, severity in pairs:
        op, normal = found[(alert, severity, "normal")]
        _, raised = found[(alert, severity, "raised")]
        assert raised >= normal if op == "<" else raised <= normal, (alert, severity)
    fors = {}
    for group in groups["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                fors.setdefault((rule["alert"], rule["labels"]["severity"]), set()).add(rule["for"])
    assert all(len(v) == 1 for k, v in fors.items() if k[1] != "emergency"), fors


def test_every_raised_rule_is_guarded_by_the_level() -> None:
    for group in rule_groups()["groups"]:
        for rule in group["rules"]:
            if rule.get("labels", {}).get("protection") == "raised":
                assert RAISED in rule["expr"]


def test_ops_rules_writes_the_file_from_settings(tmp_path) -> None:
    out = tmp_path / "rules.yml"
    done = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path / "data"), "ops", "rules", "--out", str(out)],
        env={"TROUSSEAU_OPS__SENSITIVITY": "0.5"},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    groups = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert _thresholds(groups)[("BackupLagging", "critical", "raised")] == ("<", 30.0) or (
        _thresholds(groups)[("BackupLagging", "critical", "raised")] == (">", 30.0)
    )


def test_the_default_settings_give_the_committed_thresholds() -> None:
    from trousseau.ops.rules import thresholds_from
    from trousseau.settings import Settings

    assert rules_yaml(thresholds_from(Settings())) == rules_yaml()


@pytest.mark.skipif(
    __import__("shutil").which("promtool") is None, reason="apt-get install prometheus"
)
def test_a_cost_cap_in_the_settings_adds_its_alert(tmp_path) -> None:
    import subprocess

    from trousseau.ops.rules import thresholds_from
    from trousseau.settings import PlanningSettings, Settings

    settings = Settings(planning=PlanningSettings(hourly_cost_cap=1.5, price_per_hour=0.1))
    (tmp_path / "rules.yml").write_text(rules_yaml(thresholds_from(settings)))
    (tmp_path / "test.yml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [
            {"series": 'trousseau_plan_workers{instance="a"}', "values": "10x10 20x20"}],
            "alert_rule_test": [
                {"eval_time": "8m", "alertname": "PlanOverCostCap", "exp_alerts": []},
                {"eval_time": "20m", "alertname": "PlanOverCostCap", "exp_alerts": [{
                    "exp_labels": {"severity": "warning"},
                    "exp_annotations": {
                        "summary": "The capacity plan costs more an hour than the cap",
                        "description": "The plan's workers cost 2 an hour (cap 1.5).",
                        "runbook": "trousseau plan show for today; raise "
                        "planning.hourly_cost_cap or lower the promises (fewer same-day "
                        "galleries) for the day."}}]}]}]}))  # fmt: skip
    done = subprocess.run(["promtool", "test", "rules", "test.yml"], cwd=tmp_path,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PlanOverCostCap" not in rules_yaml()  # no cap by default, no alert
