"""The Prometheus alert rules, generated from settings (pure: thresholds in, rule groups out).

Thresholds tighten with the protection level: PromQL has no time zones, so trousseau computes
each region's level in local time and exports it (`trousseau_protection_level{region}`);
the rules read the strictest (`trousseau:protection_level:max`, 0 when the gauge is absent).
An alert that tightens is written twice under one name: at NORMAL with its threshold, at HIGH
and MAXIMUM with the threshold moved by the sensitivity (an alert on "above T" fires above
T x 0.6; one on "below T" below T / 0.6), so on the same input a stricter level never fires
later than a looser one. Processing that stops while a wedding is live (MAXIMUM) is an
EMERGENCY; a same-day deadline missed always is.

Every API replica exports the same catalog-derived gauges, so gauges are reduced across
replicas with max/min by their own labels first; counters and histograms are summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trousseau.settings import Settings

LEVEL = "trousseau:protection_level:max"
NORMAL_ONLY = f"{LEVEL} < 1"
RAISED = f"{LEVEL} >= 1"
MAXIMUM_ONLY = f"{LEVEL} >= 2"
BELOW_MAXIMUM = f"{LEVEL} < 2"

EMERGENCY = "emergency"
CRITICAL = "critical"
WARNING = "warning"

_BACKLOG_RUNBOOK = (
    "trousseau status; check the worker pods; add workers "
    "(kubectl -n trousseau scale deploy/trousseau-worker --replicas=N)."
)


@dataclass(frozen=True)
class Thresholds:
    """The NORMAL thresholds; HIGH and MAXIMUM move them by `sensitivity`."""

    sensitivity: float = 0.6
    same_day_slack_seconds: float = 600
    next_day_slack_seconds: float = 1800
    failure_ratio: float = 0.05
    backup_lag_seconds: float = 60
    api_error_ratio: float = 0.05
    vault_errors: float = 3
    vault_free_bytes: float = 100e9
    slo_targets: tuple[tuple[str, float], ...] = (("same-day", 0.999), ("next-day", 0.995))
    """Per SLA class, the share of jobs that must meet their deadline (the SLO)."""
    hourly_cost_cap: float | None = None
    """Alert when the plan's workers cost more an hour (None: no cost alert)."""
    price_per_hour: float = 0.10
    drill_overdue_seconds: float = 8 * 86400
    """Alert when the last restore drill is older (weekly drills, a day of grace)."""


def thresholds_from(settings: Settings) -> Thresholds:
    """The thresholds the settings give (ops.*; the backup lag is backup.lag_target_seconds)."""
    ops = settings.ops
    return Thresholds(
        sensitivity=ops.sensitivity,
        same_day_slack_seconds=ops.same_day_slack_seconds,
        next_day_slack_seconds=ops.next_day_slack_seconds,
        failure_ratio=ops.failure_ratio,
        backup_lag_seconds=settings.backup.lag_target_seconds,
        api_error_ratio=ops.api_error_ratio,
        vault_free_bytes=ops.vault_free_gb * 1e9,
        slo_targets=tuple(ops.slo_targets.items()),
        hourly_cost_cap=settings.planning.hourly_cost_cap,
        price_per_hour=settings.planning.price_per_hour,
        drill_overdue_seconds=(ops.drill_every_days + 1) * 86400,
    )


@dataclass(frozen=True)
class _Alert:
    name: str
    expr: str
    """With `{t}` where the threshold goes (and `{t_text}` in the description)."""
    for_: str
    severity: str
    summary: str
    description: str
    runbook: str
    threshold: float | None = None
    below: bool = False
    """The alert fires below the threshold (tightening raises it)."""
    text: Any = None
    """How the description writes a threshold."""
    labels: dict[str, str] = field(default_factory=dict)


def _number(value: float) -> str:
    return f"{round(value, 6):g}"


