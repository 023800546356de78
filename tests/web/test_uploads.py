"""Single-request uploads: durable and recorded only when complete and verified."""

from __future__ import annotations

import base64
import hashlib

import pytest

from trousseau.errors import ChecksumMismatch, IngestError
from trousseau.ingest import pipeline
from trousseau.jobs import list_jobs
from trousseau.web.uploads.single import expected_sha256, original_name

from .conftest import UPLOAD_LIMIT, disconnecting, sha256


def test_upload_stores_records_and_enqueues(api, studio):
    data = api.jpeg()
    response = api.upload(studio, data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/photos/{body['id']}"
    assert body["wedding"] == "smith-jones" and body["original_name"] == "IMG_0001.JPG"
    assert (body["sha256"], body["bytes"], body["format"]) == (sha256(data), len(data), "jpeg")
    assert (body["state"], body["variants"], body["width"]) == ("stored", [], 320)
    assert api.vault.get_bytes(sha256(data)) == data
    with api.catalog.begin() as conn:
        (job,) = list_jobs(conn)
    assert job.kind == "variants" and job.payload == {"photo_id": body["id"]}
    assert api.spooled() == []


def test_duplicate_upload_returns_the_existing_photo(api, studio):
    data = api.jpeg()
    first = api.upload(studio, data)
    again = api.upload(studio, data, name="COPY.JPG")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["original_name"] == "IMG_0001.JPG"
    assert api.photo_count() == 1


def test_a_matching_checksum_is_accepted(api, studio):
    for seed, header in enumerate(["X-Checksum-SHA256", "Digest", "Repr-Digest"]):
        data = api.jpeg(seed=seed)
        digest = hashlib.sha256(data).digest()
        value = {
            "X-Checksum-SHA256": digest.hex().upper(),
            "Digest": f"md5=abc, sha-256={base64.b64encode(digest).decode()}",
            "Repr-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:",
        }[header]
        assert api.upload(studio, data, **{header: value}).status_code == 201, header


def test_checksum_mismatch_stores_nothing(api, studio):
    blobs = api.blobs()
    response = api.upload(studio, api.jpeg(), **{"X-Checksum-SHA256": "ab" * 32})
    # the vault refuses the put (ChecksumMismatch): the client's error, not a damaged store
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "checksum_mismatch"
    message = response.json()["error"]["message"]
    assert "IMG_0001.JPG" in message and "nothing was stored" in message
    assert str(api.settings.data_dir) not in message  # the spool's path stays on the server
    assert api.photo_count() == 0 and api.blobs() == blobs and api.spooled() == []


def test_an_upload_is_sniffed_once(api, studio, monkeypatch):
    sniffed = []
    real = pipeline.sniff

    def counting(path):
        sniffed.append(path.name)
        return real(path)

    monkeypatch.setattr(pipeline, "sniff", counting)
    assert api.upload(studio, api.jpeg()).status_code == 201
    assert sniffed == ["IMG_0001.JPG"]


def test_zero_bytes_is_refused(api, studio):
    response = api.upload(studio, b"")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_upload"
    assert api.photo_count() == 0 and api.spooled() == []


def test_a_non_image_is_refused(api, studio):
    response = api.upload(studio, b"%PDF-1.7\n" + b"x" * 2000, name="contract.pdf")
    assert response.status_code == 415
    assert "contract.pdf is not an image" in response.json()["error"]["message"]
    assert api.photo_count() == 0 and api.blobs() == set()


def test_a_form_body_is_refused_before_reading(api, studio):
    response = api.client.post(
        "/api/v1/weddings/smith-jones/photos",
        files={"file": ("a.jpg", api.jpeg(), "image/jpeg")},
        headers={**studio, "X-Filename": "a.jpg"},
    )
    assert response.status_code == 415
    assert "raw bytes" in response.json()["error"]["message"]


def test_oversize_declared_upload_is_refused_at_once(api, studio):
    blobs = api.blobs()
    response = api.upload(studio, b"\xff\xd8\xff" + b"\0" * UPLOAD_LIMIT)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert api.photo_count() == 0 and api.blobs() == blobs and api.spooled() == []


def test_oversize_streamed_upload_is_cut_off(api, studio):
    sent = []

    def chunks():
        for _ in range(40):
            sent.append(1)
            yield b"\xff" * 65536

    response = api.client.post(
        "/api/v1/weddings/smith-jones/photos",
        content=chunks(),
        headers={**studio, "X-Filename": "big.jpg", "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 413
    assert api.photo_count() == 0 and api.spooled() == []


def test_malformed_headers_are_client_errors(api, studio):
    data = api.jpeg()
    for headers, fragment in [
        ({"X-Filename": ""}, "X-Filename"),
        ({"X-Filename": "../.."}, "names no file"),
        ({"X-Checksum-SHA256": "nothex"}, "64 hex"),
        ({"Digest": "sha-256=tooshort"}, "32-byte"),
    ]:
        response = api.upload(studio, data, **headers)
        assert response.status_code == 400, headers
        assert fragment in response.json()["error"]["message"]
    assert api.photo_count() == 0


def test_a_full_vault_is_507_and_counted(api, studio, monkeypatch):
    from trousseau.errors import VaultFull
    from trousseau.vault.local import LocalVault

    def full(self, path, *, expected_sha256=None):
        raise VaultFull(f"vault {self.root} is full while storing {path}: free space and retry")

    monkeypatch.setattr(LocalVault, "put_file", full)
    response = api.upload(studio, api.jpeg())
    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "vault_full" and str(api.vault.root) not in error["message"]
    assert api.photo_count() == 0 and api.spooled() == []
    metrics = api.client.get("/metrics").text
    assert 'trousseau_vault_errors_total{operation="put"} 1.0' in metrics


def test_upload_to_an_unknown_wedding_is_404(api, studio):
    response = api.upload(studio, api.jpeg(), wedding="nobody")
    assert response.status_code == 404
    assert api.photo_count() == 0


def test_uploaded_bytes_are_counted(api, studio):
    data = api.jpeg()
    api.upload(studio, data)
    metrics = api.client.get("/metrics").text
    assert f"trousseau_upload_bytes_total {float(len(data))}" in metrics


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("IMG_0001.JPG", "IMG_0001.JPG"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\DCIM\\100CANON\\IMG_1.CR3", "IMG_1.CR3"),
        ("mari%C3%A9e.jpg", "mariée.jpg"),
        ("tab\tand\x00nul.jpg", "tabandnul.jpg"),
        ("a" * 300 + ".jpeg", "a" * 250 + ".jpeg"),
    ],
)
def test_original_name_is_a_safe_base_name(header, name):
    assert original_name(header) == name


def test_original_name_is_required():
    with pytest.raises(IngestError):
        original_name(None)


def test_expected_sha256_reads_every_header_and_catches_disagreement():
    digest = hashlib.sha256(b"x").digest()
    hexed = digest.hex()
    b64 = base64.b64encode(digest).decode()
    assert expected_sha256() is None
    assert expected_sha256(digest="md5=Q2hlY2s=") is None
    assert expected_sha256(checksum=hexed.upper()) == hexed
    assert expected_sha256(digest=f"SHA-256={b64}", checksum=hexed) == hexed
    assert expected_sha256(repr_digest=f"sha-256=:{b64}:") == hexed
    with pytest.raises(ChecksumMismatch):
        expected_sha256(digest=f"sha-256={b64}", checksum="00" * 32)


def test_a_client_that_disconnects_mid_upload_leaves_nothing(api, studio):
    headers = {**studio, "X-Filename": "cut.jpg", "Content-Type": "image/jpeg"}
    part = b"\xff\xd8\xff" + b"\0" * 1000
    sent = disconnecting(
        api.client.app, "POST", "/api/v1/weddings/smith-jones/photos", headers, part
    )
    assert sent[0]["status"] == 400
    assert b"disconnected before cut.jpg was complete" in sent[1]["body"]
    assert api.photo_count() == 0 and api.blobs() == set() and api.spooled() == []


def test_odd_exif_is_a_warning_not_a_server_error(api, studio, caplog):
    from ..imaging.exif import odd_subsec_jpeg

    data = odd_subsec_jpeg(api.tmp / "odd.jpg").read_bytes()

    response = api.upload(studio, data, name="IMG_0007.JPG")

    assert response.status_code == 201, response.text
    assert response.json()["captured_at"].startswith("2026-06-13T15:04:05")
    assert "IMG_0007.JPG: its SubSecTimeOriginal '²' is not digits" in caplog.text
    assert api.blobs() == {sha256(data)}
