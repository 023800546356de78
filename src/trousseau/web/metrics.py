"""Prometheus metrics: what the service did (requests, uploads) and how the queue stands.

Each app has its own registry (never the process-global default), so two apps in one process
— tests, mostly — never share a series. Queue and storage gauges are read from the catalog
at scrape time, so every replica reports the same truth and nothing goes stale between
scrapes. Job durations come from the catalog too: each scrape observes the jobs that
finished since the previous scrape (their `finished_at - started_at`, the last attempt's run
time including any wait in its claimed batch) into a histogram, which therefore counts the
jobs finished since this process started. Vault errors count the vault calls this process
made (uploads, downloads); every operation's series exists from the start at 0. Workers are
the live ones (a heartbeat within a lease's length, idle ones included); busy workers are
the live ones holding a lease (`jobs.operations_report`, as in `trousseau status`, the
dashboard and /api/v1/workers). The names below are what the alert rules and
dashboards in deploy/ use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from trousseau.catalog import (
    BackupLag,
    Catalog,
    Event,
    EventKind,
    backup_lags,
    count_vault_errors,
    recent_events,
    stored_bytes,
)
from trousseau.clock import Clock
from trousseau.errors import BlobCorrupt, SettingsError, TrousseauError, VaultError
from trousseau.freeze import protection_now
from trousseau.jobs import JobState, SlaDeadlines, jobs_finished_after, operations_report

log = logging.getLogger("trousseau.web.metrics")

HTTP_DURATION = "trousseau_http_request_duration_seconds"
UPLOAD_BYTES = "trousseau_upload_bytes"
JOB_DURATION = "trousseau_job_duration_seconds"
JOBS = "trousseau_jobs"
DEADLINE_SLACK = "trousseau_deadline_slack_seconds"
LATE_JOBS = "trousseau_late_jobs"
VAULT_BYTES = "trousseau_vault_bytes"
WORKERS = "trousseau_workers"
WORKERS_BUSY = "trousseau_workers_busy"
JOBS_DUE = "trousseau_jobs_due"
JOBS_ORPHANED = "trousseau_jobs_orphaned"
VAULT_ERRORS = "trousseau_vault_errors_total"
WORKER_VAULT_ERRORS = "trousseau_worker_vault_errors"
"""Exposed as trousseau_worker_vault_errors_total (a counter read from the catalog)."""
WORKER_VAULT_OPERATIONS = ("job", "verify")
VAULT_OPERATIONS = ("put", "get", "verify")
CATALOG_UP = "trousseau_catalog_up"
BACKUP_LAG = "trousseau_backup_lag_seconds"
BACKUP_PENDING = "trousseau_backup_pending_changes"
DRILL_TIMESTAMP = "trousseau_dr_last_drill_timestamp_seconds"
DRILL_OK = "trousseau_dr_last_drill_ok"
DRILL_RTO = "trousseau_dr_rto_seconds"
DRILL_RPO = "trousseau_dr_rpo_seconds"
PROTECTION_LEVEL = "trousseau_protection_level"
PLAN_WORKERS = "trousseau_plan_workers"
VAULT_FREE = "trousseau_vault_free_bytes"
CERTIFICATE_EXPIRY = "trousseau_certificate_expiry_seconds"
JOBS_FINISHED = "trousseau_jobs_finished"
"""Exposed as trousseau_jobs_finished_total{sla, outcome="on_time|late"}: the SLO's events."""

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


def vault_operation(exc: VaultError, attempted: str) -> str:
    """ "verify" when bytes no longer match their hash, else the operation attempted."""
    return "verify" if isinstance(exc, BlobCorrupt) else attempted