def _rule(
    alert: _Alert,
    threshold: float | None,
    guard: str | None,
    severity: str,
    protection: str | None = None,
) -> dict[str, Any]:
    t = _number(threshold) if threshold is not None else ""
    text = alert.text(threshold) if alert.text and threshold is not None else t
    expr = alert.expr.format(t=t).strip()
    if guard:
        expr = f"(\n{_indent(expr)}\n)\nand on () ({guard})"
    return {
        "alert": alert.name,
        "expr": expr + "\n",
        "for": alert.for_,
        "labels": {
            **alert.labels,
            "severity": severity,
            **({"protection": protection} if protection else {}),
        },
        "annotations": {
            "summary": alert.summary,
            "description": alert.description.format(t_text=text),
            "runbook": alert.runbook,
        },
    }


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _tightened(alert: _Alert, sensitivity: float) -> float:
    assert alert.threshold is not None
    return alert.threshold / sensitivity if alert.below else alert.threshold * sensitivity


def _leveled(alert: _Alert, sensitivity: float) -> list[dict[str, Any]]:
    """The alert at NORMAL and, tightened, at HIGH and MAXIMUM (labelled `protection`, so
    the two are distinct rules and Alertmanager can route on the level)."""
    return [
        _rule(alert, alert.threshold, NORMAL_ONLY, alert.severity, "normal"),
        _rule(alert, _tightened(alert, sensitivity), RAISED, alert.severity, "raised"),
    ]


def _minutes(seconds: float | None) -> str:
    assert seconds is not None
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def _percent(ratio: float | None) -> str:
    assert ratio is not None
    return f"{ratio * 100:g}%"


def _seconds(seconds: float | None) -> str:
    assert seconds is not None
    return f"{seconds:g} s"


