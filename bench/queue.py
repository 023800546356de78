"""Queue benchmark: trousseau's job queue against procrastinate, pgqueuer and a plain loop.

Run `.venv/bin/python -m bench.queue [--jobs 5000] [--quick]` (or `make bench`). It measures,
in one run and on this machine:

1. enqueue throughput of no-op jobs, one transaction per job and in bulk (`enqueue_many`,
   500 jobs per statement and transaction), on SQLite (a file in a temporary directory) and on
   PostgreSQL (a fresh database `trousseau_bench_<pid>`);
2. drain throughput of `--jobs` no-op jobs with trousseau's real `Worker` driving a
   `ProcessPool(N)` (N = workers), on both backends, plus the `InlinePool` on SQLite to isolate
   the queue's own cost. The pool is started and every child has run one job before the jobs
   are enqueued; the clock runs from `Worker.run(until_idle=True)` until the transaction that
   completes the last job commits. Pool start-up and the moment `run()` returns are reported
   beside it. Every job must end `done` after exactly one attempt, and the claim order must
   follow the (shuffled) deadlines: see `edf_order`;
3. on the same PostgreSQL: procrastinate, pgqueuer and a plain one-row
   `FOR UPDATE SKIP LOCKED` claim + complete loop, each in its own database, draining the
   same number of no-op jobs, with the clock stopping when the last completion is committed.

The results are printed as a table and written between the `bench:queue` markers of
docs/benchmarks.md. Every database this creates is dropped at the end, also on failure.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.queue")

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import DOCS, Released, exit_on_sigterm, recipe, run_released, say, write_section

START_MARK = "<!-- bench:queue:start -->"
END_MARK = "<!-- bench:queue:end -->"
SECTION_HEADING = "## Queue"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCAL_OPTIONS = ("--postgres-url", "--docs", "--date")
"""Options whose values are this machine's, left out of the recipe written to the docs."""
BULK = 500
"""Jobs per statement (and per transaction) for every bulk enqueue, whatever the system."""
ENQUEUE_ONE = "enqueue, 1/txn"
ENQUEUE_BULK = f"enqueue, {BULK}/stmt"

PG = "PostgreSQL"
SQLITE = "SQLite"
TROUSSEAU = "trousseau"
PROCRASTINATE = "procrastinate"
PGQUEUER = "pgqueuer"
PLAIN = "SKIP LOCKED loop"

# Heavy imports (trousseau, SQLAlchemy, psycopg, the competitors) happen inside functions, so
# that the spawned job processes, which re-import this file as `__mp_main__`, stay light.


# ---------------------------------------------------------------------------------------------
# Results and checks


@dataclass
class Result:
    """One line of the table: a measurement repeated `len(seconds)` times."""

    backend: str
    system: str
    workers: str
    operation: str
    jobs: int
    seconds: list[float] = field(default_factory=list)
    edf: str = "-"
    notes: list[str] = field(default_factory=list)
    ratio: float | None = None
    startup: list[float] = field(default_factory=list)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        return self.jobs / self.median_seconds

    @property
    def ms_per_job(self) -> float:
        return 1000 * self.median_seconds / self.jobs

    @property
    def spread(self) -> str:
        if len(self.seconds) < 2:
            return "-"
        rates = sorted(self.jobs / s for s in self.seconds)
        return f"{rates[0]:,.0f}-{rates[-1]:,.0f}"


@dataclass
class Bench:
    """Everything one run measured, and the correctness problems it met."""

    jobs: int
    workers: list[int]
    repeats: int
    results: list[Result] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    def result(self, backend: str, system: str, workers: str, operation: str, jobs: int) -> Result:
        for r in self.results:
            if (r.backend, r.system, r.workers, r.operation) == (
                backend,
                system,
                workers,
                operation,
            ):
                return r
        r = Result(backend, system, workers, operation, jobs)
        self.results.append(r)
        return r

    def find(self, backend: str, system: str, workers: str, operation: str) -> Result | None:
        for r in self.results:
            if (r.backend, r.system, r.workers, r.operation) == (
                backend,
                system,
                workers,
                operation,
            ):
                return r
        return None


@dataclass(frozen=True)
class OrderCheck:
    """How far the start order strayed from the deadline order."""

    rho: float
    max_overtaken: int
    allowed: int

    @property
    def ok(self) -> bool:
        return self.rho > 0.99 and self.max_overtaken <= self.allowed

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAIL"
        return f"{verdict} rho={self.rho:.4f} lag={self.max_overtaken}"


