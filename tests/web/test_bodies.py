"""Request bodies: a key is checked before a body is read, and a body has a bounded size.

Before, FastAPI read and parsed a JSON body before any dependency ran: `POST /api/v1/weddings`
with a 150 MB body and no key took the server from 242 MB to 657 MB before its 401.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from trousseau.catalog import create_api_key, ensure_tenant, open_catalog
from trousseau.settings import Settings
from trousseau.web import WebConfig, create_app

from .conftest import UPLOAD_LIMIT, Api, TestClient, bearer

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
DEFAULT_LIMIT = WebConfig().max_body_bytes


def _wedding_body(size: int) -> bytes:
    """A JSON wedding of `size` bytes, its title padding it out."""
    head = b'{"slug": "big", "date": "2026-06-13", "timezone": "UTC", "title": "'
    tail = b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


def test_the_limit_is_a_setting_of_one_mebibyte_by_default() -> None:
    assert DEFAULT_LIMIT == MIB


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_past_the_limit_is_a_413_naming_the_limit_and_its_setting(
    api: Api, declared: bool
) -> None:
    headers = {**api.key("studio-a"), "Content-Type": "application/json"}
    body = _wedding_body(DEFAULT_LIMIT + 1)
    content: Any = body if declared else iter([body[:1000], body[1000:]])
    response = api.client.post("/api/v1/weddings", content=content, headers=headers)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and error["request_id"]
    assert f"{DEFAULT_LIMIT}-byte" in error["message"] and "web.max_body_bytes" in error["message"]
    assert api.client.get("/api/v1/weddings/big", headers=headers).status_code == 404


def test_a_body_at_the_limit_is_read(api: Api) -> None:
    headers = {**api.key("studio-a"), "Content-Type": "application/json"}
    response = api.client.post(
        "/api/v1/weddings", content=_wedding_body(DEFAULT_LIMIT), headers=headers
    )
    assert response.status_code == 422, response.text  # read and validated: the title's length
    assert "body.title" in response.json()["error"]["message"]


@pytest.fixture
def small(api: Api) -> Iterator[TestClient]:
    """An app of `api`'s catalog whose body limit (1,000 bytes) is below a photo's size."""
    config = WebConfig(max_upload_bytes=UPLOAD_LIMIT, max_body_bytes=1000)
    with TestClient(create_app(api.settings, clock=api.clock, config=config)) as client:
        yield client


def test_uploads_keep_their_own_limit(api: Api, studio: dict[str, str], small) -> None:
    photo = api.jpeg(seed=3)
    assert len(photo) > 1000
    single = small.post(
        "/api/v1/weddings/smith-jones/photos",
        content=photo,
        headers={**studio, "Content-Type": "image/jpeg", "X-Filename": "a.jpg"},
    )
    assert single.status_code == 201, single.text
    tus = {**studio, "Tus-Resumable": "1.0.0"}
    other = api.jpeg(seed=4)
    created = small.post(
        "/api/v1/weddings/smith-jones/uploads",
        headers={**tus, "Upload-Length": str(len(other)), "Upload-Metadata": "filename Yi5qcGc="},
    )
    assert created.status_code == 201, created.text
    patched = small.patch(
        created.headers["Location"],
        content=other,
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert patched.status_code == 204, patched.text
    assert patched.headers["X-Photo-Id"]
    too_big = small.post(
        "/api/v1/weddings", content=_wedding_body(1001), headers={**studio, **JSON}
    )
    assert too_big.status_code == 413
    assert "1000-byte" in too_big.json()["error"]["message"]


# ---- a key before a body ------------------------------------------------------------------


def _drive(app: Any, method: str, path: str, headers: dict[str, str], size: int) -> dict:
    """Send `app` a request announcing a `size`-byte body: ASGI directly, counting how often
    the app asks for the body (a few chunks, then the client leaves). Returns the status, the
    JSON body and the count."""
    asked = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal asked
        asked += 1
        if asked > 3:  # a reader that would go on: the client is gone
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b" " * 1000, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*raw, (b"content-length", str(size).encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": start["status"], "json": json.loads(body), "asked": asked}


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"Authorization": "Bearer tr_1_" + "a" * 43},
        {"Authorization": "Bearer nonsense"},
        {"Cookie": "trousseau_key=tr_1_" + "a" * 43},
    ],
    ids=["none", "unknown", "malformed", "cookie-on-an-api-route"],
)
def test_without_a_valid_key_the_body_is_never_read(api: Api, credentials) -> None:
    answer = _drive(
        api.client.app, "POST", "/api/v1/weddings", {**credentials, **JSON}, 150_000_000
    )
    assert answer["status"] == 401
    assert answer["json"]["error"]["code"] == "unauthorized"
    assert answer["asked"] == 0


def test_a_revoked_key_does_not_get_its_body_read(api: Api) -> None:
    headers = api.key("studio-a")
    api.revoke(headers)
    answer = _drive(api.client.app, "POST", "/api/v1/weddings", {**headers, **JSON}, 10)
    assert (answer["status"], answer["asked"]) == (401, 0)


def test_a_valid_key_with_a_body_announced_too_large_is_refused_unread(api: Api) -> None:
    headers = {**api.key("studio-a"), **JSON}
    answer = _drive(api.client.app, "POST", "/api/v1/weddings", headers, 150_000_000)
    assert answer["status"] == 413
    assert "web.max_body_bytes" in answer["json"]["error"]["message"]
    assert answer["asked"] == 0


def test_the_key_is_checked_once_per_request(api: Api, monkeypatch) -> None:
    from trousseau.web import auth

    calls: list[str] = []
    verify = auth.verify_api_key

    def counted(conn, token):
        calls.append(token)
        return verify(conn, token)

    monkeypatch.setattr(auth, "verify_api_key", counted)
    headers = {**api.key("studio-a"), **JSON}
    body = {"slug": "once", "date": "2026-06-13", "timezone": "UTC"}
    response = api.client.post("/api/v1/weddings", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert len(calls) == 1


def test_a_form_that_needs_no_key_is_still_read(api: Api) -> None:
    headers = api.key("studio-a")
    token = headers["Authorization"].split()[1]
    response = api.client.post(
        "/dashboard/sign-in",
        content=f"key={token}",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://testserver",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


# ---- a real server's memory ---------------------------------------------------------------

HOSTILE_BYTES = 150_000_000
HOSTILE_REQUESTS = 10
ALLOWED_GROWTH = 50 * MIB


def _rss(pid: int, field: str = "VmRSS") -> int:
    """Bytes of `field` (VmRSS, VmHWM) in /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _chunks(size: int, chunk: int = MIB) -> Iterator[bytes]:
    """A JSON body of `size` bytes, streamed from one reused chunk (the client stays small)."""
    head = b'{"slug": "hostile", "date": "2026-06-13", "timezone": "UTC", "title": "'
    filler = b"a" * chunk
    yield head
    left = size - len(head) - 2
    while left > 0:
        yield filler[: min(chunk, left)]
        left -= chunk
    yield b'"}'