def rule_groups(t: Thresholds | None = None) -> dict[str, Any]:
    """The rule file's contents (`groups`), for `trousseau ops rules` to write as YAML."""
    t = t or Thresholds()
    s = t.sensitivity
    backlog_same = _Alert(
        "QueueBacklogBehindDeadline",
        """
min by (sla) (trousseau_deadline_slack_seconds{{sla="same-day"}}) < {t}
and on (sla)
sum by (sla) (state_sla:trousseau_jobs:max{{state=~"queued|running"}}) > 0
""",
        "5m",
        CRITICAL,
        "Same-day work is falling behind its deadline",
        "The oldest open same-day job is due in {{{{ $value | humanizeDuration }}}} "
        "(alert below {t_text}).",
        _BACKLOG_RUNBOOK,
        threshold=t.same_day_slack_seconds,
        below=True,
        text=_minutes,
    )
    backlog_next = _Alert(
        "QueueBacklogBehindDeadline",
        """
min by (sla) (trousseau_deadline_slack_seconds{{sla="next-day"}}) < {t}
and on (sla)
sum by (sla) (state_sla:trousseau_jobs:max{{state=~"queued|running"}}) > 0
""",
        "10m",
        WARNING,
        "Next-day work is falling behind its deadline",
        "The oldest open next-day job is due in {{{{ $value | humanizeDuration }}}} "
        "(alert below {t_text}).",
        _BACKLOG_RUNBOOK,
        threshold=t.next_day_slack_seconds,
        below=True,
        text=_minutes,
    )
    late = _Alert(
        "LateSameDayJobs",
        'max by (sla) (trousseau_late_jobs{{sla="same-day"}}) > 0',
        "5m",
        EMERGENCY,
        "Same-day jobs are past their deadline",
        "{{{{ $value }}}} open same-day job(s) have missed their deadline.",
        "Add workers now; trousseau status names the oldest deadline; tell the studio whose "
        "wedding is late.",
    )
    no_workers = _Alert(
        "NoWorkers",
        """
(max(trousseau_workers) or on () vector(0)) == 0
and on ()
sum(state_sla:trousseau_jobs:max{{state="queued"}}) > 0
""",
        "5m",
        CRITICAL,
        "Jobs are queued but no worker is alive",
        "No live worker (none sent a heartbeat within a lease length) for 5 min while jobs wait.",
        "kubectl -n trousseau get pods -l app.kubernetes.io/component=worker; logs of a "
        "crashing pod (schema not migrated: run the migration Job; catalog, object store or "
        "Secret unreachable); with KEDA, check the ScaledObject.",
    )
    not_claiming = _Alert(
        "WorkersNotClaiming",
        """
min(trousseau_jobs_due) > 0
and on ()
(max(max_over_time(trousseau_workers_busy[10m])) or on () vector(0)) == 0
and on ()
max(trousseau_workers) > 0
""",
        "10m",
        CRITICAL,
        "Workers are alive but claim no job",
        "{{{{ $value }}}} job(s) have been due for 10 min while live workers held no lease.",
        "trousseau status (live workers, their mode and slots); logs of the worker pods (a "
        "`--kind` filter that excludes these jobs, errors on every claim, a stuck loop: "
        "py-spy dump); check the catalog is writable from the workers.",
    )
    failures = _Alert(
        "HighJobFailureRate",
        """
(
  sum(clamp_min(delta(state_sla:trousseau_jobs:max{{state="dead"}}[30m]), 0))
  /
  (
    sum(clamp_min(delta(state_sla:trousseau_jobs:max{{state="done"}}[30m]), 0))
    + sum(clamp_min(delta(state_sla:trousseau_jobs:max{{state="dead"}}[30m]), 0))
  )
) > {t}
and
sum(clamp_min(delta(state_sla:trousseau_jobs:max{{state="dead"}}[30m]), 0)) >= 5
""",
        "10m",
        WARNING,
        "Jobs are going to dead letter",
        "{{{{ $value | humanizePercentage }}}} of the jobs finished in the last 30 min went "
        "to dead letter (alert above {t_text}).",
        "trousseau jobs dead shows each error; once the cause is fixed, trousseau jobs retry "
        "--all.",
        threshold=t.failure_ratio,
        text=_percent,
    )
    verify = _Alert(
        "VaultErrors",
        "sum by (operation) (increase(trousseau_vault_errors_total"
        '{{operation="verify"}}[10m])) > 0',
        "0m",
        CRITICAL,
        "A vault blob failed its hash verification",
        "{{{{ $value | humanize }}}} verify error(s) in 10 min: a stored blob does not match "
        "its SHA-256.",
        "trousseau verify lists the damaged blobs; restore them from the backup region; "
        "delete nothing.",
    )
    vault = _Alert(
        "VaultErrors",
        "sum by (operation) (increase(trousseau_vault_errors_total"
        '{{operation=~"put|get"}}[10m])) > {t}',
        "5m",
        WARNING,
        "Vault {{ $labels.operation }} operations are failing",
        "{{{{ $value | humanize }}}} vault {{{{ $labels.operation }}}} error(s) in 10 min.",
        "Check the object store, the credentials in Secret trousseau-secrets and "
        "TROUSSEAU_VAULT_URL; the pod logs name the blob and the error.",
        threshold=t.vault_errors,
    )
    worker_verify = _Alert(
        "WorkerVaultErrors",
        "max by (operation) (increase(trousseau_worker_vault_errors_total"
        '{{operation="verify"}}[10m])) > 0',
        "0m",
        CRITICAL,
        "A job met a vault blob that failed its hash verification",
        "{{{{ $value | humanize }}}} job(s) in 10 min read a blob that does not match its SHA-256.",
        "trousseau verify lists the damaged blobs; restore them from the backup region; "
        "delete nothing; then trousseau jobs retry the dead jobs.",
    )
    worker_vault = _Alert(
        "WorkerVaultErrors",
        "max by (operation) (increase(trousseau_worker_vault_errors_total"
        '{{operation="job"}}[10m])) > {t}',
        "5m",
        WARNING,
        "Jobs are failing on the vault",
        "{{{{ $value | humanize }}}} job(s) failed on the vault in 10 min.",
        "Worker logs name the blob and the error (full, read-only, unreachable); check the "
        "object store, the Secret trousseau-secrets and TROUSSEAU_VAULT_URL; the jobs retry "
        "by themselves.",
        threshold=t.vault_errors,
    )
    backup = _Alert(
        "BackupLagging",
        "max by (repository) (trousseau_backup_lag_seconds) > {t}",
        "5m",
        CRITICAL,
        "New originals are not reaching the backup repository",
        "The oldest change not yet backed up to {{{{ $labels.repository }}}} waited "
        "{{{{ $value | humanizeDuration }}}} (target {t_text}): a disaster now would lose it.",
        "trousseau backup status; check the backup worker (trousseau backup run --follow) and "
        "its target (disk full, credentials, a stale lock: trousseau backup unlock).",
        threshold=t.backup_lag_seconds,
        text=_seconds,
    )
    api = _Alert(
        "ApiHighErrorRate",
        """
(
  sum(rate(trousseau_http_request_duration_seconds_count{{status=~"5.."}}[5m]))
  /
  sum(rate(trousseau_http_request_duration_seconds_count[5m]))
) > {t}
and
sum(rate(trousseau_http_request_duration_seconds_count[5m])) > 0.1
""",
        "10m",
        WARNING,
        "The API answers 5xx to more than {t_text} of requests",
        "{{{{ $value | humanizePercentage }}}} of API requests failed over 5 min.",
        "The dashboard shows the route; kubectl -n trousseau logs "
        "-l app.kubernetes.io/component=api; check /readyz.",
        threshold=t.api_error_ratio,
        text=_percent,
    )
    capacity = _Alert(
        "CapacityBelowPlan",
        """
max(trousseau_workers) < max(trousseau_plan_workers)
""",
        "10m",
        WARNING,
        "Fewer workers are live than the capacity plan asks for",
        "{{{{ $value }}}} live worker(s), below the plan for now.",
        "kubectl -n trousseau get scaledobject,hpa,pods; a pod that cannot be scheduled "
        "(quota, nodes) or a ScaledObject out of date (trousseau plan k8s); trousseau plan "
        "show for today.",
    )
    disk = _Alert(
        "VaultDiskLow",
        "min(trousseau_vault_free_bytes) < {t}",
        "5m",
        CRITICAL,
        "The vault's disk is filling up",
        "{{{{ $value | humanize1024 }}}}B free where the vault keeps originals (alert below "
        "{t_text}).",
        "Grow the volume or move the vault to an object store; originals are refused once "
        "the disk is full (nothing stored is lost).",
        threshold=t.vault_free_bytes,
        below=True,
        text=lambda v: f"{v / 1e9:g} GB",
    )
    certificate = _Alert(
        "CertificateExpiring",
        "min by (endpoint) (trousseau_certificate_expiry_seconds) < {t}",
        "10m",
        WARNING,
        "A TLS certificate of the service expires soon",
        "The certificate of {{{{ $labels.endpoint }}}} expires in "
        "{{{{ $value | humanizeDuration }}}} (alert below {t_text}).",
        "Renew it (cert-manager: kubectl -n trousseau get certificate; describe the failing "
        "Certificate and its Order); a wedding's uploads stop when it expires.",
        threshold=14 * 86400,
        below=True,
        text=lambda v: f"{v / 86400:g} days",
    )
    drill_failed = _Alert(
        "RestoreDrillFailed",
        "max(trousseau_dr_last_drill_ok) == 0",
        "5m",
        CRITICAL,
        "The last restore drill failed",
        "The last `trousseau dr drill` could not restore and verify the backup: a disaster "
        "now might not be recoverable.",
        "trousseau dr history (the error of the last drill); trousseau backup verify "
        "--read-data; fix the repository or its settings, then trousseau dr drill again.",
    )
    drill_overdue = _Alert(
        "RestoreDrillOverdue",
        "time() - max(trousseau_dr_last_drill_timestamp_seconds) > {t}",
        "1h",
        WARNING,
        "No restore drill ran recently",
        "The last restore drill ran {{{{ $value | humanizeDuration }}}} ago (expected within "
        "{t_text}): nobody knows whether the backup restores.",
        "Run trousseau dr drill (weekly, from cron or a Kubernetes CronJob running that "
        "command); trousseau dr history shows the past ones.",
        threshold=t.drill_overdue_seconds,
        text=lambda v: f"{v / 86400:g} days",
    )
    absent = _Alert(
        "TrousseauMetricsAbsent",
        "absent(trousseau_workers)",
        "10m",
        CRITICAL,
        "No trousseau metrics are being scraped",
        "trousseau_workers has been absent for 10 min; queue and deadline alerts are blind.",
        "kubectl -n trousseau get pods -l app.kubernetes.io/component=api; check the "
        "Prometheus target (port 8000, /metrics); trousseau_catalog_up 0 means the API cannot "
        "read the catalog.",
    )

    def stopped(alert: _Alert) -> list[dict[str, Any]]:
        """Processing stopped: critical, an EMERGENCY while a wedding is live (MAXIMUM)."""
        return [
            _rule(alert, None, BELOW_MAXIMUM, CRITICAL, "below-maximum"),
            _rule(alert, None, MAXIMUM_ONLY, EMERGENCY, "maximum"),
        ]

    def plain(alert: _Alert) -> list[dict[str, Any]]:
        return [_rule(alert, alert.threshold, None, alert.severity)]

    api_rules = _leveled(api, s)
    slo_rules = _burn_rate_rules(t)
    for rule, threshold in zip(api_rules, (api.threshold, _tightened(api, s)), strict=True):
        rule["annotations"]["summary"] = api.summary.format(t_text=_percent(threshold))
    return {
        "groups": [
            {
                "name": "trousseau.protection",
                "rules": [
                    {
                        "record": LEVEL,
                        "expr": "max(trousseau_protection_level) or on () vector(0)\n",
                    }
                ],
            },
            {
                "name": "trousseau.jobs",
                "rules": [
                    {
                        "record": "state_sla:trousseau_jobs:max",
                        "expr": "max by (state, sla) (trousseau_jobs)\n",
                    },
                    *_leveled(backlog_same, s),
                    *_leveled(backlog_next, s),
                    *plain(late),
                    *stopped(no_workers),
                    *stopped(not_claiming),
                    *_leveled(failures, s),
                    *plain(capacity),
                ],
            },
            {
                "name": "trousseau.vault",
                "rules": [
                    *plain(verify),
                    *_leveled(vault, s),
                    *plain(worker_verify),
                    *_leveled(worker_vault, s),
                    *_leveled(disk, s),
                ],
            },
            {
                "name": "trousseau.backup",
                "rules": [*_leveled(backup, s), *plain(drill_failed), *plain(drill_overdue)],
            },
            {
                "name": "trousseau.api",
                "rules": [*api_rules, *_leveled(certificate, s), *plain(absent)],
            },
            {"name": "trousseau.slo", "rules": slo_rules},
            *([_cost_group(t)] if t.hourly_cost_cap is not None else []),
        ]
    }