@dataclass(frozen=True)
class QueueSnapshot:
    """The catalog's numbers at one instant, as plain values."""

    now: datetime
    by_state_sla: dict[tuple[str, str], int]
    deadlines: dict[str, SlaDeadlines]
    stored_bytes: int
    workers: int
    """Live workers: a heartbeat within the live window."""
    busy: int
    """Live workers holding at least one lease."""
    due: int = 0
    """Queued jobs whose time has come (claimable now)."""
    orphaned: int = 0
    """Running jobs leased by workers that are not live (a dead worker's, until released)."""
    worker_vault_errors: dict[str, int] = field(default_factory=dict)
    """Jobs that failed on the vault, by operation ("job", "verify"), since the catalog began."""
    backups: tuple[BackupLag, ...] = ()
    """Each backup repository's lag behind the change log."""
    protection: tuple[tuple[str, int], ...] = ()
    """Each region's deploy protection level (0 normal, 1 high, 2 maximum)."""
    plan_workers: int | None = None
    """The workers today's capacity plan asks for now (its floor), when there is a plan."""
    vault_free_bytes: int | None = None
    """Free space where the vault keeps blobs (a local directory only)."""
    certificates: tuple[tuple[str, float], ...] = ()
    """Seconds until each watched TLS endpoint's certificate expires."""
    drill: Event | None = None
    """The last restore drill (`trousseau dr drill`), when one ran."""


def queue_families(snapshot: QueueSnapshot | None, slas: Iterable[str]) -> list[Metric]:
    """The gauge families of a snapshot; only `trousseau_catalog_up 0` when there is none.

    Every configured SLA class gets its job-count and late series (zero when empty), so an
    alert on them never sees a missing series; slack exists only for classes with open jobs.
    """
    up = GaugeMetricFamily(CATALOG_UP, "1 when the catalog answered this scrape")
    up.add_metric([], 0 if snapshot is None else 1)
    if snapshot is None:
        return [up]
    classes = sorted(
        set(slas) | {sla for _, sla in snapshot.by_state_sla} | set(snapshot.deadlines)
    )
    jobs = GaugeMetricFamily(JOBS, "jobs by state and SLA class", labels=["state", "sla"])
    for state in JobState:
        for sla in classes:
            jobs.add_metric([state, sla], snapshot.by_state_sla.get((state, sla), 0))
    slack = GaugeMetricFamily(
        DEADLINE_SLACK,
        "oldest open deadline minus now, per SLA class (negative: late)",
        labels=["sla"],
    )
    late = GaugeMetricFamily(LATE_JOBS, "open jobs past their deadline", labels=["sla"])
    for sla in classes:
        found = snapshot.deadlines.get(sla)
        late.add_metric([sla], found.late if found else 0)
        if found is not None and found.oldest_deadline is not None:
            slack.add_metric([sla], (found.oldest_deadline - snapshot.now).total_seconds())
    vault = GaugeMetricFamily(VAULT_BYTES, "bytes of originals and variants in the catalog")
    vault.add_metric([], snapshot.stored_bytes)
    workers = GaugeMetricFamily(
        WORKERS, "live workers (a heartbeat within one lease length), idle or busy"
    )
    workers.add_metric([], snapshot.workers)
    busy = GaugeMetricFamily(WORKERS_BUSY, "live workers holding leases on running jobs")
    busy.add_metric([], snapshot.busy)
    orphaned = GaugeMetricFamily(
        JOBS_ORPHANED,
        "running jobs leased by workers that are not live (released when a worker on their "
        "host sees the process gone, or when the lease expires)",
    )
    orphaned.add_metric([], snapshot.orphaned)
    due = GaugeMetricFamily(JOBS_DUE, "queued jobs claimable now (not waiting out a backoff)")
    due.add_metric([], snapshot.due)
    worker_vault = CounterMetricFamily(
        WORKER_VAULT_ERRORS,
        "jobs that failed on the vault in the workers, by operation (from the catalog)",
        labels=["operation"],
    )
    for operation in WORKER_VAULT_OPERATIONS:
        worker_vault.add_metric([operation], snapshot.worker_vault_errors.get(operation, 0))
    lag = GaugeMetricFamily(
        BACKUP_LAG,
        "how long the oldest change not yet in the backup repository has waited (RPO now)",
        labels=["repository"],
    )
    pending = GaugeMetricFamily(
        BACKUP_PENDING, "changes not yet in the backup repository", labels=["repository"]
    )
    for repository in snapshot.backups:
        lag.add_metric([repository.repository], repository.seconds_behind)
        pending.add_metric([repository.repository], repository.pending)
    protection = GaugeMetricFamily(
        PROTECTION_LEVEL,
        "deploy protection level per region: 0 normal, 1 high (approval), 2 maximum (denied)",
        labels=["region"],
    )
    for region, level in snapshot.protection:
        protection.add_metric([region], level)
    extra: list[Metric] = []
    if snapshot.plan_workers is not None:
        planned = GaugeMetricFamily(
            PLAN_WORKERS, "workers the capacity plan asks for now (its floor, with the lead time)"
        )
        planned.add_metric([], snapshot.plan_workers)
        extra.append(planned)
    if snapshot.certificates:
        expiry = GaugeMetricFamily(
            CERTIFICATE_EXPIRY, "seconds until the TLS certificate expires", labels=["endpoint"]
        )
        for endpoint, seconds in snapshot.certificates:
            expiry.add_metric([endpoint], seconds)
        extra.append(expiry)
    if snapshot.vault_free_bytes is not None:
        free = GaugeMetricFamily(VAULT_FREE, "free bytes where the vault keeps blobs (local disk)")
        free.add_metric([], snapshot.vault_free_bytes)
        extra.append(free)
    if snapshot.drill is not None:
        extra += drill_families(snapshot.drill)
    return [
        up, jobs, slack, late, vault, workers, busy, orphaned, due, worker_vault, lag, pending,
        protection, *extra,
    ]  # fmt: skip


