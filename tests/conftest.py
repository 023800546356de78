"""Fixtures shared by every test: isolated settings, and one catalog fixture over both backends.

The PostgreSQL server is the one at TROUSSEAU_TEST_POSTGRES_URL (default: the local server,
database `test`). Each test process creates its own database there, named by its pid (so
every pytest-xdist worker has its own), and drops it at the end. Set
TROUSSEAU_TEST_POSTGRES=skip to run without PostgreSQL (the PostgreSQL cases then skip), or
leave them out with `-m "not postgres"`: every test that reaches PostgreSQL carries the marker.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from trousseau.catalog import Catalog, open_catalog
from trousseau.catalog.schema import metadata
from trousseau.settings import Settings, load_settings

PG_ADMIN_URL = os.environ.get(
    "TROUSSEAU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parents[1]
# TROUSSEAU_TEST_SHARED_DATA points elsewhere (a machine where ../shared does not travel)
SHARED_DATA = Path(os.environ.get("TROUSSEAU_TEST_SHARED_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TROUSSEAU_* variable or trousseau.toml of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TROUSSEAU_") and not name.startswith("TROUSSEAU_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `postgres` every test that reaches PostgreSQL: the PostgreSQL case of the
    `catalog_url` fixture (and so of `catalog` and `settings`), or `postgres_url` itself."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("catalog_url") == "postgresql"
        if on_postgres or "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    if os.environ.get("TROUSSEAU_TEST_POSTGRES") == "skip":
        pytest.skip("TROUSSEAU_TEST_POSTGRES=skip")
    import psycopg  # here, so machines without PostgreSQL need no driver to run the rest

    name = f"trousseau_test_{os.getpid()}"
    try:
        admin = psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({exc}); start it, point "
            "TROUSSEAU_TEST_POSTGRES_URL elsewhere, or set TROUSSEAU_TEST_POSTGRES=skip"
        )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    open_catalog(url).dispose()
    yield url
    with psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    catalog = open_catalog(url)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with catalog.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    catalog.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A catalog URL on each backend, empty and migrated."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    catalog = open_catalog(catalog_url)
    yield catalog
    catalog.dispose()


@pytest.fixture
def settings(catalog_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test's catalog and a vault in its temporary directory."""
    return load_settings(
        data_dir=tmp_path / "data",
        catalog_url=catalog_url,
        vault_url=(tmp_path / "vault").as_uri(),
        workers=2,
    )


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 6, 13, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def shared_data() -> Path:
    """The project's real public test files, or a clean skip when ../shared is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount small tmpfs filesystems under tmp_path; unmounted at teardown.

    Skips when this process may not mount (not root, or no CAP_SYS_ADMIN in a container).
    """
    mounted: list[Path] = []

    def mount(size: str = "64k") -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        target = tmp_path / f"tmpfs-{len(mounted)}"
        target.mkdir()
        result = run_mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target))
        if result.returncode != 0:
            pytest.skip(f"mount -t tmpfs is not permitted here: {result.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def run_mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], check=False, capture_output=True, text=True)
