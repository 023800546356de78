"""A checksummed tus chunk is kept whole and verified, or not at all, even if the server dies.

The docs promise that a chunk sent with Upload-Checksum is discarded unless it verifies.
Before, its bytes were appended to the upload's spool file as they arrived and cut back only
when the check failed: a server killed mid-chunk (SIGKILL, the OOM killer, a power cut)
restarted with those unverified bytes counted in the upload's offset. Here a real server is
killed in the middle of such a chunk, and a fresh one must answer the last verified offset,
then accept the rest and record the exact file.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from trousseau.catalog import Catalog, create_api_key, ensure_tenant

from ..conftest import FakeClock
from ..ingest.conftest import make_jpeg

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL")]

RUN_CLI = "from trousseau.cli import main; main()"
MB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, catalog_url: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
    env.update(
        TROUSSEAU_DATA_DIR=str(tmp_path / "data"),
        TROUSSEAU_CATALOG_URL=catalog_url,
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited early"
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("serve did not become ready")


def _kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def _spooled_bytes(tmp_path: Path) -> int:
    """Bytes in the spool's resumable entries: main files and anything beside them."""
    root = tmp_path / "data" / "uploads" / "tus"
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def _send_partial_patch(
    base: str, path: str, headers: dict[str, str], offset: int, chunk: bytes, sent: int
) -> socket.socket:
    """Start a PATCH announcing all of `chunk` and send only its first `sent` bytes."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    fields = {
        **headers,
        **TUS,
        "Host": f"{host}:{port}",
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(chunk)),
        "Upload-Offset": str(offset),
        "Upload-Checksum": _checksum(chunk),
    }
    head = f"PATCH {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    sock.sendall(head.encode() + b"\r\n" + chunk[:sent])
    return sock


def test_a_checksummed_chunk_cut_by_a_crash_leaves_the_last_verified_offset(
    tmp_path: Path, catalog: Catalog, catalog_url: str, clock: FakeClock
) -> None:
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio-a", now=clock())
        headers = {"Authorization": f"Bearer {create_api_key(conn, tenant.id, now=clock()).token}"}
    photo = make_jpeg(tmp_path / "a.jpg", seed=11).read_bytes()
    data = photo + os.urandom(3 * MB - len(photo))  # a JPEG, then bytes a reader ignores
    first, second = data[:MB], data[MB:]

    server, base = _serve(tmp_path, catalog_url)
    try:
        wedding = {"slug": "w", "date": "2026-06-13", "timezone": "UTC"}
        assert httpx.post(f"{base}/api/v1/weddings", json=wedding, headers=headers).is_success
        created = httpx.post(
            f"{base}/api/v1/weddings/w/uploads",
            headers={
                **headers,
                **TUS,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": "filename " + base64.b64encode(b"DSC_0001.JPG").decode(),
            },
        )
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        verified = httpx.patch(
            f"{base}{location}",
            content=first,
            headers={
                **headers,
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": "0",
                "Upload-Checksum": _checksum(first),
            },
        )
        assert verified.status_code == 204, verified.text

        sock = _send_partial_patch(base, location, headers, MB, second, sent=MB + MB // 2)
        deadline = time.monotonic() + 30
        while _spooled_bytes(tmp_path) < 2 * MB:  # the server wrote a megabyte of the chunk
            assert time.monotonic() < deadline, "the server never wrote the chunk's bytes"
            time.sleep(0.01)
        _kill(server)
        sock.close()
    finally:
        if server.poll() is None:
            _kill(server)

    server, base = _serve(tmp_path, catalog_url)
    try:
        url = f"{base}{location}"
        offset = httpx.head(url, headers={**headers, **TUS})
        assert offset.status_code == 200
        assert offset.headers["Upload-Offset"] == str(MB)  # the verified chunk, no more

        rest = httpx.patch(
            url,
            content=second,
            headers={
                **headers,
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(MB),
                "Upload-Checksum": _checksum(second),
            },
            timeout=60,
        )
        assert rest.status_code == 204, rest.text
        stored = httpx.get(f"{base}{rest.headers['X-Photo-Location']}", headers=headers).json()
        assert stored["sha256"] == hashlib.sha256(data).hexdigest()
        assert _spooled_bytes(tmp_path) == 0
    finally:
        _kill(server)
