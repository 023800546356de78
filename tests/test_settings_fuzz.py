"""Settings from outside input: any environment value, any config file, is Settings or a
SettingsError naming what is wrong, never a traceback of another type.

The environment and the TOML file are written by people (and by deployment templates); a
typo must be one readable line from the CLI (exit status 2), which prints only
TrousseauErrors as such.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trousseau.errors import SettingsError
from trousseau.imaging import load_profiles
from trousseau.settings import Settings, load_settings

FIELDS = [
    "DATA_DIR",
    "CATALOG_URL",
    "VAULT_URL",
    "TENANT",
    "WORKERS",
    "SLA_CLASSES",
    "DEFAULT_SLA",
    "AUTO_MIGRATE",
    "SQLITE_BUSY_TIMEOUT_MS",
    "JOBS",
    "JOBS__LEASE_SECONDS",
    "JOBS__MAX_ATTEMPTS",
    "JOBS__KIND_MODULES",
    "JOBS__BATCH_WAIT_MS",
    "IMAGING",
    "IMAGING__BACKEND",
    "IMAGING__PROFILES",
    "IMAGING__PROFILES_FILE",
    "IMAGING__MAX_PIXELS",
    "WEB",
    "WEB__PORT",
    "WEB__MAX_UPLOAD_BYTES",
    "WEB__MAX_BODY_BYTES",
    "WEB__UPLOAD_EXPIRY",
    "WEB__PROGRESS_INTERVAL_SECONDS",
    "WEB__SPOOL_DIR",
]

# What a person types by mistake: half JSON, odd numbers, odd digits, a home of nobody.
ODD_VALUES = [
    "{bad",
    "{",
    "[1",
    '{"same-day": "P1D"',
    '{"a": 1}',
    "[]",
    "null",
    "²",
    "\u0663",
    "1e999",
    "nan",
    "-0",
    "9" * 5000,
    "~nobody-has-this-home/x",
    "~",
    "P" * 100,
    "true",
    "\ufffd",
    "\ud7ff",
    " ",
    "",
]

# Environment values: any text an environment can hold (no NUL, valid UTF-8 on the way in).
env_text = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
    st.from_regex(r"[\[{][\"a-z0-9:,\[\]{} .-]{0,30}", fullmatch=True),
)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def settings_or_error() -> Settings | None:
    """Settings (with their profiles, read as every process does at start) or None for a
    SettingsError; anything else fails the test."""
    try:
        loaded = load_settings()
        load_profiles(loaded.imaging.profiles_file, loaded.imaging.profiles)
    except SettingsError as exc:
        assert str(exc), "a SettingsError says what is wrong"
        return None
    return loaded


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("field", FIELDS)
def test_each_odd_value_of_each_field_is_settings_or_a_settings_error(
    field: str, value: str
) -> None:
    with environment({f"TROUSSEAU_{field}": value}):
        settings_or_error()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), env_text, min_size=1, max_size=4))
@example({"SLA_CLASSES": "{bad"})
@example({"JOBS": "{"})
@example({"DATA_DIR": "~nobody-has-this-home/x"})
def test_any_environment_is_settings_or_a_settings_error(values: dict[str, str]) -> None:
    with environment({f"TROUSSEAU_{name}": value for name, value in values.items()}):
        settings_or_error()


TOML_CASES = {
    "syntax": b"workers = [",
    "not utf-8": b'tenant = "\xff\xfe"\n',
    "bom": b"\xef\xbb\xbfworkers = 2\n",
    "wrong type": b'workers = "many"\n',
    "table as value": b"workers = { a = 1 }\n",
    "unknown": b"colour = 1\n",
    "nested unknown": b"[jobs]\nspeed = 1\n",
    "bad profile": b"[imaging.profiles.social]\nlong_edge = -1\n",
    "profiles not tables": b"[imaging]\nprofiles = 3\n",
    "nul": b'tenant = "a\\u0000b"\n',
    "huge int": b"workers = 99999999999999999999999999\n",
    "date": b"workers = 2026-06-13\n",
    "directory as data dir": b'data_dir = "/"\n',
}


@pytest.mark.parametrize("content", TOML_CASES.values(), ids=TOML_CASES.keys())
def test_any_config_file_is_settings_or_a_settings_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.toml"
    path.write_bytes(content)
    with environment({"TROUSSEAU_CONFIG": str(path)}):
        settings_or_error()


def test_an_unreadable_config_file_is_a_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.toml"
    path.write_text("workers = 2\n")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("this user reads any file (root)")
    with environment({"TROUSSEAU_CONFIG": str(path)}), pytest.raises(SettingsError):
        load_settings()


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("SLA_CLASSES", "{bad", "sla_classes"),
        ("JOBS", "{", "jobs"),
        ("DATA_DIR", "~nobody-has-this-home/x", "data_dir"),
    ],
)
def test_a_malformed_value_names_its_variable(field: str, value: str, named: str) -> None:
    with environment({f"TROUSSEAU_{field}": value}), pytest.raises(SettingsError) as error:
        load_settings()

    assert named in str(error.value)


def test_a_malformed_config_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "odd.toml"
    path.write_text("workers = [\n")
    with environment({"TROUSSEAU_CONFIG": str(path)}), pytest.raises(SettingsError) as error:
        load_settings()

    assert "odd.toml" in str(error.value)