@pytest.fixture
def server_process(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, int, str]]:
    """`trousseau` served by uvicorn in its own process: (url, pid, a valid key's token)."""
    catalog = open_catalog(settings.catalog_url)
    with catalog.begin() as conn:
        owner = ensure_tenant(conn, "studio-a", now=_now())
        token = create_api_key(conn, owner.id, now=_now()).token
    catalog.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "TROUSSEAU_DATA_DIR": str(settings.data_dir),
        "TROUSSEAU_CATALOG_URL": settings.catalog_url,
        "TROUSSEAU_VAULT_URL": settings.vault_url,
        "TROUSSEAU_WORKERS": "0",
    }
    command = [
        *(sys.executable, "-m", "uvicorn", "trousseau.web.app:app_from_environment"),
        *("--factory", "--port", str(port), "--log-level", "warning"),
    ]
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (tmp_path / "server.log").read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield url, process.pid, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _now() -> datetime:
    return datetime.now(UTC)


class _Peak:
    """The highest VmRSS of a process, sampled every few milliseconds in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> _Peak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_ten_unauthenticated_150_mb_bodies_leave_the_servers_memory_alone(
    server_process, capsys
) -> None:
    url, pid, token = server_process
    weddings = f"{url}/api/v1/weddings"
    with httpx.Client(timeout=120) as client:
        # Warm up every road the hostile requests take (a refusal, a small body, a success).
        small = {"slug": "warm", "date": "2026-06-13", "timezone": "UTC"}
        assert client.post(weddings, json=small).status_code == 401
        assert client.post(weddings, json=small, headers=bearer(token)).status_code == 201
        too_big = client.post(weddings, content=_chunks(2 * MIB), headers={**bearer(token), **JSON})
        time.sleep(0.5)
        idle = _rss(pid)
        reset = _reset_peak(pid)
        statuses = []
        with _Peak(pid) as sampled:
            for i in range(HOSTILE_REQUESTS):
                headers = dict(JSON)
                if i % 2 == 0:  # half announce their size, half are chunked
                    headers["Content-Length"] = str(HOSTILE_BYTES)
                response = client.post(weddings, content=_chunks(HOSTILE_BYTES), headers=headers)
                statuses.append(response.status_code)
        peak = max(sampled.peak, _rss(pid, "VmHWM") if reset else 0)
    with capsys.disabled():
        print(
            f"\nserver RSS: idle {idle / MIB:.1f} MiB, peak during {HOSTILE_REQUESTS} x "
            f"{HOSTILE_BYTES / 1e6:.0f} MB unauthenticated bodies {peak / MIB:.1f} MiB "
            f"(+{(peak - idle) / MIB:.1f} MiB; VmHWM reset: {reset})"
        )
    assert statuses == [401] * HOSTILE_REQUESTS
    assert peak - idle < ALLOWED_GROWTH
    assert too_big.status_code == 413


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM (peak RSS) to its current RSS, where the kernel allows it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True
