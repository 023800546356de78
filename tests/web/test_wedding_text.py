"""Free text in a new wedding: a NUL or a lone surrogate is a 422 naming the field, never a 500."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("field", ["title", "region", "timezone", "sla"])
@pytest.mark.parametrize("value", ["Ana\x00Ben", "Ana\ud800Ben"])
def test_unstorable_text_is_a_422_naming_the_field(api, field: str, value: str) -> None:
    headers = api.key("studio-a")
    body = {"slug": "ana-ben", "date": "2026-06-13", "timezone": "UTC", field: value}
    response = api.client.post(
        "/api/v1/weddings",
        content=json.dumps(body),  # escapes \u0000 and \ud800, as a JSON client would
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert f"body.{field}" in error["message"]
    assert api.client.get("/api/v1/weddings/ana-ben", headers=headers).status_code == 404
