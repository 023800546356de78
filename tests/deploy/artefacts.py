"""Paths, loaders and the PromQL metric-name reader shared by the deploy/ tests."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from trousseau.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "trousseau.json"
DOCKERFILE = DEPLOY / "Dockerfile"

# What the service exports (the web package's /metrics), by type.
EXPORTED_METRICS = {
    "trousseau_http_request_duration_seconds": "histogram",
    "trousseau_jobs": "gauge",
    "trousseau_deadline_slack_seconds": "gauge",
    "trousseau_late_jobs": "gauge",
    "trousseau_vault_bytes": "gauge",
    "trousseau_upload_bytes_total": "counter",
    "trousseau_job_duration_seconds": "histogram",
    "trousseau_workers": "gauge",
    "trousseau_workers_busy": "gauge",
    "trousseau_jobs_due": "gauge",
    "trousseau_jobs_orphaned": "gauge",
    "trousseau_worker_vault_errors_total": "counter",
    "trousseau_vault_errors_total": "counter",
    "trousseau_backup_lag_seconds": "gauge",
    "trousseau_backup_pending_changes": "gauge",
    "trousseau_protection_level": "gauge",
    "trousseau_jobs_finished_total": "counter",
    "trousseau_plan_workers": "gauge",
    "trousseau_vault_free_bytes": "gauge",
    "trousseau_certificate_expiry_seconds": "gauge",
    "trousseau_dr_last_drill_timestamp_seconds": "gauge",
    "trousseau_dr_last_drill_ok": "gauge",
    "trousseau_dr_rto_seconds": "gauge",
    "trousseau_dr_rpo_seconds": "gauge",
}


def exported_series() -> set[str]:
    """Series names a query may use: histograms also as _bucket, _sum and _count."""
    names = set()
    for name, kind in EXPORTED_METRICS.items():
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def base_metric(series: str) -> str:
    """The exported metric a series belongs to (a histogram's _bucket to the histogram)."""
    for suffix in ("_bucket", "_sum", "_count"):
        stem = series.removesuffix(suffix)
        if stem != series and EXPORTED_METRICS.get(stem) == "histogram":
            return stem
    return series


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_VARIABLES = re.compile(r"\$\{?\w+\}?")
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "inf", "nan", "atan2"}


def metric_names(expr: str) -> set[str]:
    """The metric (series) names a PromQL expression selects.

    Strings, label matchers, ranges, grouping clauses and Grafana variables are removed first;
    of the identifiers left, those followed by "(" are functions or aggregations, the
    rest, keywords aside, are metric names.
    """
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _VARIABLES.sub(" ", text)
    return {
        match[1]
        for match in _IDENTIFIER.finditer(text)
        if not match[2] and match[1].lower() not in _KEYWORDS
    }


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    with path.open() as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def find_tool(name: str) -> str | None:
    """A console tool on PATH or next to this interpreter (a venv's bin/ need not be on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def configured_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as a trousseau container sees them: the image's ENV, the ConfigMap, the Secret."""
    for key, value in DockerfileParser(path=str(DOCKERFILE)).envs.items():
        if key.startswith("TROUSSEAU_"):
            monkeypatch.setenv(key, value)
    for name in ("configmap.yaml", "secret.example.yaml"):
        for doc in load_yaml_documents(KUBERNETES / name):
            for key, value in {**doc.get("data", {}), **doc.get("stringData", {})}.items():
                monkeypatch.setenv(key, value)
    return load_settings()