def _average_ranks(values: Sequence[Any]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / (sxx * syy) ** 0.5 if sxx and syy else 1.0


def edf_order(deadlines: Sequence[Any], started: Sequence[Any], allowed: int) -> OrderCheck:
    """Compare the order jobs started in with the order of their deadlines.

    `rho` is Spearman's correlation between deadline rank and start rank, at claim-batch
    granularity: jobs of one claim share a `started_at`, and within it they are ranked by
    deadline (the order the claim returns them and the pool starts them). `max_overtaken` is,
    over all jobs, the most jobs with a *later* deadline that started strictly *before* it;
    earliest-deadline-first claiming keeps it at 0 with one claimer, and within one claim
    batch (`allowed`) with several.
    """
    n = len(deadlines)
    deadline_rank = [0] * n
    for rank, k in enumerate(sorted(range(n), key=deadlines.__getitem__)):
        deadline_rank[k] = rank
    start_rank = _average_ranks([(started[k], deadline_rank[k]) for k in range(n)])
    rho = _pearson([float(r) for r in deadline_rank], start_rank)
    tree = [0] * (n + 1)  # Fenwick tree over deadline ranks of the jobs started so far

    def add(i: int) -> None:
        i += 1
        while i <= n:
            tree[i] += 1
            i += i & -i

    def count_upto(i: int) -> int:
        i += 1
        total = 0
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total

    by_start = sorted(range(n), key=started.__getitem__)
    seen = worst = 0
    i = 0
    while i < n:
        j = i
        while j < n and started[by_start[j]] == started[by_start[i]]:
            j += 1
        group = by_start[i:j]
        for k in group:
            worst = max(worst, seen - count_upto(deadline_rank[k]))
        for k in group:
            add(deadline_rank[k])
        seen += len(group)
        i = j
    return OrderCheck(rho=rho, max_overtaken=worst, allowed=allowed)


# ---------------------------------------------------------------------------------------------
# Databases


def _psycopg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _database_url(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


class Databases:
    """Creates `trousseau_bench_*` databases on the server and drops every one at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(_psycopg_dsn(self.admin_url), autocommit=True) as conn:
            conn.execute(sql)

    def create(self, name: str) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        assert name.startswith("trousseau_bench_")
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _database_url(self.admin_url, name)

    def drop_all(self) -> None:
        for name in reversed(self.created):
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:
                print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)
        self.created.clear()


def server_version(admin_url: str) -> str:
    """The server's version and the settings that decide what a commit costs."""
    import psycopg

    with psycopg.connect(_psycopg_dsn(admin_url), autocommit=True, connect_timeout=5) as conn:
        shown = {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])
            for name in ("server_version", "fsync", "synchronous_commit")
        }
    return (
        f"{shown['server_version'].split()[0]} (fsync {shown['fsync']}, "
        f"synchronous_commit {shown['synchronous_commit']})"
    )


# ---------------------------------------------------------------------------------------------
# trousseau


def _settings(catalog_url: str, workdir: Path, workers: int) -> Any:
    from trousseau.settings import JobSettings, load_settings

    return load_settings(
        data_dir=workdir / "data",
        catalog_url=catalog_url,
        vault_url=(workdir / "vault").as_uri(),
        workers=workers,
        jobs=JobSettings(),  # the defaults, whatever TROUSSEAU_JOBS__* says
    )


def _shuffled_jobs(n: int, max_attempts: int) -> list[Any]:
    """`n` no-op jobs whose deadlines are a random permutation of their enqueue order."""
    from trousseau.clock import utc_now
    from trousseau.jobs import NewJob

    base = utc_now() + dt.timedelta(hours=1)
    offsets = list(range(n))
    random.shuffle(offsets)
    return [
        NewJob(
            kind="noop",
            payload={"i": i},
            sla="standard",
            deadline=base + dt.timedelta(seconds=offsets[i]),
            max_attempts=max_attempts,
        )
        for i in range(n)
    ]


def _reset_catalog(catalog: Any) -> None:
    from sqlalchemy import text

    with catalog.begin() as conn:
        if catalog.dialect == "postgresql":
            conn.execute(text("TRUNCATE job, event RESTART IDENTITY"))
        else:
            conn.execute(text("DELETE FROM job"))
            conn.execute(text("DELETE FROM event"))


def _analyze(catalog: Any) -> None:
    """Planner statistics for the fresh queue, as autovacuum keeps them in steady state."""
    from sqlalchemy import text

    if catalog.dialect == "postgresql":
        with catalog.begin() as conn:
            conn.execute(text("ANALYZE job"))


def _enqueue_bulk(catalog: Any, jobs: Sequence[Any]) -> float:
    from trousseau.clock import utc_now
    from trousseau.jobs import enqueue_many

    started = time.perf_counter()
    for k in range(0, len(jobs), BULK):
        with catalog.begin() as conn:
            enqueue_many(conn, jobs[k : k + BULK], now=utc_now())
    return time.perf_counter() - started


def _enqueue_one_by_one(catalog: Any, jobs: Sequence[Any]) -> float:
    from trousseau.clock import utc_now
    from trousseau.jobs import enqueue

    started = time.perf_counter()
    for job in jobs:
        with catalog.begin() as conn:
            enqueue(conn, job, now=utc_now())
    return time.perf_counter() - started


