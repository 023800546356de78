"""deploy/grafana/trousseau.json: a loadable dashboard whose queries name only real metrics."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.artefacts import (
    DASHBOARD,
    EXPORTED_METRICS,
    base_metric,
    exported_series,
    find_tool,
    metric_names,
)

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Grafana's own interval variables, replaced by a fixed range when promtool parses a query.
GRAFANA_RANGES = ("$__rate_interval", "$__interval", "$__range")


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # collapsed rows hold their panels


def _queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def test_dashboard_identity(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "trousseau-overview"
    assert len(dashboard["uid"]) <= 40  # Grafana's limit
    assert dashboard["title"]
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard.get("id") is None, "an id ties the file to one Grafana database"


def test_datasource_is_a_variable(dashboard: dict[str, Any]) -> None:
    (variable,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert variable["name"] == "datasource" and variable["query"] == "prometheus"
    for panel in _panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == DATASOURCE, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]


def test_panels_are_laid_out(dashboard: dict[str, Any]) -> None:
    ids = [panel["id"] for panel in _panels(dashboard)]
    assert len(ids) == len(set(ids))
    cells = set()
    for panel in _panels(dashboard):
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
                cells.add((x, y))


def test_queries_name_only_exported_metrics(dashboard: dict[str, Any]) -> None:
    known = exported_series()
    used = set()
    for title, expr in _queries(dashboard):
        names = metric_names(expr)
        assert names, f"{title}: no metric in {expr}"
        assert names <= known, f"{title}: unknown metric(s) {names - known}"
        used |= {base_metric(name) for name in names}
    assert used == set(EXPORTED_METRICS), f"not on the dashboard: {set(EXPORTED_METRICS) - used}"


def test_the_panels_the_operators_need(dashboard: dict[str, Any]) -> None:
    queries = "\n".join(expr for _, expr in _queries(dashboard))
    for needle in (
        "max by (state, sla) (trousseau_jobs",  # queue depth by state and SLA
        "min by (sla) (trousseau_deadline_slack_seconds)",
        "max by (sla) (trousseau_late_jobs)",
        "histogram_quantile(0.5, sum by (le, route) (rate(trousseau_http_request_duration",
        "histogram_quantile(0.99, sum by (le, route) (rate(trousseau_http_request_duration",
        "histogram_quantile(0.5, sum by (le, kind) (rate(trousseau_job_duration",
        "histogram_quantile(0.95, sum by (le, kind) (rate(trousseau_job_duration",
        "rate(trousseau_upload_bytes_total",
    ):
        assert needle in queries


def test_metric_name_reader() -> None:
    """The reader the two tests above rely on finds metrics and nothing else."""
    expr = (
        "histogram_quantile(0.99, sum by (le, route) (rate(trousseau_http_request_duration"
        '_seconds_bucket{status=~"5..", route!="/metrics"}[$__rate_interval]))) '
        "or on () vector(0) and max without (instance) (foo:bar:max offset 5m) > bool 1e3"
    )
    assert metric_names(expr) == {"trousseau_http_request_duration_seconds_bucket", "foo:bar:max"}
    assert metric_names('absent(up{job="x"})') == {"up"}
    assert metric_names("sum(rate(x_total[5m])) by (kind) / ignoring(kind) y") == {"x_total", "y"}


def test_queries_parse(dashboard: dict[str, Any], tmp_path: Path) -> None:
    """promtool parses every query, written as recording rules (Grafana variables resolved)."""
    promtool = find_tool("promtool")
    if promtool is None:
        pytest.skip("promtool not found: apt-get install prometheus (Debian) or put it on PATH")
    rules = []
    for i, (_, expr) in enumerate(_queries(dashboard)):
        for variable in GRAFANA_RANGES:
            expr = expr.replace(variable, "5m")
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
