"""Resumable (tus 1.0.0) uploads: interrupted anywhere, resumed, and stored only when verified."""

from __future__ import annotations

import base64
import hashlib
import itertools
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from trousseau.catalog import find_resumable_upload
from trousseau.catalog.schema import upload
from trousseau.errors import ChecksumMismatch, EmptyInput, IngestError
from trousseau.jobs import list_jobs
from trousseau.web import WebConfig, create_app
from trousseau.web.errors import PayloadTooLarge, UnsupportedProtocolVersion
from trousseau.web.uploads import spool, tus
from trousseau.web.uploads.spool import Spool, hold
from trousseau.web.uploads.tus import renewed_expiry, sweep_uploads
from trousseau.web.uploads.tusheaders import (
    check_tus_resumable,
    http_date,
    metadata_name,
    metadata_sha256,
    parse_length,
    parse_metadata,
    parse_upload_checksum,
)

from .conftest import UPLOAD_LIMIT, TestClient, disconnecting, sha256

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {"Content-Type": "application/offset+octet-stream"}


def b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def metadata(name: str = "IMG_0001.JPG", **more: bytes | str) -> str:
    return ",".join(f"{key} {b64(value)}" for key, value in {"filename": name, **more}.items())


def chunk_checksum(data: bytes) -> str:
    return f"sha256 {b64(hashlib.sha256(data).digest())}"


def create(client, headers, length: int, *, wedding: str = "smith-jones", **extra: str):
    extra.setdefault("Upload-Metadata", metadata())
    return client.post(
        f"/api/v1/weddings/{wedding}/uploads",
        headers={**headers, **TUS, "Upload-Length": str(length), **extra},
    )


def start(client, headers, length: int, **extra: str) -> str:
    response = create(client, headers, length, **extra)
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def patch(client, headers, url: str, offset: int, data: bytes, **extra: str):
    return client.patch(
        url,
        content=data,
        headers={**headers, **TUS, **CHUNK, "Upload-Offset": str(offset), **extra},
    )


def head(client, headers, url: str):
    return client.head(url, headers={**headers, **TUS})


def offset_of(client, headers, url: str) -> int:
    response = head(client, headers, url)
    assert response.status_code == 200, response.status_code
    return int(response.headers["Upload-Offset"])


def upload_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def spool_entries(api) -> list[str]:
    root = api.settings.data_dir / "uploads" / "tus"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def record(api, url: str):
    with api.catalog.begin() as conn:
        return find_resumable_upload(conn, upload_id(url), tenant_id=None)


def stored_photo(api, headers, response) -> dict:
    location = response.headers["X-Photo-Location"]
    assert location == f"/api/v1/photos/{response.headers['X-Photo-Id']}"
    photo = api.client.get(location, headers=headers)
    assert photo.status_code == 200, photo.text
    return photo.json()


def disconnect_mid_patch(api, headers, url: str, offset: int, part: bytes, declared: int, **extra):
    """A PATCH announcing `declared` bytes whose client vanishes after sending `part`."""
    fields = {
        **headers,
        **TUS,
        **CHUNK,
        "Upload-Offset": str(offset),
        "Content-Length": str(declared),
        **extra,
    }
    return disconnecting(api.client.app, "PATCH", url, fields, part)


def test_options_advertise_the_protocol(api, studio):
    for path in ("/api/v1/uploads", "/api/v1/weddings/smith-jones/uploads", "/api/v1/uploads/x"):
        response = api.client.options(path, headers=studio)
        assert response.status_code == 204, path
        assert response.headers["Tus-Version"] == "1.0.0"
        assert set(response.headers["Tus-Extension"].split(",")) == {
            "creation",
            "creation-with-upload",
            "checksum",
            "expiration",
            "termination",
        }
        assert response.headers["Tus-Max-Size"] == str(UPLOAD_LIMIT)
        assert response.headers["Tus-Checksum-Algorithm"] == "sha256"


