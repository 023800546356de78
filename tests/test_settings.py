"""Settings: defaults, environment, TOML file, validation messages, redaction."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from trousseau.errors import SettingsError
from trousseau.settings import load_settings, redact_url


def test_defaults_live_under_the_data_directory(tmp_path: Path):
    s = load_settings(data_dir=tmp_path / "d")
    assert s.catalog_url == f"sqlite:///{tmp_path / 'd' / 'catalog.sqlite3'}"
    assert s.vault_url == (tmp_path / "d" / "vault").as_uri()
    assert s.sla_classes["same-day"] == timedelta(minutes=30)
    assert s.sla_classes["next-day"] == timedelta(hours=2)
    assert s.sla_classes["standard"] == timedelta(hours=24)


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("TROUSSEAU_WORKERS", "3")
    monkeypatch.setenv("TROUSSEAU_JOBS__LEASE_SECONDS", "12.5")
    monkeypatch.setenv("TROUSSEAU_SLA_CLASSES", '{"same-day": "PT20M", "standard": "P1D"}')
    s = load_settings()
    assert (s.workers, s.jobs.lease_seconds) == (3, 12.5)
    assert s.sla_classes == {"same-day": timedelta(minutes=20), "standard": timedelta(days=1)}


def test_toml_file(tmp_path: Path, monkeypatch):
    (tmp_path / "trousseau.toml").write_text(
        'workers = 5\ndefault_sla = "next-day"\n[jobs]\nmax_attempts = 9\n'
    )
    s = load_settings()
    assert (s.workers, s.default_sla, s.jobs.max_attempts) == (5, "next-day", 9)
    monkeypatch.setenv("TROUSSEAU_WORKERS", "1")
    assert load_settings().workers == 1


def test_named_config_file_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("TROUSSEAU_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match=r"missing\.toml, which is not a file"):
        load_settings()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"workers": -1}, "workers"),
        ({"default_sla": "express"}, "default_sla 'express' is not one of"),
        ({"sla_classes": {"same-day": "-PT5M"}}, "must allow a positive delay"),
        ({"sla_classes": {"same-day": "P99999999D"}}, "more than the 3650 a deadline"),
        ({"web": {"upload_expiry": "P99999999D"}}, "web.upload_expiry"),
        ({"jobs": {"lease_seconds": 0}}, "jobs.lease_seconds"),
        ({"jobs": {"lease_seconds": float("inf")}}, "jobs.lease_seconds: Input should be a finite"),
        ({"jobs": {"lease_seconds": "nan"}}, "jobs.lease_seconds: Input should be a finite"),
        ({"jobs": {"lease_seconds": 1e15}}, "jobs.lease_seconds: Input should be less than"),
        ({"jobs": {"timeout_seconds": 1e15}}, "jobs.timeout_seconds"),
        ({"jobs": {"backoff_cap_seconds": 1e15}}, "jobs.backoff_cap_seconds"),
        ({"jobs": {"batch_slack_seconds": 1e15}}, "jobs.batch_slack_seconds"),
        ({"backup": {"lag_target_seconds": float("inf")}}, "backup.lag_target_seconds"),
        ({"ops": {"same_day_slack_seconds": 1e15}}, "ops.same_day_slack_seconds"),
        ({"ops": {"failure_ratio": float("nan")}}, "ops.failure_ratio"),
        ({"planning": {"lead_seconds": 10**12}}, "planning.lead_seconds"),
        ({"planning": {"price_per_hour": float("inf")}}, "planning.price_per_hour"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_settings_say_which_field(overrides, message):
    with pytest.raises(SettingsError, match="invalid settings") as err:
        load_settings(**overrides)
    assert message in str(err.value)


def test_lease_from_the_environment_must_be_finite(monkeypatch):
    monkeypatch.setenv("TROUSSEAU_JOBS__LEASE_SECONDS", "inf")
    with pytest.raises(SettingsError, match=r"jobs\.lease_seconds: Input should be a finite"):
        load_settings()
    monkeypatch.setenv("TROUSSEAU_JOBS__LEASE_SECONDS", "86400")
    assert load_settings().jobs.lease_seconds == 86400


def test_unknown_sla_lists_the_known_ones():
    with pytest.raises(SettingsError, match="use one of next-day, same-day, standard"):
        load_settings().sla_delay("express")


def test_passwords_never_printed():
    assert redact_url("postgresql://u:s3cret@db/x") == "postgresql://u:***@db/x"
    assert redact_url("postgresql://u@db/x") == "postgresql://u@db/x"
    s = load_settings(catalog_url="postgresql+psycopg://app:hunter2@db:5432/t")
    assert "hunter2" not in str(s.redacted())


def test_the_backup_passphrase_never_shows(monkeypatch) -> None:
    monkeypatch.setenv("TROUSSEAU_BACKUP__PASSPHRASE", "correct horse battery staple")
    monkeypatch.setenv("TROUSSEAU_BACKUP__TARGETS", '["s3://user:secret@backups/studio"]')
    settings = load_settings()
    assert settings.backup.passphrase is not None
    assert settings.backup.passphrase.get_secret_value() == "correct horse battery staple"
    shown = repr(settings) + str(settings.redacted())
    assert "correct horse" not in shown and "secret@" not in str(settings.redacted())


def test_backup_tiers_must_be_in_order() -> None:
    with pytest.raises(SettingsError, match="warm_days"):
        load_settings(backup={"hot_days": 90, "warm_days": 30})


def test_forms_limits_come_from_the_environment_and_are_checked(monkeypatch) -> None:
    assert load_settings().forms.max_pages == 2000
    monkeypatch.setenv("TROUSSEAU_FORMS__MAX_PAGES", "10")
    monkeypatch.setenv("TROUSSEAU_FORMS__TIMEOUT_SECONDS", "2.5")
    forms = load_settings().forms
    assert (forms.max_pages, forms.timeout_seconds) == (10, 2.5)
    with pytest.raises(SettingsError, match=r"forms\.max_bytes"):
        load_settings(forms={"max_bytes": 0})