def trousseau_enqueue(bench: Bench, backend: str, catalog: Any, settings: Any) -> None:
    """One job per transaction, then `enqueue_many` with BULK jobs per statement."""
    for _ in range(bench.repeats):
        _reset_catalog(catalog)
        jobs = _shuffled_jobs(bench.jobs, settings.jobs.max_attempts)
        seconds = _enqueue_one_by_one(catalog, jobs)
        bench.result(backend, TROUSSEAU, "-", ENQUEUE_ONE, bench.jobs).seconds.append(seconds)
        _reset_catalog(catalog)
        seconds = _enqueue_bulk(catalog, jobs)
        r = bench.result(backend, TROUSSEAU, "-", ENQUEUE_BULK, bench.jobs)
        r.seconds.append(seconds)
    _reset_catalog(catalog)


def _warm(pool: Any, size: int) -> None:
    """Run one no-op job in every child, so that start-up and imports are behind us."""
    from trousseau.clock import utc_now
    from trousseau.jobs import ClaimedJob

    now = utc_now()
    pool.submit(
        [
            ClaimedJob(
                id=-1 - k,
                kind="noop",
                payload={},
                sla="standard",
                deadline=now,
                attempts=1,
                max_attempts=1,
                tenant_id=None,
            )
            for k in range(size)
        ]
    )
    outcomes: list[Any] = []
    deadline = time.monotonic() + 120
    while len(outcomes) < size:
        if time.monotonic() > deadline:
            raise RuntimeError("the job processes did not start within 120 s")
        outcomes.extend(pool.wait(1.0))
    bad = [o for o in outcomes if not o.ok]
    if bad:
        raise RuntimeError(f"warm-up job failed: {bad[0].error}")


@dataclass
class DrainRun:
    seconds: float  # run() start -> commit of the last completion
    run_seconds: float  # run() start -> run() returned
    pool_start: float  # pool created -> every child ran its warm-up job
    enqueue_seconds: float
    order: OrderCheck


def trousseau_drain(
    bench: Bench, catalog: Any, settings: Any, workers: int, *, inline: bool = False
) -> DrainRun:
    from sqlalchemy import text

    from trousseau.jobs import PoolMode, build_pool, build_worker

    _reset_catalog(catalog)
    started = time.perf_counter()
    mode = PoolMode.INLINE if inline else PoolMode.PROCESS
    pool: Any = build_pool(settings, mode=mode, processes=workers)
    try:
        if not inline:
            _warm(pool, workers)
        pool_start = time.perf_counter() - started
        jobs = _shuffled_jobs(bench.jobs, settings.jobs.max_attempts)
        enqueue_seconds = _enqueue_bulk(catalog, jobs)
        _analyze(catalog)
        last_commit: list[float] = []

        def on_progress(stats: Any) -> None:
            if stats.done >= bench.jobs and not last_commit:
                last_commit.append(time.perf_counter())

        worker = build_worker(settings, catalog, pool=pool, on_progress=on_progress)
    except BaseException:
        pool.stop()
        raise
    t0 = time.perf_counter()
    stats = worker.run(until_idle=True)  # stops the pool on the way out
    returned = time.perf_counter()

    with catalog.begin() as conn:
        states = {
            state: (n, lo, hi)
            for state, n, lo, hi in conn.execute(
                text("SELECT state, count(*), min(attempts), max(attempts) FROM job GROUP BY state")
            )
        }
        rows = conn.execute(text("SELECT deadline, started_at FROM job")).all()
    label = f"{catalog.dialect} drain, {'inline' if inline else workers} worker(s)"
    if states != {"done": (bench.jobs, 1, 1)} or stats.done != bench.jobs or not last_commit:
        bench.problems.append(
            f"{label}: expected {bench.jobs} jobs done once each, got states {states} "
            f"and worker stats {stats}"
        )
    order = edf_order(
        [r[0] for r in rows], [r[1] for r in rows], allowed=settings.jobs.claim_batch_max
    )
    if not order.ok:
        bench.problems.append(f"{label}: claims did not follow the deadlines: {order}")
    end = last_commit[0] if last_commit else returned
    return DrainRun(end - t0, returned - t0, pool_start, enqueue_seconds, order)


def _record_drain(bench: Bench, backend: str, workers: str, runs: list[DrainRun]) -> None:
    r = bench.result(backend, TROUSSEAU, workers, "drain", bench.jobs)
    r.seconds = [run.seconds for run in runs]
    r.edf = str(max(runs, key=lambda run: (not run.order.ok, run.order.max_overtaken)).order)
    returns = statistics.median(run.run_seconds - run.seconds for run in runs)
    r.notes = [f"run() returns {returns:.2f} s later"]
    if workers != "inline":
        pool_start = statistics.median(run.pool_start for run in runs)
        cold = bench.jobs / (statistics.median(run.seconds for run in runs) + pool_start)
        r.notes.append(f"pool start {pool_start:.2f} s ({cold:,.0f} jobs/s with it)")


# ---------------------------------------------------------------------------------------------
# Processes that start together: pgqueuer managers and the plain SKIP LOCKED loop