def test_full_protocol_happy_path(api, studio):
    data = api.jpeg(seed=3)
    created = create(api.client, studio, len(data), **{"Upload-Metadata": metadata("mariée.jpg")})
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    assert url.startswith("/api/v1/uploads/") and len(upload_id(url)) >= 24
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert created.headers["Upload-Offset"] == "0"
    expires = parsedate_to_datetime(created.headers["Upload-Expires"])
    assert expires == api.clock() + timedelta(hours=24)

    first = head(api.client, studio, url)
    assert (first.status_code, first.headers["Upload-Offset"]) == (200, "0")
    assert first.headers["Upload-Length"] == str(len(data))
    assert first.headers["Upload-Metadata"] == metadata("mariée.jpg")
    assert first.headers["Cache-Control"] == "no-store"
    assert "X-Photo-Id" not in first.headers

    cuts = [0, 10_000, 25_000, len(data)]
    for begin, end in itertools.pairwise(cuts):
        piece = data[begin:end]
        api.clock.advance(minutes=5)
        response = patch(
            api.client, studio, url, begin, piece, **{"Upload-Checksum": chunk_checksum(piece)}
        )
        assert response.status_code == 204, response.text
        assert response.headers["Upload-Offset"] == str(end)
        if end < len(data):
            assert api.photo_count() == 0 and api.blobs() == set()
            assert "X-Photo-Id" not in response.headers
    expires = parsedate_to_datetime(response.headers["Upload-Expires"])  # kept alive by chunks
    assert api.clock() + timedelta(hours=23) <= expires <= api.clock() + timedelta(hours=24)
    photo = stored_photo(api, studio, response)
    assert (photo["sha256"], photo["bytes"], photo["original_name"]) == (
        sha256(data),
        len(data),
        "mariée.jpg",
    )
    assert api.vault.get_bytes(sha256(data)) == data
    with api.catalog.begin() as conn:
        (job,) = list_jobs(conn)
    assert job.payload == {"photo_id": photo["id"]}
    assert spool_entries(api) == []

    after = head(api.client, studio, url)
    assert after.status_code == 200
    assert after.headers["Upload-Offset"] == str(len(data))
    assert after.headers["X-Photo-Id"] == str(photo["id"])
    again = patch(api.client, studio, url, len(data), b"")
    assert (again.status_code, again.headers["X-Photo-Id"]) == (204, str(photo["id"]))
    metrics = api.client.get("/metrics").text
    assert f"trousseau_upload_bytes_total {float(len(data))}" in metrics


def test_creation_with_upload(api, studio):
    data = api.jpeg(seed=4)
    whole = api.client.post(
        "/api/v1/weddings/smith-jones/uploads",
        content=data,
        headers={**studio, **TUS, **CHUNK, "Upload-Length": str(len(data)),
                 "Upload-Metadata": metadata()},
    )  # fmt: skip
    assert whole.status_code == 201, whole.text
    assert whole.headers["Upload-Offset"] == str(len(data))
    assert stored_photo(api, studio, whole)["sha256"] == sha256(data)

    other = api.jpeg(seed=5)
    part = api.client.post(
        "/api/v1/weddings/smith-jones/uploads",
        content=other[:5000],
        headers={**studio, **TUS, **CHUNK, "Upload-Length": str(len(other)),
                 "Upload-Metadata": metadata("B.JPG")},
    )  # fmt: skip
    assert (part.status_code, part.headers["Upload-Offset"]) == (201, "5000")
    url = part.headers["Location"]
    done = patch(api.client, studio, url, 5000, other[5000:])
    assert stored_photo(api, studio, done)["sha256"] == sha256(other)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_interrupted_at_random_offsets_and_resumed(api, studio, seed):
    rng = random.Random(seed)
    data = api.jpeg(seed=10 + seed, size=(400, 300))
    url = start(api.client, studio, len(data))
    cuts = sorted(rng.sample(range(1, len(data)), 6))
    interrupted = 0
    for cut in cuts:
        offset = offset_of(api.client, studio, url)
        if rng.random() < 0.5:
            short = patch(api.client, studio, url, offset, data[offset:cut])
            assert short.status_code == 204 and short.headers["Upload-Offset"] == str(cut)
        else:
            sent = disconnect_mid_patch(
                api, studio, url, offset, data[offset:cut], declared=len(data) - offset
            )
            assert sent[0]["status"] == 400
            interrupted += 1
        assert offset_of(api.client, studio, url) == cut
        assert api.photo_count() == 0
    assert interrupted > 0
    offset = offset_of(api.client, studio, url)
    last = patch(api.client, studio, url, offset, data[offset:])
    assert last.status_code == 204, last.text
    assert stored_photo(api, studio, last)["sha256"] == sha256(data)
    assert api.vault.get_bytes(sha256(data)) == data


