"""Every answer of a tus route says `Tus-Resumable: 1.0.0`, the unexpected 500 included."""

from __future__ import annotations

import pytest

from trousseau.web.uploads import tus

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def broken_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug under every route that reads an upload: not a TrousseauError, a plain crash."""

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(tus, "_load", crash)


@pytest.mark.parametrize("method", ["HEAD", "PATCH", "DELETE"])
def test_an_unexpected_error_is_a_500_that_still_speaks_tus(
    api, studio, broken_lookup, method: str
) -> None:
    headers = {**studio, **TUS, "Upload-Offset": "0"}
    headers["Content-Type"] = "application/offset+octet-stream"
    response = api.client.request(method, "/api/v1/uploads/abc", headers=headers, content=b"x")
    assert response.status_code == 500
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["X-Request-ID"]
    if method != "HEAD":
        error = response.json()["error"]
        assert error["code"] == "internal" and error["request_id"]


def test_a_method_the_route_lacks_is_a_405_that_speaks_tus(api, studio) -> None:
    response = api.client.put("/api/v1/uploads/abc", headers={**studio, **TUS}, content=b"x")
    assert response.status_code == 405
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_refusals_before_the_route_runs_speak_tus(api, studio) -> None:
    response = api.client.head("/api/v1/uploads/abc", headers=TUS)
    assert response.status_code == 401
    assert response.headers.get_list("Tus-Resumable") == ["1.0.0"]


def test_other_routes_do_not_speak_tus(api, studio) -> None:
    response = api.client.get("/api/v1/weddings", headers=studio)
    assert "Tus-Resumable" not in response.headers