@dataclass(frozen=True)
class Timed:
    """One timed drain of another system."""

    seconds: float  # release -> the last completion committed
    done: int  # jobs run
    startup: float  # release -> the first job started


def _add(result: Result, timed: Timed) -> None:
    result.seconds.append(timed.seconds)
    result.startup.append(timed.startup)


def run_processes(
    target: Callable[..., Any], args: tuple[Any, ...], n: int, *, limit: float = 600
) -> Timed:
    """Release `n` processes of another system at once; each target returns (jobs it ran,
    `time.monotonic()` when its first job started or None)."""
    released: Released = run_released(target, args, n, ready_within=120, limit=limit)
    firsts = [first for (_, first), _ in released.done if first is not None]
    return Timed(
        seconds=released.seconds,
        done=sum(ran for (ran, _), _ in released.done),
        startup=(min(firsts) - released.t0) if firsts else 0.0,
    )


# pgqueuer ----------------------------------------------------------------------------------


def _pgqueuer_manager(
    dsn: str, total: int, counter: Any, ready: Callable[[], None]
) -> tuple[int, float | None]:
    return asyncio.run(_pgqueuer_manager_async(dsn, total, counter, ready))


async def _pgqueuer_manager_async(
    dsn: str, total: int, counter: Any, ready: Callable[[], None]
) -> tuple[int, float | None]:
    from pgqueuer import Queries, QueueManager
    from pgqueuer.models import Job

    conn, driver = await _pgqueuer_connect(dsn)
    qm = QueueManager(Queries(driver))
    ran = 0
    first: float | None = None

    @qm.entrypoint("noop")
    async def noop(job: Job) -> None:
        nonlocal ran, first
        if first is None:
            first = time.monotonic()
        ran += 1
        with counter.get_lock():
            counter.value += 1
            if counter.value >= total:
                qm.shutdown.set()

    async def stop_when_drained() -> None:  # another manager may run the last job
        while not qm.shutdown.is_set():
            if counter.value >= total:
                qm.shutdown.set()
                return
            await asyncio.sleep(0.002)

    await asyncio.get_running_loop().run_in_executor(None, ready)
    watcher = asyncio.create_task(stop_when_drained())
    await qm.run()  # default batch size (10); returns after flushing its completion log
    watcher.cancel()
    await conn.close()
    return ran, first


def pgqueuer_driver_name() -> str:
    """asyncpg when installed, as `pgq run` prefers it; else psycopg, its fallback."""
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "psycopg"
    return "asyncpg"


async def _pgqueuer_connect(dsn: str) -> tuple[Any, Any]:
    """One connection and the pgqueuer driver over it, the way `pgq run` builds them."""
    if pgqueuer_driver_name() == "asyncpg":
        import asyncpg
        from pgqueuer import AsyncpgDriver

        conn = await asyncpg.connect(dsn)
        return conn, AsyncpgDriver(conn)
    import psycopg
    from pgqueuer import PsycopgDriver

    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    return conn, PsycopgDriver(conn)


async def _pgqueuer_setup(dsn: str) -> None:
    from pgqueuer import Queries

    conn, driver = await _pgqueuer_connect(dsn)
    try:
        await Queries(driver).install()
    finally:
        await conn.close()


async def _pgqueuer_enqueue(dsn: str, n: int) -> float:
    from pgqueuer import Queries

    conn, driver = await _pgqueuer_connect(dsn)
    try:
        await conn.execute("TRUNCATE pgqueuer, pgqueuer_log, pgqueuer_statistics")
        queries = Queries(driver)
        started = time.perf_counter()
        for k in range(0, n, BULK):
            ids = range(k, min(n, k + BULK))
            await queries.enqueue(
                ["noop"] * len(ids),
                [json.dumps({"i": i}).encode() for i in ids],
                [0] * len(ids),
            )
        seconds = time.perf_counter() - started
        await conn.execute("ANALYZE pgqueuer")
        return seconds
    finally:
        await conn.close()


def pgqueuer_drain(bench: Bench, dsn: str, workers: int) -> tuple[Timed, float]:
    import multiprocessing

    import psycopg

    enqueue_seconds = asyncio.run(_pgqueuer_enqueue(dsn, bench.jobs))
    counter = multiprocessing.get_context("spawn").Value("q", 0)
    timed = run_processes(_pgqueuer_manager, (dsn, bench.jobs, counter), workers)
    ran = timed.done
    with psycopg.connect(dsn) as conn:
        left = conn.execute("SELECT count(*) FROM pgqueuer").fetchone()
        logged = dict(
            conn.execute("SELECT status::text, count(*) FROM pgqueuer_log GROUP BY 1").fetchall()
        )
    if ran != bench.jobs or left != (0,) or logged.get("successful") != bench.jobs:
        bench.problems.append(
            f"pgqueuer, {workers} worker(s): ran {ran} jobs, {left[0] if left else '?'} left "
            f"in the queue, log {logged}"
        )
    return timed, enqueue_seconds