def test_a_disconnect_during_a_checksummed_chunk_discards_it(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:1000]).status_code == 204
    rest = data[1000:]
    sent = disconnect_mid_patch(
        api,
        studio,
        url,
        1000,
        rest[:2000],
        declared=len(rest),
        **{"Upload-Checksum": chunk_checksum(rest)},
    )
    assert sent[0]["status"] == 400 and b"discarded" in sent[1]["body"]
    assert offset_of(api.client, studio, url) == 1000


@dataclass
class Replica:
    """A second replica of the service: a real uvicorn server on loopback, in a thread."""

    address: tuple[str, int]
    app: FastAPI

    def cut_off_patches(self) -> int:
        """PATCHes this replica finished as client errors (a disconnect is answered 400)."""
        value = self.app.state.metrics.registry.get_sample_value(
            "trousseau_http_request_duration_seconds_count",
            {"method": "PATCH", "route": "/api/v1/uploads/{upload_id}", "status": "400"},
        )
        return int(value or 0)

    def wait_cut_off(self, count: int) -> None:
        """Wait until the replica has finished `count` cut-off PATCHes (and released them)."""
        deadline = time.monotonic() + 20
        while self.cut_off_patches() < count:
            assert time.monotonic() < deadline, "the replica never saw the disconnect"
            time.sleep(0.02)


@pytest.fixture
def served(api) -> Iterator[Replica]:
    app = create_app(api.settings, clock=api.clock, config=WebConfig(max_upload_bytes=UPLOAD_LIMIT))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield Replica(("127.0.0.1", port), app)
    server.should_exit = True
    thread.join(timeout=20)


def send_half(address, headers, url: str, offset: int, body: bytes, **extra) -> socket.socket:
    """Open a connection and send a PATCH announcing all of `body`, but only its first half."""
    fields = {**headers, **TUS, **CHUNK, "Upload-Offset": str(offset), **extra}
    lines = [f"PATCH {url} HTTP/1.1", f"Host: {address[0]}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in fields.items()]
    raw = socket.create_connection(address, timeout=10)
    raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[: len(body) // 2])
    return raw


def wait_offset(api, headers, url: str, offset: int) -> None:
    deadline = time.monotonic() + 20
    while offset_of(api.client, headers, url) != offset:
        assert time.monotonic() < deadline, f"the offset never reached {offset}"
        time.sleep(0.02)


def test_a_real_client_disconnect_mid_body_keeps_the_bytes(api, studio, served, monkeypatch):
    # Write each piece as it arrives, so the bytes the server read are visible before the cut.
    monkeypatch.setattr(spool, "WRITE_BUFFER", 1)
    data = api.jpeg(seed=21, size=(400, 300))
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:3000]).status_code == 204
    half = 3000 + (len(data) - 3000) // 2
    connection = send_half(served.address, studio, url, 3000, data[3000:])
    wait_offset(api, studio, url, half)
    connection.close()
    served.wait_cut_off(1)
    assert offset_of(api.client, studio, url) == half

    rest = data[half:]
    checksum = {"Upload-Checksum": chunk_checksum(rest)}
    connection = send_half(served.address, studio, url, half, rest, **checksum)
    staged = Spool(api.settings.data_dir / "uploads").resumable(upload_id(url), "IMG_0001.JPG")
    deadline = time.monotonic() + 20
    while not (staged.staging.exists() and staged.staging.stat().st_size >= len(rest) // 2):
        assert time.monotonic() < deadline, "the checksummed chunk was never staged"
        time.sleep(0.02)
    assert offset_of(api.client, studio, url) == half  # staged beside, not appended
    connection.close()
    served.wait_cut_off(2)
    assert offset_of(api.client, studio, url) == half
    assert not staged.staging.exists()

    done = patch(api.client, studio, url, half, rest)
    assert done.status_code == 204, done.text
    assert stored_photo(api, studio, done)["sha256"] == sha256(data)


def test_chunk_checksum_mismatch_is_460_and_discarded(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:4000]).status_code == 204
    bad = patch(
        api.client, studio, url, 4000, data[4000:], **{"Upload-Checksum": chunk_checksum(b"x")}
    )
    assert bad.status_code == 460, bad.text
    assert bad.headers["Tus-Resumable"] == "1.0.0"
    error = bad.json()["error"]
    assert error["code"] == "checksum_mismatch" and "IMG_0001.JPG" in error["message"]
    assert offset_of(api.client, studio, url) == 4000
    assert api.photo_count() == 0 and api.blobs() == set()
    good = patch(
        api.client,
        studio,
        url,
        4000,
        data[4000:],
        **{"Upload-Checksum": chunk_checksum(data[4000:])},
    )
    assert stored_photo(api, studio, good)["sha256"] == sha256(data)


