"""PostgreSQL LISTEN/NOTIFY wakes an idle worker long before its poll interval."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from trousseau.catalog import open_catalog
from trousseau.clock import utc_now
from trousseau.jobs import DONE, InlinePool, NewJob, Worker, enqueue, get_job, listener_for
from trousseau.settings import JobSettings, load_settings


def test_enqueue_wakes_an_idle_worker(postgres_url, tmp_path):
    catalog = open_catalog(postgres_url)
    settings = load_settings(data_dir=tmp_path, catalog_url=postgres_url)
    slow_poll = JobSettings(poll_interval_seconds=30, lease_seconds=60)
    worker = Worker(catalog, InlinePool(settings), slow_poll, listener=listener_for(catalog))
    thread = threading.Thread(target=worker.run)
    thread.start()
    time.sleep(0.5)
    enqueued = time.monotonic()
    with catalog.begin() as conn:
        job_id = enqueue(
            conn,
            NewJob("noop", {}, "same-day", utc_now() + timedelta(minutes=30), 3),
            now=utc_now(),
        )
    while time.monotonic() - enqueued < 10:
        with catalog.begin() as conn:
            if get_job(conn, job_id).state == DONE:
                break
        time.sleep(0.01)
    latency = time.monotonic() - enqueued
    worker.stop()
    thread.join(timeout=40)
    catalog.dispose()
    assert latency < 2, f"took {latency:.2f} s: the worker waited for its 30 s poll"