def drill_families(drill: Event) -> list[Metric]:
    """The last restore drill: when, whether it passed, its RTO per stage and its RPO."""
    data = drill.data or {}
    at = GaugeMetricFamily(DRILL_TIMESTAMP, "when the last restore drill ran (Unix time)")
    at.add_metric([], drill.at.timestamp())
    ok = GaugeMetricFamily(DRILL_OK, "1 when the last restore drill passed")
    ok.add_metric([], 1.0 if data.get("ok") else 0.0)
    out: list[Metric] = [at, ok]
    rto = GaugeMetricFamily(
        DRILL_RTO, "the last drill's recovery time to each stage", labels=["stage"]
    )
    for stage in ("catalog", "first_gallery", "all"):
        value = data.get(f"rto_{stage}_seconds")
        if isinstance(value, int | float):
            rto.add_metric([stage], float(value))
    out.append(rto)
    if isinstance(data.get("rpo_seconds"), int | float):
        rpo = GaugeMetricFamily(DRILL_RPO, "the last drill's recovery point (age of lost data)")
        rpo.add_metric([], float(data["rpo_seconds"]))
        out.append(rpo)
    return out


@dataclass(eq=False)
class _QueueCollector(Collector):
    slas: tuple[str, ...]
    snapshot: QueueSnapshot | None = None

    def collect(self) -> Iterator[Metric]:
        yield from queue_families(self.snapshot, self.slas)


@dataclass
class _Watermark:
    at: datetime
    job_id: int = 0


