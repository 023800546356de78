"""An app per test on each catalog backend, keys for two tenants, and real JPEG uploads."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select

from trousseau.catalog import Catalog, create_api_key, ensure_tenant, revoke_api_key
from trousseau.catalog.schema import photo
from trousseau.jobs import PoolMode, build_worker
from trousseau.settings import Settings
from trousseau.vault import Vault, open_vault
from trousseau.web import WebConfig, create_app

from ..conftest import FakeClock
from ..ingest.conftest import make_jpeg

with warnings.catch_warnings():
    # Starlette 1.x nudges TestClient users from httpx towards its fork httpx2; httpx it is.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

UPLOAD_LIMIT = 1_000_000


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """The app under test, and what a test needs around it."""

    client: TestClient
    catalog: Catalog
    vault: Vault
    settings: Settings
    clock: FakeClock
    tmp: Path

    def key(self, tenant: str, *, admin: bool = False) -> dict[str, str]:
        """Authorization headers of a fresh key for `tenant` (created if new)."""
        with self.catalog.begin() as conn:
            owner = ensure_tenant(conn, tenant, now=self.clock())
            scopes = ("tenant", "admin") if admin else ("tenant",)
            issued = create_api_key(conn, owner.id, now=self.clock(), scopes=scopes)
        return bearer(issued.token)

    def revoke(self, headers: dict[str, str]) -> None:
        key_id = int(headers["Authorization"].split("_")[1])
        with self.catalog.begin() as conn:
            revoke_api_key(conn, key_id, now=self.clock())

    def wedding(self, headers: dict[str, str], slug: str = "smith-jones", **fields) -> dict:
        body = {"slug": slug, "date": "2026-06-13", "timezone": "Europe/Paris", **fields}
        response = self.client.post("/api/v1/weddings", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    def jpeg(self, seed: int = 1, size: tuple[int, int] = (320, 240)) -> bytes:
        return make_jpeg(self.tmp / f"src-{seed}-{size[0]}.jpg", seed=seed, size=size).read_bytes()

    def upload(
        self,
        headers: dict[str, str],
        data: bytes,
        *,
        wedding: str = "smith-jones",
        name: str = "IMG_0001.JPG",
        **extra: str,
    ):
        return self.client.post(
            f"/api/v1/weddings/{wedding}/photos",
            content=data,
            headers={
                **headers,
                "Content-Type": "image/jpeg",
                "X-Filename": name,
                **extra,
            },
        )

    def work(self) -> None:
        """Run every queued job (the real `variants` kind) in this process."""
        worker = build_worker(self.settings, self.catalog, mode=PoolMode.INLINE, clock=self.clock)
        worker.run(until_idle=True)

    def photo_count(self) -> int:
        with self.catalog.begin() as conn:
            return conn.execute(select(func.count()).select_from(photo)).scalar_one()

    def blobs(self) -> set[str]:
        return set(self.vault.iter_blobs())

    def spooled(self) -> list[Path]:
        spool = self.settings.data_dir / "uploads"
        return list(spool.iterdir()) if spool.exists() else []


@pytest.fixture
def api(settings: Settings, catalog: Catalog, clock: FakeClock, tmp_path: Path) -> Iterator[Api]:
    app = create_app(settings, clock=clock, config=WebConfig(max_upload_bytes=UPLOAD_LIMIT))
    vault = open_vault(settings.vault_url)
    with TestClient(app) as client:
        yield Api(client, catalog, vault, settings, clock, tmp_path)
    vault.close()


@pytest.fixture
def studio(api: Api) -> dict[str, str]:
    """A key of tenant studio-a, which has the wedding smith-jones."""
    headers = api.key("studio-a")
    api.wedding(headers)
    return headers


@pytest.fixture
def rival(api: Api) -> dict[str, str]:
    """A key of tenant studio-b, which has its own wedding rival-wedding."""
    headers = api.key("studio-b")
    api.wedding(headers, slug="rival-wedding")
    return headers


@dataclass(frozen=True)
class Processed:
    """A photo of studio-a with its variants rendered."""

    photo_id: int
    original: bytes


@pytest.fixture
def processed(api: Api, studio: dict[str, str]) -> Processed:
    original = api.jpeg(seed=7)
    response = api.upload(studio, original)
    assert response.status_code == 201, response.text
    api.work()
    return Processed(response.json()["id"], original)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def disconnecting(app: Any, method: str, path: str, headers: dict[str, str], part: bytes) -> list:
    """Drive `app` with a request whose client vanishes after sending `part` of its body.

    Speaks ASGI directly: no HTTP client can be made to drop a connection at a set byte.
    Returns the messages the app sent back.
    """
    import anyio

    messages = iter(
        [{"type": "http.request", "body": part, "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

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
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    return sent


@dataclass
class Live:
    """The app served by a real uvicorn on a loopback port (streams, browsers)."""

    url: str
    server: uvicorn.Server

    def connections(self) -> int:
        return len(self.server.server_state.connections)


@pytest.fixture
def serve(api: Api) -> Iterator[Callable[..., Live]]:
    """Start servers of `api`'s catalog, vault and clock; `serve(**web_settings)` -> Live.

    Streams poll every 0.1 s unless told otherwise. Each server runs in a thread and is
    stopped at teardown (open streams are cut after a second).
    """
    started: list[tuple[uvicorn.Server, threading.Thread, socket.socket]] = []

    def start(**web: Any) -> Live:
        defaults = {"progress_interval_seconds": 0.1, "progress_keepalive_seconds": 1.0}
        config = WebConfig(max_upload_bytes=UPLOAD_LIMIT, **{**defaults, **web})
        app = create_app(api.settings, clock=api.clock, config=config)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(
            uvicorn.Config(app, log_config=None, log_level="warning", timeout_graceful_shutdown=1)
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        started.append((server, thread, sock))
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        host, port = sock.getsockname()
        return Live(f"http://{host}:{port}", server)

    yield start
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def live(serve: Callable[..., Live]) -> Live:
    """One server of `api`'s catalog with the default stream lifetime."""
    return serve()
