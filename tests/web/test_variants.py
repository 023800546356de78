"""Variant downloads: verified bytes, right type, ETag and 304, single ranges and 416."""

from __future__ import annotations

import pytest

from trousseau.errors import BlobCorrupt
from trousseau.web.errors import RangeNotSatisfiable
from trousseau.web.ranges import ByteRange, byte_range, none_match
from trousseau.web.variants import content_disposition, content_type

from .conftest import sha256


def _url(processed, profile="reception"):
    return f"/api/v1/photos/{processed.photo_id}/variants/{profile}"


def test_download_is_the_verified_blob_with_cache_headers(api, studio, processed):
    response = api.client.get(_url(processed), headers=studio)
    assert response.status_code == 200
    data = response.content
    assert response.headers["Content-Type"] == "image/jpeg" and data[:3] == b"\xff\xd8\xff"
    assert response.headers["ETag"] == f'"{sha256(data)}"'
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Disposition"].startswith(
        'inline; filename="IMG_0001-reception.jpg"'
    )
    social = api.client.get(_url(processed, "social"), headers=studio)
    assert social.headers["Content-Type"] == "image/webp"


def test_if_none_match_is_304_without_a_body(api, studio, processed):
    etag = api.client.get(_url(processed), headers=studio).headers["ETag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = api.client.get(_url(processed), headers={**studio, "If-None-Match": value})
        assert response.status_code == 304 and response.content == b""
        assert response.headers["ETag"] == etag
    stale = api.client.get(_url(processed), headers={**studio, "If-None-Match": '"old"'})
    assert stale.status_code == 200


def test_ranges(api, studio, processed):
    full = api.client.get(_url(processed), headers=studio)
    data, etag, size = full.content, full.headers["ETag"], len(full.content)
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=10-{size * 2}": (10, size - 1),
    }
    for header, (start, end) in cases.items():
        response = api.client.get(_url(processed), headers={**studio, "Range": header})
        assert response.status_code == 206, header
        assert response.content == data[start : end + 1]
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    same = api.client.get(
        _url(processed), headers={**studio, "Range": "bytes=0-9", "If-Range": etag}
    )
    assert same.status_code == 206
    changed = {**studio, "Range": "bytes=0-9", "If-Range": '"older"'}
    assert api.client.get(_url(processed), headers=changed).status_code == 200


def test_unsatisfiable_range_is_416(api, studio, processed):
    size = len(api.client.get(_url(processed), headers=studio).content)
    response = api.client.get(_url(processed), headers={**studio, "Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"
    assert response.json()["error"]["code"] == "range_not_satisfiable"


def test_unknown_profile_is_404(api, studio, processed):
    response = api.client.get(_url(processed, "poster"), headers=studio)
    assert response.status_code == 404
    assert "no 'poster' variant" in response.json()["error"]["message"]


def test_a_damaged_blob_is_500_not_served(api, studio, processed, monkeypatch):
    from trousseau.vault.local import LocalVault

    def rotten(self, sha256, *, verify=True):
        raise BlobCorrupt(f"blob {sha256} at /srv/vault/blobs hashes to 00: restore it")

    monkeypatch.setattr(LocalVault, "get_bytes", rotten)
    response = api.client.get(_url(processed), headers=studio)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "blob_corrupt" and "/srv/vault" not in error["message"]
    metrics = api.client.get("/metrics").text
    assert 'trousseau_vault_errors_total{operation="verify"} 1.0' in metrics


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", ByteRange(0, 0, 10)),
        ("bytes=9-", ByteRange(9, 9, 10)),
        ("bytes=-3", ByteRange(7, 9, 10)),
        ("bytes=-30", ByteRange(0, 9, 10)),
        ("bytes=2-1", None),
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
        ("bytes=a-b", None),
        ("bytes=-", None),
        ("bytes 0-1", None),
    ],
)
def test_byte_range_rules(header, expected):
    assert byte_range(header, 10) == expected


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_byte_range_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable) as caught:
        byte_range(header, 10)
    assert caught.value.size == 10


def test_if_range_and_if_none_match_rules():
    assert byte_range("bytes=0-1", 10, if_range='"a"', etag='"a"') == ByteRange(0, 1, 10)
    assert byte_range("bytes=0-1", 10, if_range='"b"', etag='"a"') is None
    assert byte_range("bytes=0-1", 10, if_range="Wed, 21 Oct 2015 07:28:00 GMT", etag='"a"') is None
    assert none_match('"a"', '"a"') and none_match('W/"a"', '"a"') and none_match("*", '"a"')
    assert not none_match(None, '"a"') and not none_match('"b"', '"a"')


def test_media_types_and_dispositions():
    assert [content_type(f) for f in ("jpeg", "webp", "avif", "png", "xyz")] == [
        "image/jpeg",
        "image/webp",
        "image/avif",
        "image/png",
        "application/octet-stream",
    ]
    assert content_disposition('ma"riée.jpg') == (
        "inline; filename=\"ma_ri_e.jpg\"; filename*=UTF-8''ma%22ri%C3%A9e.jpg"
    )