# plain SKIP LOCKED loop ----------------------------------------------------------------------

_PLAIN_SCHEMA = """
CREATE TABLE plain_job (
    id bigserial PRIMARY KEY,
    payload jsonb NOT NULL,
    deadline timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'queued',
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX plain_job_claim ON plain_job (deadline, id) WHERE state = 'queued';
"""

_PLAIN_CLAIM = """
UPDATE plain_job SET state = 'running', started_at = clock_timestamp()
WHERE id = (
    SELECT id FROM plain_job WHERE state = 'queued'
    ORDER BY deadline, id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id, payload
"""

_PLAIN_COMPLETE = (
    "UPDATE plain_job SET state = 'done', finished_at = clock_timestamp() WHERE id = %s"
)


def _noop(payload: Any) -> None:
    """The job: nothing."""


def _plain_loop(dsn: str, ready: Callable[[], None]) -> tuple[int, float | None]:
    """Claim one row (its own transaction), run it, complete it (its own transaction)."""
    import psycopg

    done = 0
    first = None
    with psycopg.connect(dsn, autocommit=True) as conn:
        ready()
        while True:
            row = conn.execute(_PLAIN_CLAIM, prepare=True).fetchone()
            if row is None:
                return done, first
            first = first or time.monotonic()
            _noop(row[1])
            conn.execute(_PLAIN_COMPLETE, (row[0],), prepare=True)
            done += 1


def plain_drain(bench: Bench, dsn: str, workers: int) -> tuple[Timed, OrderCheck]:
    import psycopg
    from psycopg.types.json import Jsonb

    base = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    offsets = list(range(bench.jobs))
    random.shuffle(offsets)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE plain_job RESTART IDENTITY")
        for k in range(0, bench.jobs, BULK):
            ids = range(k, min(bench.jobs, k + BULK))
            conn.execute(
                "INSERT INTO plain_job (payload, deadline)"
                " SELECT * FROM unnest(%s::jsonb[], %s::timestamptz[])",
                (
                    [Jsonb({"i": i}) for i in ids],
                    [base + dt.timedelta(seconds=offsets[i]) for i in ids],
                ),
            )
        conn.execute("ANALYZE plain_job")
    timed = run_processes(_plain_loop, (dsn,), workers)
    done = timed.done
    with psycopg.connect(dsn) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM plain_job GROUP BY 1").fetchall())
        rows = conn.execute("SELECT deadline, started_at FROM plain_job").fetchall()
    if done != bench.jobs or states != {"done": bench.jobs}:
        bench.problems.append(f"SKIP LOCKED loop, {workers} worker(s): did {done}, states {states}")
    order = edf_order([r[0] for r in rows], [r[1] for r in rows], allowed=workers)
    return timed, order


# procrastinate -------------------------------------------------------------------------------


async def _procrastinate(dsn: str, jobs: int, workers: int, *, setup: bool) -> tuple[Timed, float]:
    import procrastinate

    size = max(4, workers + 2)  # the worker's concurrent fetches never wait for a connection
    # It warns when the app lives in `__main__`, for workers that import tasks by path; this
    # worker runs in this very process.
    blueprints = logging.getLogger("procrastinate.blueprints")
    level, blueprints.level = blueprints.level, logging.ERROR
    try:
        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=dsn, min_size=size, max_size=size)
        )
    finally:
        blueprints.setLevel(level)

    first: list[float] = []

    @app.task(name="noop")
    async def noop(i: int) -> None:
        """The job: nothing (but note when the first one starts)."""
        if not first:
            first.append(time.perf_counter())

    async with app.open_async():
        if setup:
            await app.schema_manager.apply_schema_async()
        await app.connector.execute_query_async(
            query="TRUNCATE procrastinate_jobs RESTART IDENTITY CASCADE"
        )
        started = time.perf_counter()
        for k in range(0, jobs, BULK):
            await noop.batch_defer_async(*({"i": i} for i in range(k, min(jobs, k + BULK))))
        enqueue_seconds = time.perf_counter() - started
        await app.connector.execute_query_async(query="ANALYZE procrastinate_jobs")
        t0 = time.perf_counter()
        await app.run_worker_async(concurrency=workers, wait=False, install_signal_handlers=False)
        seconds = time.perf_counter() - t0
    return Timed(seconds, jobs, (first[0] - t0) if first else 0.0), enqueue_seconds


def procrastinate_drain(
    bench: Bench, dsn: str, workers: int, *, setup: bool
) -> tuple[Timed, float]:
    import psycopg

    timed, enqueue_seconds = asyncio.run(_procrastinate(dsn, bench.jobs, workers, setup=setup))
    with psycopg.connect(dsn) as conn:
        states = dict(
            conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")
        )
    if states != {"succeeded": bench.jobs}:
        bench.problems.append(f"procrastinate, {workers} worker(s): states {states}")
    return timed, enqueue_seconds


# ---------------------------------------------------------------------------------------------
# The run


