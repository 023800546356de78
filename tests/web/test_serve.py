"""`trousseau serve` as an operator runs it: serves, processes, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from trousseau.catalog import create_api_key, ensure_tenant

from ..ingest.conftest import make_jpeg

pytestmark = pytest.mark.slow

# The real entry point, as the `trousseau` script runs it.
RUN_CLI = "from trousseau.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path, catalog_url, *args: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
    env.update(
        TROUSSEAU_DATA_DIR=str(tmp_path / "data"),
        TROUSSEAU_CATALOG_URL=catalog_url,
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited early: {process.communicate()[1]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"serve did not become ready: {process.communicate()[1]}")


def _stop(process: subprocess.Popen) -> tuple[int, list[dict]]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert time.monotonic() - started < 20
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return process.returncode, lines


def _key(catalog, clock) -> dict[str, str]:
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio-a", now=clock())
        token = create_api_key(conn, tenant.id, now=clock()).token
    return {"Authorization": f"Bearer {token}"}


def test_serve_accepts_renders_and_stops_on_sigterm(tmp_path, catalog, catalog_url, clock):
    headers = _key(catalog, clock)
    process, base = _start(tmp_path, catalog_url, "--workers", "1")
    try:
        wedding = {"slug": "w", "date": "2026-06-13", "timezone": "UTC", "sla": "same-day"}
        assert (
            httpx.post(f"{base}/api/v1/weddings", json=wedding, headers=headers).status_code == 201
        )
        data = make_jpeg(tmp_path / "a.jpg", seed=3).read_bytes()
        upload = httpx.post(
            f"{base}/api/v1/weddings/w/photos",
            content=data,
            headers={**headers, "X-Filename": "a.jpg", "Content-Type": "image/jpeg"},
        )
        assert upload.status_code == 201, upload.text
        photo_url = f"{base}/api/v1/photos/{upload.json()['id']}"
        deadline = time.monotonic() + 30
        while httpx.get(photo_url, headers=headers).json()["state"] != "processed":
            assert time.monotonic() < deadline, "the worker never processed the upload"
            time.sleep(0.2)
        cull_url = f"{base}/api/v1/weddings/w/cull"
        while httpx.get(cull_url, headers=headers).json()["counts"]["pending"]:
            assert time.monotonic() < deadline, "the worker never measured the upload"
            time.sleep(0.2)
    finally:
        code, logs = _stop(process)
    assert code == 0
    messages = [entry["message"] for entry in logs]
    assert any(m.startswith("job worker") and "started" in m for m in messages), messages
    assert any(m.startswith("job worker stopped: done 2") for m in messages), messages
    access = [e for e in logs if e["logger"] == "trousseau.web.access"]
    assert any(
        e["route"] == "/api/v1/weddings/{slug}/photos" and e["status"] == 201 for e in access
    )
    assert all(headers["Authorization"].split()[1] not in json.dumps(e) for e in logs)


def test_serve_with_several_http_processes_and_no_worker(tmp_path, catalog_url):
    process, base = _start(tmp_path, catalog_url, "--no-worker", "--http-workers", "2")
    try:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/api/v1/weddings").status_code == 401
    finally:
        code, logs = _stop(process)
    assert code == 0
    assert not any(entry["message"].startswith("job worker") for entry in logs)
