"""`trousseau keys`: a key is printed once, listed without its secret, and revocable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from trousseau.catalog import open_catalog, verify_api_key
from trousseau.cli import app
from trousseau.errors import NotFound


@pytest.fixture
def run(catalog_url, tmp_path):
    runner = CliRunner()

    def invoke(*args: str):
        base = ["--data-dir", str(tmp_path / "data"), "--catalog-url", catalog_url]
        return runner.invoke(app, [*base, *args], catch_exceptions=True)

    return invoke


def _verify(catalog_url: str, token: str):
    catalog = open_catalog(catalog_url)
    try:
        with catalog.begin() as conn:
            return verify_api_key(conn, token)
    finally:
        catalog.dispose()


def test_create_prints_the_key_once_and_it_works(run, catalog_url):
    result = run("keys", "create", "--tenant", "studio-a", "--name", "lightroom")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("tr_1_") and len(token.splitlines()) == 1
    assert "tenant 'studio-a' created" in result.stderr
    assert "shown only once" in result.stderr
    key = _verify(catalog_url, token)
    assert key is not None and key.tenant_slug == "studio-a" and key.scopes == {"tenant"}
    assert key.name == "lightroom"


def test_admin_keys_carry_the_admin_scope(run, catalog_url):
    run("keys", "create", "--tenant", "ops")
    result = run("keys", "create", "--tenant", "ops", "--admin")
    assert "created" not in result.stderr
    key = _verify(catalog_url, result.stdout.strip())
    assert key is not None and key.scopes == {"tenant", "admin"}


def test_list_shows_keys_without_secrets_and_revoke_disables(run, catalog_url):
    token = run("keys", "create", "--tenant", "studio-a").stdout.strip()
    run("keys", "create", "--tenant", "studio-b", "--admin")
    listed = run("keys", "list")
    assert listed.exit_code == 0
    assert "studio-a" in listed.stdout and "studio-b" in listed.stdout
    assert "admin tenant" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout
    only_b = run("keys", "list", "--tenant", "studio-b").stdout
    assert "studio-a" not in only_b
    revoked = run("keys", "revoke", "1")
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert _verify(catalog_url, token) is None
    assert "revoked" in run("keys", "list").stdout
    assert run("keys", "revoke", "1").exit_code == 0


def test_revoking_an_unknown_key_is_not_found(run):
    result = run("keys", "revoke", "42")
    assert isinstance(result.exception, NotFound)
    assert "no API key 42" in str(result.exception)


def test_listing_no_keys_says_how_to_make_one(run):
    assert "trousseau keys create" in run("keys", "list").stdout