class Metrics:
    """One app's registry and the instruments the web layer updates."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        clock: Clock,
        slas: Iterable[str],
        *,
        live_within: timedelta,
        policy_path: Path | None = None,
        planned: Callable[[datetime], int | None] | None = None,
        vault_free: Callable[[], int | None] | None = None,
        certificates: Callable[[datetime], dict[str, float]] | None = None,
    ) -> None:
        self.certificates = certificates
        self.planned = planned
        self.vault_free = vault_free
        self.catalog = catalog
        self.clock = clock
        self.live_within = live_within
        self.policy_path = policy_path
        self.registry = CollectorRegistry()
        self.http_duration = Histogram(
            HTTP_DURATION,
            "HTTP request duration by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.upload_bytes = Counter(
            UPLOAD_BYTES, "bytes received by uploads", registry=self.registry
        )
        self.job_duration = Histogram(
            JOB_DURATION,
            "run time of finished jobs (finished_at - started_at)",
            ["kind"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        self.jobs_finished = Counter(
            JOBS_FINISHED,
            "jobs this process saw finish, by SLA class and whether they met their deadline",
            ["sla", "outcome"],
            registry=self.registry,
        )
        slas = tuple(slas)
        for sla in slas:
            for outcome in ("on_time", "late"):
                self.jobs_finished.labels(sla, outcome)
        self.vault_errors = Counter(
            VAULT_ERRORS,
            "vault operations this process saw fail (verify: a blob no longer matches its hash)",
            ["operation"],
            registry=self.registry,
        )
        for operation in VAULT_OPERATIONS:
            self.vault_errors.labels(operation)
        self._queue = _QueueCollector(tuple(slas))
        self.registry.register(self._queue)
        self._watermark = _Watermark(self.clock())
        self._lock = threading.Lock()

    def vault_failed(self, exc: VaultError, attempted: str) -> None:
        """Count a failed vault call under the operation that failed."""
        self.vault_errors.labels(vault_operation(exc, attempted)).inc()

    def scrape(self) -> bytes:
        """Refresh from the catalog and render the exposition text."""
        with self._lock:
            try:
                self._queue.snapshot = self._read()
            except TrousseauError as exc:
                log.warning("metrics: the catalog did not answer: %s", exc)
                self._queue.snapshot = None
            return generate_latest(self.registry)

    def _read(self) -> QueueSnapshot:
        now = self.clock()
        protection = self._protection(now)
        plan_workers = self._safely(lambda: self.planned(now) if self.planned else None)
        vault_free = self._safely(lambda: self.vault_free() if self.vault_free else None)
        certificates = self.certificates(now) if self.certificates else {}
        with self.catalog().begin() as conn:
            report = operations_report(conn, now=now, live_within=self.live_within)
            snapshot = QueueSnapshot(
                now=now,
                by_state_sla=report.queue.by_state_sla,
                deadlines=report.deadlines,
                stored_bytes=stored_bytes(conn),
                workers=report.live,
                busy=report.busy,
                due=report.due,
                orphaned=report.orphaned,
                worker_vault_errors=count_vault_errors(conn),
                backups=tuple(backup_lags(conn, now=now)),
                protection=protection,
                plan_workers=plan_workers,
                vault_free_bytes=vault_free,
                certificates=tuple(sorted(certificates.items())),
                drill=next(iter(recent_events(conn, limit=1, kind=EventKind.DR_DRILL)), None),
            )
            finished = jobs_finished_after(
                conn, at=self._watermark.at, job_id=self._watermark.job_id
            )
        for done in finished:
            if done.started_at is not None:
                seconds = (done.finished_at - done.started_at).total_seconds()
                self.job_duration.labels(done.kind).observe(max(0.0, seconds))
            if done.sla is not None:
                self.jobs_finished.labels(done.sla, "on_time" if done.on_time else "late").inc()
        if finished:
            self._watermark = _Watermark(finished[-1].finished_at, finished[-1].id)
        return snapshot

    def _safely(self, read: Callable[[], int | None]) -> int | None:
        """A figure that may be unavailable: its failure drops the series, never the scrape."""
        try:
            return read()
        except (TrousseauError, OSError) as exc:
            log.warning("metrics: a figure is unavailable: %s", exc)
            return None

    def _protection(self, now: datetime) -> tuple[tuple[str, int], ...]:
        try:
            regions = protection_now(
                self.catalog(), now, policy_path=self.policy_path, horizon=None
            )
        except SettingsError as exc:
            log.warning("metrics: no protection levels, the freeze policy is unusable: %s", exc)
            return ()
        return tuple((r.region, int(r.level)) for r in regions)


def metrics_of(request: Request) -> Metrics:
    """The Metrics of the app serving this request."""
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(metrics_of)]

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics(instruments: MetricsDep) -> Response:
    """Prometheus exposition: requests, uploads, jobs by state and SLA, deadlines, storage."""
    return Response(instruments.scrape(), media_type=CONTENT_TYPE_LATEST)