def run_sqlite(bench: Bench, workdir: Path) -> None:
    from trousseau.catalog import open_catalog

    counter = iter(range(1_000_000))

    @contextlib.contextmanager
    def fresh() -> Iterator[tuple[Any, Any]]:
        path = workdir / f"catalog-{next(counter)}.sqlite3"
        url = f"sqlite:///{path}"
        catalog = open_catalog(url)
        try:
            yield catalog, _settings(url, workdir, 1)
        finally:
            catalog.dispose()

    say("SQLite: enqueue")
    with fresh() as (catalog, settings):
        trousseau_enqueue(bench, SQLITE, catalog, settings)
    runs: dict[str, list[DrainRun]] = {}
    for rep in range(bench.repeats):
        for workers in ["inline", *bench.workers]:
            say(f"SQLite: drain, {workers} worker(s), run {rep + 1}/{bench.repeats}")
            with fresh() as (catalog, settings):
                n = 1 if workers == "inline" else int(workers)
                run = trousseau_drain(bench, catalog, settings, n, inline=workers == "inline")
            runs.setdefault(str(workers), []).append(run)
    for workers, got in runs.items():
        _record_drain(bench, SQLITE, workers, got)


def run_postgres(bench: Bench, databases: Databases, workdir: Path) -> None:
    from trousseau.catalog import open_catalog

    pid = os.getpid()
    url = databases.create(f"trousseau_bench_{pid}")
    procrastinate_dsn = _psycopg_dsn(databases.create(f"trousseau_bench_procrastinate_{pid}"))
    pgqueuer_dsn = _psycopg_dsn(databases.create(f"trousseau_bench_pgqueuer_{pid}"))
    plain_dsn = _psycopg_dsn(databases.create(f"trousseau_bench_plain_{pid}"))
    asyncio.run(_pgqueuer_setup(pgqueuer_dsn))
    import psycopg

    with psycopg.connect(plain_dsn, autocommit=True) as conn:
        conn.execute(_PLAIN_SCHEMA)

    catalog = open_catalog(url)
    try:
        settings = _settings(url, workdir, 1)
        say("PostgreSQL: enqueue")
        trousseau_enqueue(bench, PG, catalog, settings)
        trousseau_runs: dict[int, list[DrainRun]] = {}
        plain_orders: dict[int, list[OrderCheck]] = {}
        setup_procrastinate = True
        for rep in range(bench.repeats):
            for workers in bench.workers:
                say(f"PostgreSQL: drains, {workers} worker(s), run {rep + 1}/{bench.repeats}")
                run = trousseau_drain(bench, catalog, _settings(url, workdir, workers), workers)
                trousseau_runs.setdefault(workers, []).append(run)
                timed, enqueue_seconds = pgqueuer_drain(bench, pgqueuer_dsn, workers)
                _add(bench.result(PG, PGQUEUER, str(workers), "drain", bench.jobs), timed)
                bench.result(PG, PGQUEUER, "-", ENQUEUE_BULK, bench.jobs).seconds.append(
                    enqueue_seconds
                )
                timed, enqueue_seconds = procrastinate_drain(
                    bench, procrastinate_dsn, workers, setup=setup_procrastinate
                )
                setup_procrastinate = False
                _add(bench.result(PG, PROCRASTINATE, str(workers), "drain", bench.jobs), timed)
                bench.result(PG, PROCRASTINATE, "-", ENQUEUE_BULK, bench.jobs).seconds.append(
                    enqueue_seconds
                )
                timed, order = plain_drain(bench, plain_dsn, workers)
                _add(bench.result(PG, PLAIN, str(workers), "drain", bench.jobs), timed)
                plain_orders.setdefault(workers, []).append(order)
        for workers, runs in trousseau_runs.items():
            _record_drain(bench, PG, str(workers), runs)
        for workers, orders in plain_orders.items():
            worst = max(orders, key=lambda o: (not o.ok, o.max_overtaken))
            bench.result(PG, PLAIN, str(workers), "drain", bench.jobs).edf = str(worst)
        for r in bench.results:
            if r.backend == PG and r.operation == "drain":
                base = bench.find(PG, PGQUEUER, r.workers, "drain")
                if base is not None:
                    r.ratio = r.rate / base.rate
                if r.startup:
                    r.notes.append(f"first job after {1000 * statistics.median(r.startup):.0f} ms")
        first = bench.find(PG, PGQUEUER, str(bench.workers[0]), "drain")
        if first is not None:
            driver = pgqueuer_driver_name()
            first.notes.append(f"{driver} driver")
            if driver == "psycopg":
                first.notes.append(
                    "its LISTEN watcher holds the only connection, queries wait for it: "
                    "install asyncpg for a fair comparison"
                )
    finally:
        catalog.dispose()