@pytest.mark.parametrize("key", ["checksum", "sha256"])
def test_whole_file_checksum_mismatch_stores_nothing(api, studio, key):
    data = api.jpeg()
    announced = {key: "sha256 " + b64(hashlib.sha256(b"other").digest())}
    url = start(api.client, studio, len(data), **{"Upload-Metadata": metadata(**announced)})
    assert patch(api.client, studio, url, 0, data[:100]).status_code == 204
    last = patch(api.client, studio, url, 100, data[100:])
    assert last.status_code == 422, last.text
    error = last.json()["error"]
    assert error["code"] == "checksum_mismatch"
    assert "IMG_0001.JPG" in error["message"] and "nothing was stored" in error["message"]
    assert str(api.settings.data_dir) not in error["message"]
    assert api.photo_count() == 0 and api.blobs() == set()
    assert spool_entries(api) == [] and record(api, url) is None
    assert head(api.client, studio, url).status_code == 404


def test_a_matching_whole_file_checksum_is_accepted(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data), **{"Upload-Metadata": metadata(sha256=sha256(data))})
    assert "X-Photo-Id" in patch(api.client, studio, url, 0, data).headers


def test_a_non_image_is_refused_when_complete(api, studio):
    data = b"%PDF-1.7\n" + b"x" * 3000
    url = start(api.client, studio, len(data), **{"Upload-Metadata": metadata("contract.pdf")})
    response = patch(api.client, studio, url, 0, data)
    assert response.status_code == 415
    assert "contract.pdf is not an image" in response.json()["error"]["message"]
    assert api.photo_count() == 0 and api.blobs() == set() and spool_entries(api) == []


def test_wrong_offset_is_409(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:500]).status_code == 204
    for wrong in (0, 499, 501):
        response = patch(api.client, studio, url, wrong, data[wrong:])
        assert response.status_code == 409, wrong
        assert "ask HEAD" in response.json()["error"]["message"]
    assert offset_of(api.client, studio, url) == 500