def _cost_group(t: Thresholds) -> dict[str, Any]:
    """The plan's hourly cost against the cap (planning.hourly_cost_cap)."""
    assert t.hourly_cost_cap is not None
    return {
        "name": "trousseau.planning",
        "rules": [
            {
                "alert": "PlanOverCostCap",
                "expr": f"max(trousseau_plan_workers) * {_number(t.price_per_hour)} > "
                f"{_number(t.hourly_cost_cap)}\n",
                "for": "5m",
                "labels": {"severity": WARNING},
                "annotations": {
                    "summary": "The capacity plan costs more an hour than the cap",
                    "description": "The plan's workers cost {{ $value }} an hour (cap "
                    f"{_number(t.hourly_cost_cap)}).",
                    "runbook": "trousseau plan show for today; raise planning.hourly_cost_cap "
                    "or lower the promises (fewer same-day galleries) for the day.",
                },
            }
        ],
    }


BURN_WINDOWS = ("5m", "30m", "1h", "6h", "3d")


def _late_ratio(window: str) -> dict[str, Any]:
    late = f'rate(trousseau_jobs_finished_total{{outcome="late"}}[{window}])'
    every = f"rate(trousseau_jobs_finished_total[{window}])"
    return {
        "record": f"sla:trousseau_jobs_late:ratio_rate{window}",
        "expr": (
            f"max by (sla) (\n  sum without (outcome) ({late})\n  /\n"
            f"  sum without (outcome) ({every})\n)\n"
        ),
    }