def _describe_machine(bench: Bench) -> str:
    v = bench.versions
    parts = [
        f"{os.cpu_count()} CPU cores (os.cpu_count())",
        f"{platform.system()} {platform.machine()}",
        f"Python {platform.python_version()}",
        f"SQLite {v.get('sqlite', '?')}",
    ]
    if "postgresql" in v:
        parts.append(f"PostgreSQL {v['postgresql']}")
    libs = ", ".join(
        f"{name} {v[name]}"
        for name in ("procrastinate", "pgqueuer", "psycopg", "sqlalchemy")
        if name in v
    )
    return "; ".join(parts) + (f"; {libs}" if libs else "")


def _versions(with_postgres: str | None) -> dict[str, str]:
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    found = {"sqlite": sqlite3.sqlite_version}
    for name in ("procrastinate", "pgqueuer", "psycopg", "sqlalchemy"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    if with_postgres:
        found["postgresql"] = with_postgres
    return found


_ORDER = {ENQUEUE_ONE: 0, ENQUEUE_BULK: 1, "drain": 2}
_SYSTEMS = {TROUSSEAU: 0, PGQUEUER: 1, PROCRASTINATE: 2, PLAIN: 3}


def _sorted(results: list[Result]) -> list[Result]:
    def key(r: Result) -> tuple[Any, ...]:
        workers = -1 if r.workers in ("-", "inline") else int(r.workers)
        return (r.backend != SQLITE, _ORDER[r.operation], workers, _SYSTEMS[r.system])

    return sorted(results, key=key)


COLUMNS = (
    "backend",
    "system",
    "workers",
    "operation",
    "jobs/s",
    "ms/job",
    "range (jobs/s)",
    "vs pgqueuer",
    "EDF order",
    "notes",
)


def _cells(r: Result) -> list[str]:
    return [
        r.backend,
        r.system,
        r.workers,
        r.operation,
        f"{r.rate:,.0f}",
        f"{r.ms_per_job:.3f}",
        r.spread,
        f"{r.ratio:.2f}x" if r.ratio is not None else "-",
        r.edf,
        "; ".join(r.notes),
    ]


def floors(bench: Bench) -> list[tuple[bool, str]]:
    """The issue's floors: PG drain >= pgqueuer's, EDF claims, SQLite overhead < 1 ms/job."""
    out = []
    for workers in bench.workers:
        ours = bench.find(PG, TROUSSEAU, str(workers), "drain")
        theirs = bench.find(PG, PGQUEUER, str(workers), "drain")
        if ours and theirs:
            out.append(
                (
                    ours.rate >= theirs.rate,
                    f"PostgreSQL drain, {workers} worker(s): trousseau {ours.rate:,.0f} jobs/s vs "
                    f"pgqueuer {theirs.rate:,.0f} jobs/s ({ours.rate / theirs.rate:.2f}x, "
                    "floor 1.00x)",
                )
            )
    edf = [r for r in bench.results if r.system == TROUSSEAU and r.operation == "drain"]
    if edf:
        ok = all(r.edf.startswith("ok") for r in edf)
        out.append((ok, f"earliest deadlines claimed first in all {len(edf)} trousseau drains"))
    inline = bench.find(SQLITE, TROUSSEAU, "inline", "drain")
    if inline:
        out.append(
            (
                inline.ms_per_job < 1.0,
                f"SQLite queue overhead (inline pool): {inline.ms_per_job:.3f} ms/job "
                "(floor < 1 ms)",
            )
        )
    for workers in bench.workers:
        pooled = bench.find(SQLITE, TROUSSEAU, str(workers), "drain")
        if pooled:
            out.append(
                (
                    pooled.ms_per_job < 1.0,
                    f"SQLite, process pool of {workers}: {pooled.ms_per_job:.3f} ms/job "
                    "(floor < 1 ms)",
                )
            )
    return out


def print_table(bench: Bench) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Queue benchmark: {bench.jobs:,} no-op jobs, median of {bench.repeats}")
    for name in COLUMNS:
        table.add_column(name, justify="right" if name in ("jobs/s", "ms/job") else "left")
    for r in _sorted(bench.results):
        table.add_row(*_cells(r))
    console = Console(width=max(180, Console().width))
    console.print(table)
    for ok, text in floors(bench):
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'MISS'}[/] {text}")
    for problem in bench.problems:
        console.print(f"[red]PROBLEM[/] {problem}")