def test_tus_resumable_is_required(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    for version in (None, "0.2.2"):
        extra = {} if version is None else {"Tus-Resumable": version}
        responses = [
            api.client.post(
                "/api/v1/weddings/smith-jones/uploads",
                headers={**studio, **extra, "Upload-Length": "10", "Upload-Metadata": metadata()},
            ),
            api.client.head(url, headers={**studio, **extra}),
            api.client.patch(
                url, content=data, headers={**studio, **extra, **CHUNK, "Upload-Offset": "0"}
            ),
            api.client.delete(url, headers={**studio, **extra}),
        ]
        for response in responses:
            assert response.status_code == 412, (version, response.request.method)
            assert response.headers["Tus-Version"] == "1.0.0"
    assert offset_of(api.client, studio, url) == 0


def test_oversize_is_413(api, studio):
    response = create(api.client, studio, UPLOAD_LIMIT + 1)
    assert response.status_code == 413
    assert "Tus-Max-Size" in response.json()["error"]["message"]
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    too_long = patch(api.client, studio, url, 0, data + b"extra")
    assert too_long.status_code == 413
    assert offset_of(api.client, studio, url) == 0

    def streamed():
        yield data
        yield b"extra"

    chunked = api.client.patch(
        url, content=streamed(), headers={**studio, **TUS, **CHUNK, "Upload-Offset": "0"}
    )
    assert chunked.status_code == 413
    assert offset_of(api.client, studio, url) == 0 and api.photo_count() == 0


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "file name"),
        ("checksum " + b64("x"), "file name"),
        ("filename not*base64!", "not base64"),
        ("filename %%%%", "not base64"),
        ("filename " + b64("a.jpg") + ",filename " + b64("b.jpg"), "twice"),
        ("file name " + b64("a.jpg"), "malformed"),
        ("filename " + b64("../.."), "names no file"),
        ("filename " + b64("a.jpg") + ",checksum " + b64("short"), "32-byte"),
    ],
)
def test_malformed_upload_metadata_is_400(api, studio, value, fragment):
    response = create(api.client, studio, 100, **{"Upload-Metadata": value})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]["message"]
    assert spool_entries(api) == []


def test_malformed_tus_headers_are_400(api, studio):
    assert create(api.client, studio, 100, **{"Upload-Length": "-1"}).status_code == 400
    deferred = api.client.post(
        "/api/v1/weddings/smith-jones/uploads",
        headers={**studio, **TUS, "Upload-Defer-Length": "1", "Upload-Metadata": metadata()},
    )
    assert deferred.status_code == 400 and "not supported" in deferred.text
    assert create(api.client, studio, 0).json()["error"]["code"] == "empty_upload"
    url = start(api.client, studio, 100)
    assert patch(api.client, studio, url, 0, b"x", **{"Upload-Offset": "x"}).status_code == 400
    md5 = patch(api.client, studio, url, 0, b"x", **{"Upload-Checksum": "md5 " + b64("x" * 16)})
    assert md5.status_code == 400 and "sha256" in md5.json()["error"]["message"]
    plain = patch(api.client, studio, url, 0, b"x", **{"Content-Type": "image/jpeg"})
    assert plain.status_code == 415


def test_another_tenant_sees_nothing(api, studio, rival):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:700]).status_code == 204
    assert head(api.client, rival, url).status_code == 404
    assert patch(api.client, rival, url, 700, data[700:]).status_code == 404
    assert api.client.delete(url, headers={**rival, **TUS}).status_code == 404
    assert create(api.client, rival, len(data)).status_code == 404
    response = head(api.client, rival, url)
    assert "Upload-Offset" not in response.headers and "Upload-Metadata" not in response.headers
    assert offset_of(api.client, studio, url) == 700
    assert api.photo_count() == 0


@pytest.mark.parametrize("bad", ["%00", "a%00b", "x" * 200, "a.b"])
def test_an_id_no_upload_can_have_is_404(api, studio, bad):
    # PostgreSQL refuses NUL in text parameters: such an id must not reach the catalog.
    url = f"/api/v1/uploads/{bad}"
    responses = [
        head(api.client, studio, url),
        patch(api.client, studio, url, 0, b"x"),
        api.client.delete(url, headers={**studio, **TUS}),
    ]
    for response in responses:
        assert response.status_code == 404, (response.request.method, response.status_code)
        assert response.headers["Tus-Resumable"] == "1.0.0"
        assert "Upload-Offset" not in response.headers


@pytest.fixture
def small_spool(api, tmpfs):
    """A client of the app whose upload spool is a 256 KiB filesystem of its own."""
    spool = tmpfs("256k")
    config = WebConfig(max_upload_bytes=UPLOAD_LIMIT, spool_dir=spool)
    with TestClient(create_app(api.settings, clock=api.clock, config=config)) as client:
        yield client, spool