def _burn_rate_rules(t: Thresholds) -> list[dict[str, Any]]:
    """Multi-window burn-rate alerts (the Google SRE workbook's form) on the share of jobs
    that finish late: page when the error budget burns 14.4x over 1 h and 5 min or 6x over
    6 h and 30 min; a ticket at 1x over 3 days and 6 h. Every API replica counts the same
    finished jobs, so the ratio is taken per replica and the largest kept."""
    rules: list[dict[str, Any]] = [_late_ratio(w) for w in BURN_WINDOWS]
    for sla, target in t.slo_targets:
        budget = 1 - target

        def ratio(window: str, sla: str = sla) -> str:
            return f'sla:trousseau_jobs_late:ratio_rate{window}{{sla="{sla}"}}'

        fast = "\n".join(
            [
                "(",
                f"  {ratio('1h')} > {_number(14.4 * budget)}",
                "  and",
                f"  {ratio('5m')} > {_number(14.4 * budget)}",
                ")",
                "or",
                "(",
                f"  {ratio('6h')} > {_number(6 * budget)}",
                "  and",
                f"  {ratio('30m')} > {_number(6 * budget)}",
                ")",
                "",
            ]
        )
        slow = "\n".join(
            [f"{ratio('3d')} > {_number(budget)}", "and", f"{ratio('6h')} > {_number(budget)}", ""]
        )
        target_text = f"{target * 100:g}%"
        rules.append(
            {
                "alert": "SloBurnRateFast",
                "expr": fast,
                "for": "2m",
                "labels": {"severity": CRITICAL, "sla": sla},
                "annotations": {
                    "summary": f"{sla} jobs are missing their deadlines fast",
                    "description": (
                        "{{ $value | humanizePercentage }} of "
                        f"{sla} jobs finish late: at this pace the month's error budget (SLO "
                        f"{target_text} on time) is gone within days."
                    ),
                    "runbook": "trousseau status and the Late jobs panel; add workers or turn "
                    "the emergency switch on (trousseau ops emergency on --reason ...).",
                },
            }
        )
        rules.append(
            {
                "alert": "SloBurnRateSlow",
                "expr": slow,
                "for": "1h",
                "labels": {"severity": WARNING, "sla": sla},
                "annotations": {
                    "summary": f"{sla} jobs are eating their error budget",
                    "description": (
                        "{{ $value | humanizePercentage }} of "
                        f"{sla} jobs finished late over 3 days (SLO {target_text} on time)."
                    ),
                    "runbook": "Review capacity: trousseau plan show for the coming "
                    "Saturdays; trousseau ops readiness the day before.",
                },
            }
        )
    return rules


HEADER = """\
# Prometheus rules for trousseau, generated by `trousseau ops rules`: edit the settings (or
# trousseau.ops.rules), not this file. tests/ops checks it matches the generator.
#   promtool check rules deploy/prometheus/rules.yml
#   promtool test rules deploy/prometheus/rules_test.yml
# Thresholds tighten at HIGH and MAXIMUM protection (trousseau_protection_level, computed by
# trousseau in each region's local time); runbooks: deploy/README.md, section "Alerts".
"""


def rules_yaml(t: Thresholds | None = None) -> str:
    import yaml

    class _Literal(str):
        pass

    def literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")

    yaml.SafeDumper.add_representer(_Literal, literal)

    def mark(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (_Literal(v) if k == "expr" else mark(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v) for v in node]
        return node

    body = yaml.safe_dump(mark(rule_groups(t)), sort_keys=False, width=100)
    return HEADER + body


def alert_names(groups: dict[str, Any]) -> Iterable[str]:
    return {r["alert"] for g in groups["groups"] for r in g["rules"] if "alert" in r}