HOW = """\
How it is measured. Every system drains the same number of no-op jobs, enqueued {bulk} per
statement before its clock starts; on PostgreSQL each system's queue table is `ANALYZE`d
after the enqueue (autovacuum keeps statistics in steady state; without them procrastinate
drains at about half the speed here, and trousseau's claim sorts the whole backlog). Every clock
stops when the last completion is committed. "workers" is the number of job-running slots.
The systems take turns at each worker count, and each figure is the median of the runs, the
range their extremes.

- **trousseau**: the real `Worker` with default `JobSettings` (claims sized to the
  free slots and observed job duration, at most `claim_batch_max`, earliest deadline first)
  driving a `ProcessPool(N)`, with the LISTEN/NOTIFY listener on PostgreSQL. The pool is
  started and each child has run one no-op job before the jobs are
  enqueued; the pool start-up, and the rate counting it, are in the notes. The clock runs
  from `Worker.run(until_idle=True)` until the transaction that completes the last job
  commits; "run() returns ... later" is how long after that `run()` came back (it checks the
  queue is empty, then stops the pool). The
  inline pool runs the jobs in the worker's own process: the queue's own cost per job.
  Deadlines are a shuffled permutation of the enqueue order. "EDF order": Spearman's rho
  between deadline rank and start rank (jobs of one claim share `started_at` and are ranked
  by deadline within it), and the lag, the most jobs with a later deadline that started
  before any one job; it must stay within one claim batch (`claim_batch_max`).
- **pgqueuer**: N `QueueManager` processes, one connection each through the driver `pgq run`
  picks (asyncpg when installed, else psycopg; named in the notes), default batch size (10
  per dequeue) and settings, an `async` no-op entrypoint. They stop (`qm.shutdown.set()`)
  once the jobs they ran together reach the total; the clock stops when the last `qm.run()`
  returns, after it flushed its completion log. Process start-up and connection are before
  the clock; the schema check and LISTEN at the start of `run()` are inside it ("first job
  after" in the notes).
- **procrastinate**: one worker, `concurrency=N`, `wait=False` (it stops when the queue is
  empty), an `async` no-op task, a connection pool of max(4, N + 2); jobs deferred with
  `batch_defer_async`. The clock covers `run_worker_async`.
- **SKIP LOCKED loop**: N processes, psycopg 3, autocommit: one statement claims one row
  (`UPDATE ... WHERE id = (SELECT ... ORDER BY deadline, id LIMIT 1 FOR UPDATE SKIP LOCKED)`),
  one statement completes it: two commits per job, like trousseau's lease. EDF lag allowed: N.
- Enqueue: trousseau one job per transaction (`enqueue`), and `enqueue_many` with {bulk} jobs
  per statement and transaction; pgqueuer `Queries.enqueue` and procrastinate
  `batch_defer_async` with {bulk} jobs per call (timed in their drain runs).
"""


def markdown(bench: Bench, date: str, command: str) -> str:
    lines = [
        START_MARK,
        f"_Generated by `python -m bench.queue` on {date}; rerun it (or `make bench`) to refresh._",
        "",
        f"- Command: `{command}`",
        f"- Machine: {_describe_machine(bench)}",
        f"- Jobs: {bench.jobs:,} per measurement, median of {bench.repeats} run(s)",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if c in ("jobs/s", "ms/job") else "---" for c in COLUMNS) + "|",
    ]
    lines += [
        "| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |"
        for r in _sorted(bench.results)
    ]
    lines += ["", "Floors from the issue:", ""]
    lines += [f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in floors(bench)]
    if bench.problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in bench.problems]
    lines += ["", HOW.format(bulk=BULK).rstrip(), END_MARK]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help="jobs per measurement (5000; 1000 with --quick)")
    parser.add_argument("--workers", help="comma-separated worker counts (1,2,8; 1,2 with --quick)")
    parser.add_argument("--repeats", type=int, help="runs per measurement (3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TROUSSEAU_BENCH_POSTGRES_URL")
        or os.environ.get("TROUSSEAU_TEST_POSTGRES_URL")
        or DEFAULT_ADMIN_URL,
        help="an existing database on the server, used to create and drop the bench databases",
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--date", help="date written in the docs (default: today)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave the docs alone")
    args = parser.parse_args(argv)
    args.jobs = args.jobs or (1000 if args.quick else 5000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.workers = [
        int(w) for w in (args.workers or ("1,2" if args.quick else "1,2,8")).split(",") if w
    ]
    if args.jobs < 1 or args.repeats < 1 or not args.workers or min(args.workers) < 1:
        parser.error("--jobs, --repeats and every worker count must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    exit_on_sigterm()
    bench = Bench(jobs=args.jobs, workers=args.workers, repeats=args.repeats)
    pg_version = None
    if not args.no_postgres:
        try:
            pg_version = server_version(args.postgres_url)
        except Exception as exc:
            print(
                f"PostgreSQL is unreachable ({exc}); start it, pass --postgres-url, "
                "or run with --no-postgres",
                file=sys.stderr,
            )
            return 2
    bench.versions = _versions(pg_version)
    databases = Databases(args.postgres_url)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="trousseau-bench-") as tmp:
            workdir = Path(tmp)
            run_sqlite(bench, workdir)
            if not args.no_postgres:
                run_postgres(bench, databases, workdir)
    finally:
        databases.drop_all()
    say(f"done in {time.perf_counter() - started:.0f} s")
    print_table(bench)
    if not args.no_docs:
        date = args.date or dt.date.today().isoformat()
        section = markdown(bench, date, recipe("bench.queue", argv, local=LOCAL_OPTIONS))
        write_section(args.docs, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"updated {args.docs}")
    return 1 if bench.problems else 0


if __name__ == "__main__":
    sys.exit(main())