def test_an_upload_larger_than_the_spools_room_is_refused_at_creation(api, studio, small_spool):
    client, _ = small_spool
    response = create(client, studio, 200_000)
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "spool_full"
    assert "upload spool has" in response.json()["error"]["message"]
    assert response.headers["Tus-Resumable"] == "1.0.0"
    with api.catalog.begin() as conn:
        assert conn.execute(select(func.count()).select_from(upload)).scalar_one() == 0


def test_a_single_request_upload_into_a_full_spool_is_507_and_leaves_nothing(
    api, studio, small_spool
):
    client, spool = small_spool
    data = api.jpeg(seed=4)
    data += b"\0" * (300_000 - len(data))
    response = client.post(
        "/api/v1/weddings/smith-jones/photos",
        content=data,
        headers={**studio, "Content-Type": "image/jpeg", "X-Filename": "big.jpg"},
    )
    assert response.status_code == 507, response.text
    assert "filled up while receiving big.jpg" in response.json()["error"]["message"]
    assert list(spool.iterdir()) == [] and api.photo_count() == 0


def test_a_spool_that_fills_up_mid_chunk_keeps_none_of_it(api, studio, small_spool, monkeypatch):
    monkeypatch.setattr(tus, "SPOOL_RESERVE", 0)  # so the upload is created on the small disk
    client, spool = small_spool
    data = api.jpeg(seed=3, size=(640, 480))
    data += b"\0" * (150_000 - len(data))  # padding after the JPEG's end: still a JPEG
    url = start(client, studio, len(data))
    assert patch(client, studio, url, 0, data[:1000]).status_code == 204
    filler = spool / "filler"
    filler.write_bytes(b"\xff" * (256 * 1024 - 100 * 1024))  # leaves less than the rest
    response = patch(client, studio, url, 1000, data[1000:])
    assert response.status_code == 507, response.text
    assert response.json()["error"]["code"] == "spool_full"
    assert "none of it was kept" in response.json()["error"]["message"]
    assert offset_of(client, studio, url) == 1000
    filler.unlink()
    done = patch(client, studio, url, 1000, data[1000:])
    assert done.status_code == 204 and "X-Photo-Id" in done.headers
    photo = client.get(done.headers["X-Photo-Location"], headers=studio).json()
    assert photo["sha256"] == sha256(data)


def test_a_bad_key_is_401(api, studio):
    url = start(api.client, studio, 100)
    for headers in ({}, {"Authorization": "Bearer tr_1_wrong"}):
        responses = [
            create(api.client, headers, 100),
            head(api.client, headers, url),
            patch(api.client, headers, url, 0, b"x"),
            api.client.delete(url, headers={**headers, **TUS}),
            api.client.options("/api/v1/uploads", headers=headers),
        ]
        for response in responses:
            assert response.status_code == 401, response.request.method
            assert response.headers["Tus-Resumable"] == "1.0.0"
    assert offset_of(api.client, studio, url) == 0


def test_an_abandoned_upload_expires_and_is_swept(api, studio):
    data = api.jpeg()
    kept = start(api.client, studio, len(data))
    abandoned = start(api.client, studio, len(data))
    for url in (kept, abandoned):
        assert patch(api.client, studio, url, 0, data[:1000]).status_code == 204
    api.clock.advance(hours=20)
    assert patch(api.client, studio, kept, 1000, data[1000:2000]).status_code == 204
    api.clock.advance(hours=5)
    assert spool_entries(api) == sorted(upload_id(u) for u in (kept, abandoned))

    start(api.client, studio, len(data))  # a creation sweeps what expired
    assert record(api, abandoned) is None
    assert upload_id(abandoned) not in spool_entries(api)
    assert head(api.client, studio, abandoned).status_code == 404
    assert offset_of(api.client, studio, kept) == 2000


def test_a_chunk_moves_the_expiry_only_when_it_gains_an_hour_of_a_day():
    day, now = timedelta(hours=24), datetime(2026, 6, 13, 15, 0, tzinfo=UTC)
    assert renewed_expiry(now + day, now=now, expiry=day) is None
    assert renewed_expiry(now + timedelta(hours=23, minutes=1), now=now, expiry=day) is None
    assert renewed_expiry(now + timedelta(hours=23), now=now, expiry=day) == now + day
    assert renewed_expiry(now - timedelta(hours=1), now=now, expiry=day) == now + day


