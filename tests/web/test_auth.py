"""API keys: no key, a bad key or a revoked key is 401; a tenant key on admin endpoints 403."""

from __future__ import annotations

from trousseau.catalog import create_api_key, ensure_tenant, verify_api_key
from trousseau.catalog.apikeys import format_token, hash_secret, new_secret, parse_token

from .conftest import bearer

ADMIN_ENDPOINTS = [
    ("GET", "/api/v1/jobs/stats"),
    ("GET", "/api/v1/jobs?state=dead"),
    ("GET", "/api/v1/jobs/1"),
    ("POST", "/api/v1/jobs/1/retry"),
]


BAD_HEADERS = {
    "none": {},
    "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    "empty": {"Authorization": "Bearer"},
    "garbage": {"Authorization": "Bearer not-a-key"},
    "unknown-id": {"Authorization": "Bearer tr_999_" + "a" * 43},
    "bad-id": {"Authorization": "Bearer tr_x_" + "a" * 43},
    "huge-id": {"Authorization": "Bearer tr_99999999999999999999999_abc"},
}


def test_missing_or_malformed_key_is_401(api):
    for case, headers in BAD_HEADERS.items():
        response = api.client.get("/api/v1/weddings", headers=headers)
        assert response.status_code == 401, case
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), case
        error = response.json()["error"]
        assert error["code"] == "unauthorized" and error["request_id"], case


def test_wrong_secret_is_401(api):
    good = api.key("studio-a")
    token = good["Authorization"].removeprefix("Bearer ")
    key_id = token.split("_")[1]
    assert api.client.get("/api/v1/weddings", headers=good).status_code == 200
    forged = bearer(f"tr_{key_id}_{new_secret()}")
    assert api.client.get("/api/v1/weddings", headers=forged).status_code == 401


def test_revoked_key_is_401(api):
    headers = api.key("studio-a")
    assert api.client.get("/api/v1/weddings", headers=headers).status_code == 200
    api.revoke(headers)
    response = api.client.get("/api/v1/weddings", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_admin_endpoints_need_an_admin_key(api):
    tenant_key = api.key("studio-a")
    for method, path in ADMIN_ENDPOINTS:
        assert api.client.request(method, path).status_code == 401, path
        response = api.client.request(method, path, headers=tenant_key)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "forbidden"


def test_admin_key_reaches_operations_and_its_own_tenant(api):
    admin = api.key("operators", admin=True)
    assert api.client.get("/api/v1/jobs/stats", headers=admin).status_code == 200
    assert api.client.get("/api/v1/weddings", headers=admin).json() == {"items": []}


def test_keys_are_stored_hashed_and_verified(catalog, clock):
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio-a", now=clock())
        issued = create_api_key(conn, tenant.id, now=clock(), name="lightroom", secret="s3cret")
        stored = conn.exec_driver_sql("SELECT secret_sha256 FROM api_key").scalar_one()
        assert issued.token == f"tr_{issued.key.id}_s3cret"
        assert stored == hash_secret("s3cret") and "s3cret" not in stored
        assert verify_api_key(conn, issued.token) == issued.key
        assert verify_api_key(conn, issued.token + "x") is None
    assert issued.key.scopes == {"tenant"} and issued.key.tenant_slug == "studio-a"


def test_token_format():
    secret = new_secret(lambda n: b"\x00" * n)
    assert len(secret) == 43 and parse_token(format_token(12, secret)) == (12, secret)
    assert parse_token(format_token(3, "a_b-c")) == (3, "a_b-c")
    for bad in (
        "",
        "tr_",
        "tr_1",
        "tr_1_",
        "tr__x",
        "tr_-1_x",
        "xx_1_x",
        "tr_\u0661_x",
        "tr_1_" + "x" * 200,
    ):
        assert parse_token(bad) is None, bad