def test_an_expired_upload_answers_410_and_is_removed(api, studio):
    headed, patched = start(api.client, studio, 5000), start(api.client, studio, 5000)
    api.clock.advance(hours=24)
    assert head(api.client, studio, headed).status_code == 410
    response = patch(api.client, studio, patched, 0, b"x")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"
    assert "expired" in response.json()["error"]["message"]
    assert record(api, headed) is None and record(api, patched) is None
    assert spool_entries(api) == []
    assert head(api.client, studio, headed).status_code == 404


def test_expired_uploads_are_swept_when_the_service_starts(api, studio):
    url = start(api.client, studio, 5000)
    assert patch(api.client, studio, url, 0, b"\xff" * 100).status_code == 204
    api.clock.advance(days=2)
    app = create_app(api.settings, clock=api.clock, config=WebConfig(max_upload_bytes=UPLOAD_LIMIT))
    with TestClient(app):
        assert record(api, url) is None and spool_entries(api) == []


def test_sweep_removes_spool_entries_without_a_record_and_skips_held_ones(api, studio):
    spool = Spool(api.settings.data_dir / "uploads")
    orphan = spool.create_resumable("orphan", "a.jpg")
    busy = spool.create_resumable("busy", "b.jpg")
    handle = hold(busy.path, "busy")
    try:
        assert sweep_uploads(api.catalog, spool, now=api.clock()) == 1
    finally:
        handle.close()
    assert spool_entries(api) == ["busy"]
    assert not orphan.directory.exists()


def test_termination(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:1000]).status_code == 204
    response = api.client.delete(url, headers={**studio, **TUS})
    assert response.status_code == 204 and response.headers["Tus-Resumable"] == "1.0.0"
    assert spool_entries(api) == [] and record(api, url) is None
    assert head(api.client, studio, url).status_code == 404
    assert patch(api.client, studio, url, 1000, data[1000:]).status_code == 404
    assert api.photo_count() == 0


def test_a_second_writer_is_refused_while_one_writes(api, studio):
    data = api.jpeg()
    url = start(api.client, studio, len(data))
    spool = Spool(api.settings.data_dir / "uploads")
    handle = hold(spool.resumable(upload_id(url), "IMG_0001.JPG").path, "the upload")
    try:
        response = patch(api.client, studio, url, 0, data)
        assert response.status_code == 423
        assert api.client.delete(url, headers={**studio, **TUS}).status_code == 423
    finally:
        handle.close()
    assert offset_of(api.client, studio, url) == 0
    assert "X-Photo-Id" in patch(api.client, studio, url, 0, data).headers


def test_a_duplicate_returns_the_existing_photo(api, studio):
    data = api.jpeg()
    first = api.upload(studio, data)
    assert first.status_code == 201
    url = start(api.client, studio, len(data), **{"Upload-Metadata": metadata("COPY.JPG")})
    response = patch(api.client, studio, url, 0, data)
    assert response.status_code == 204
    assert response.headers["X-Photo-Id"] == str(first.json()["id"])
    assert api.photo_count() == 1 and spool_entries(api) == []


def test_an_upload_survives_a_restart(api, studio):
    data = api.jpeg(seed=9)
    url = start(api.client, studio, len(data))
    assert patch(api.client, studio, url, 0, data[:6000]).status_code == 204
    app = create_app(api.settings, clock=api.clock, config=WebConfig(max_upload_bytes=UPLOAD_LIMIT))
    with TestClient(app) as restarted:
        assert offset_of(restarted, studio, url) == 6000
        done = patch(restarted, studio, url, 6000, data[6000:])
        assert done.status_code == 204, done.text
        assert offset_of(restarted, studio, url) == len(data)
    assert stored_photo(api, studio, done)["sha256"] == sha256(data)


def test_bytes_that_vanished_from_the_spool_answer_410(api, studio):
    url = start(api.client, studio, 5000)
    Spool(api.settings.data_dir / "uploads").resumable(upload_id(url), "-").discard()
    response = head(api.client, studio, url)
    assert response.status_code == 410
    assert "replicas do not share it" in patch(api.client, studio, url, 0, b"x").text


# The pure parts.


def test_parse_metadata():
    assert parse_metadata(None) == {}
    assert parse_metadata("filename SU1HLmpwZw==, empty,flag ") == {
        "filename": b"IMG.jpg",
        "empty": b"",
        "flag": b"",
    }
    for bad in ("a,,b", "k v w", "ké dg==", "k !!"):
        with pytest.raises(IngestError):
            parse_metadata(bad)
    with pytest.raises(IngestError, match="characters"):
        parse_metadata("k " + "A" * 5000)


def test_metadata_name_and_sha256():
    digest = hashlib.sha256(b"x").digest()
    assert metadata_name({"filename": b"DCIM/IMG 1.jpg"}) == "IMG 1.jpg"
    assert metadata_name({"name": b"a.jpg"}) == "a.jpg"
    with pytest.raises(IngestError, match="UTF-8"):
        metadata_name({"filename": b"\xff"})
    assert metadata_sha256({}) is None
    forms = (digest.hex().upper(), "sha256 " + b64(digest), b64(digest))
    for value in (*(form.encode() for form in forms), digest):  # and the raw 32 bytes
        assert metadata_sha256({"checksum": value}) == digest.hex()
    with pytest.raises(IngestError, match="md5"):
        metadata_sha256({"checksum": b"md5 " + b64(b"x" * 16).encode()})
    with pytest.raises(ChecksumMismatch):
        metadata_sha256({"checksum": digest.hex().encode(), "sha256": b"00" * 32})


def test_parse_upload_checksum_and_length():
    digest = hashlib.sha256(b"x").digest()
    assert parse_upload_checksum(None) is None
    assert parse_upload_checksum("sha256 " + b64(digest)) == digest
    for bad in ("sha1 " + b64(b"x" * 20), "sha256 " + b64(b"short"), "sha256"):
        with pytest.raises(IngestError):
            parse_upload_checksum(bad)
    assert parse_length("10", limit=10) == 10
    with pytest.raises(PayloadTooLarge):
        parse_length("11", limit=10)
    with pytest.raises(EmptyInput):
        parse_length("0", limit=10)
    for bad in (None, "", "1e3", "+5", "99999999999999999999"):
        with pytest.raises(IngestError):
            parse_length(bad, limit=10)


def test_check_tus_resumable_and_http_date(clock):
    check_tus_resumable("1.0.0")
    for bad in (None, "", "1.0", "0.2.2"):
        with pytest.raises(UnsupportedProtocolVersion):
            check_tus_resumable(bad)
    assert http_date(clock()) == "Sat, 13 Jun 2026 15:00:00 GMT"


def test_a_studio_may_have_so_many_uploads_open(api, studio, rival):
    config = WebConfig(max_upload_bytes=UPLOAD_LIMIT, max_open_uploads=2, max_open_upload_bytes=15)
    with TestClient(create_app(api.settings, clock=api.clock, config=config)) as client:
        first = start(client, studio, 5)
        start(client, studio, 5)
        refused = create(client, studio, 5)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_uploads"
        assert "2 resumable uploads open" in refused.json()["error"]["message"]
        assert refused.headers["Tus-Resumable"] == "1.0.0"
        start(client, rival, 5, wedding="rival-wedding")  # another studio's count is its own
        assert client.delete(first, headers={**studio, **TUS}).status_code == 204
        third = start(client, studio, 5)  # a slot came free
        assert client.delete(third, headers={**studio, **TUS}).status_code == 204
        too_big = create(client, studio, 11)  # 5 open + 11 > 15 bytes
        assert too_big.status_code == 429 and "15-byte limit" in too_big.json()["error"]["message"]
        api.clock.advance(hours=25)  # abandoned ones stop counting once expired
        assert create(client, studio, 11).status_code == 201
