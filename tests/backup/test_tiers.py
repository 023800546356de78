"""Tiers: wedding age → hot/warm/cold, storage classes, S3 lifecycle rules, restore estimates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from trousseau.backup import (
    DEFAULT_RESTORE_MBPS,
    RETRIEVAL,
    DatedWedding,
    Tier,
    lifecycle_configuration,
    merge_lifecycle,
    s3_location,
    tier_of,
    tiers_report,
)
from trousseau.errors import InvalidValue, SettingsError
from trousseau.settings import StorageClasses, load_settings

from .conftest import s3_client

WEDDING = date(2026, 6, 13)
DEFAULT = StorageClasses()


def _utc(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days_after", "tier"),
    [
        (-400, Tier.HOT),  # booked a year ahead
        (-1, Tier.HOT),
        (0, Tier.HOT),
        (30, Tier.HOT),
        (31, Tier.WARM),
        (365, Tier.WARM),
        (366, Tier.COLD),
        (5000, Tier.COLD),
    ],
)
def test_tier_boundaries_are_exact_and_inclusive(days_after: int, tier: Tier) -> None:
    now = _utc(WEDDING + timedelta(days=days_after))
    assert tier_of(WEDDING, now, 30, 365) is tier


def test_the_age_is_counted_in_the_wedding_s_time_zone() -> None:
    # 30 days after: Auckland (UTC+12 in July) reaches day 31 at 12:00 UTC, LA (UTC-7) at
    # 07:00 UTC the day after: the same instant is two tiers depending on the zone.
    day30 = WEDDING + timedelta(days=30)
    before = datetime(day30.year, day30.month, day30.day, 11, 59, 59, tzinfo=UTC)
    after = before + timedelta(seconds=1)
    assert tier_of(WEDDING, before, 30, 365, timezone="Pacific/Auckland") is Tier.HOT
    assert tier_of(WEDDING, after, 30, 365, timezone="Pacific/Auckland") is Tier.WARM
    assert tier_of(WEDDING, after, 30, 365) is Tier.HOT  # still day 30 in UTC
    next_day = after + timedelta(hours=19)  # 07:00 UTC on day 31: 00:00 in Los Angeles
    assert (
        tier_of(WEDDING, next_day - timedelta(seconds=1), 30, 365, timezone="America/Los_Angeles")
        is Tier.HOT
    )
    assert tier_of(WEDDING, next_day, 30, 365, timezone="America/Los_Angeles") is Tier.WARM
    # `now` in any zone is the same instant
    assert (
        tier_of(
            WEDDING, after.astimezone(ZoneInfo("Asia/Tokyo")), 30, 365, timezone="Pacific/Auckland"
        )
        is Tier.WARM
    )


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(InvalidValue, match="aware"):
        tier_of(WEDDING, datetime(2026, 7, 1), 30, 365)


def test_zero_day_tiers() -> None:
    now = _utc(WEDDING + timedelta(days=1))
    assert tier_of(WEDDING, now, 0, 0) is Tier.COLD
    assert tier_of(WEDDING, _utc(WEDDING), 0, 0) is Tier.HOT
    assert tier_of(WEDDING, now, 0, 400) is Tier.WARM


# --- settings ---------------------------------------------------------------------------------


def test_default_storage_classes_keep_millisecond_reads() -> None:
    classes = load_settings().backup.storage_classes
    assert (classes.hot, classes.warm, classes.cold) == ("STANDARD", "STANDARD_IA", "GLACIER_IR")
    for name in (classes.hot, classes.warm, classes.cold):
        assert not RETRIEVAL[name].restore_request


@pytest.mark.parametrize(
    ("classes", "fragments"),
    [
        ({"cold": "GLACIER"}, ["storage_classes.cold GLACIER", "restore request", "GLACIER_IR"]),
        ({"cold": "DEEP_ARCHIVE"}, ["12 to 48 hours", "use one of"]),
        ({"warm": "ONEZONE_IA"}, ["one Availability Zone"]),
        ({"warm": "standard_ia"}, ["'standard_ia' is not an S3 storage class", "upper case"]),
        ({"hot": "GLACIER_IR", "warm": "STANDARD"}, ["go backwards", "STANDARD, STANDARD_IA"]),
        ({"tepid": "STANDARD"}, ["tepid"]),
    ],
)
def test_bad_storage_classes_are_one_clear_settings_error(
    classes: dict[str, str], fragments: list[str]
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(backup={"storage_classes": classes})
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_storage_classes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROUSSEAU_BACKUP__STORAGE_CLASSES__COLD", "STANDARD_IA")
    assert load_settings().backup.storage_classes.cold == "STANDARD_IA"


# --- lifecycle --------------------------------------------------------------------------------


def test_the_default_lifecycle_moves_packs_only() -> None:
    config = lifecycle_configuration("studio/backup", hot_days=30, warm_days=365, classes=DEFAULT)
    packs, uploads = config["Rules"]
    assert packs["Filter"] == {"Prefix": "studio/backup/packs/"}
    assert packs["Status"] == "Enabled"
    assert packs["Transitions"] == [
        {"Days": 30, "StorageClass": "STANDARD_IA"},
        {"Days": 365, "StorageClass": "GLACIER_IR"},
    ]
    assert uploads["Filter"] == {"Prefix": "studio/backup/"}
    assert uploads["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert packs["ID"].startswith("trousseau-tiers-") and packs["ID"] != uploads["ID"]
    # ids follow the prefix: another repository in the same bucket has its own
    other = lifecycle_configuration("other", hot_days=30, warm_days=365, classes=DEFAULT)
    assert {r["ID"] for r in other["Rules"]}.isdisjoint({packs["ID"], uploads["ID"]})


def test_a_repository_at_the_bucket_root() -> None:
    config = lifecycle_configuration("", hot_days=30, warm_days=365, classes=DEFAULT)
    assert [r["Filter"]["Prefix"] for r in config["Rules"]] == ["packs/", ""]


def test_tiers_without_a_change_of_class_make_no_transition() -> None:
    standard = StorageClasses(hot="STANDARD", warm="STANDARD", cold="STANDARD")
    config = lifecycle_configuration("p", hot_days=30, warm_days=365, classes=standard)
    assert [r.get("Transitions") for r in config["Rules"]] == [None]
    straight = StorageClasses(hot="STANDARD", warm="STANDARD", cold="GLACIER_IR")
    rule = lifecycle_configuration("p", hot_days=0, warm_days=90, classes=straight)["Rules"][0]
    assert rule["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER_IR"}]
    empty_warm = lifecycle_configuration("p", hot_days=40, warm_days=40, classes=DEFAULT)
    assert empty_warm["Rules"][0]["Transitions"] == [{"Days": 40, "StorageClass": "GLACIER_IR"}]
    instant = StorageClasses(
        hot="INTELLIGENT_TIERING", warm="INTELLIGENT_TIERING", cold="GLACIER_IR"
    )
    rule = lifecycle_configuration("p", hot_days=30, warm_days=365, classes=instant)["Rules"][0]
    assert rule["Transitions"] == [
        {"Days": 0, "StorageClass": "INTELLIGENT_TIERING"},
        {"Days": 365, "StorageClass": "GLACIER_IR"},
    ]


def test_transitions_s3_would_refuse_are_a_settings_error() -> None:
    with pytest.raises(
        SettingsError, match=r"STANDARD_IA only after 30 days, but backup.hot_days is 7"
    ):
        lifecycle_configuration("p", hot_days=7, warm_days=365, classes=DEFAULT)
    with pytest.raises(SettingsError, match=r"backup.warm_days \(50\) is only 20 days after"):
        lifecycle_configuration("p", hot_days=30, warm_days=50, classes=DEFAULT)
    with pytest.raises(SettingsError, match="must not be less"):
        lifecycle_configuration("p", hot_days=30, warm_days=10, classes=DEFAULT)


def test_the_generated_lifecycle_is_accepted_by_s3_and_reads_back_equal(
    s3_endpoint: str, s3_bucket: str
) -> None:
    client = s3_client(s3_endpoint)
    theirs = {
        "ID": "vault-versions",
        "Filter": {"Prefix": "vault/"},
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
    }
    client.put_bucket_lifecycle_configuration(
        Bucket=s3_bucket, LifecycleConfiguration={"Rules": [theirs]}
    )
    ours = lifecycle_configuration("studio/backup", hot_days=30, warm_days=365, classes=DEFAULT)
    existing = client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    merged = merge_lifecycle(existing, ours)
    client.put_bucket_lifecycle_configuration(Bucket=s3_bucket, LifecycleConfiguration=merged)
    back = client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]
    assert back == merged["Rules"]
    assert back[0]["ID"] == "vault-versions" and len(back) == 3
    # applying again replaces ours and keeps theirs
    again = merge_lifecycle(back, ours)
    assert again == merged


def test_s3_location_of_target_urls() -> None:
    assert s3_location("s3://bucket/studio/backup?region=eu-west-3") == ("bucket", "studio/backup")
    assert s3_location("s3://bucket") == ("bucket", "")
    assert s3_location("/srv/backup") is None
    assert s3_location("file:///srv/backup") is None
    assert s3_location("memory://") is None


# --- restore estimates ------------------------------------------------------------------------


def test_the_report_counts_per_tier_and_estimates_restore_time() -> None:
    now = _utc(date(2026, 12, 4))
    weddings = [
        DatedWedding(date(2027, 5, 1), "Europe/Paris", blobs=0, bytes=0),  # upcoming
        DatedWedding(date(2026, 11, 28), "Europe/Paris", blobs=3000, bytes=30_000_000_000),
        DatedWedding(date(2026, 8, 1), "UTC", blobs=1000, bytes=12_000_000_000),
        DatedWedding(date(2020, 6, 13), "UTC", blobs=500, bytes=4_000_000_000),
        DatedWedding(date(2019, 6, 13), "UTC", blobs=500, bytes=6_000_000_000),
    ]
    assumed = tiers_report(
        weddings, now=now, hot_days=30, warm_days=365, classes=DEFAULT, undated_weddings=1
    )
    hot, warm, cold = assumed.tiers
    assert (hot.tier, hot.weddings, hot.blobs, hot.bytes) == (Tier.HOT, 2, 3000, 30_000_000_000)
    assert (warm.weddings, warm.blobs, warm.storage_class) == (1, 1000, "STANDARD_IA")
    assert (cold.weddings, cold.bytes, cold.storage_class) == (2, 10_000_000_000, "GLACIER_IR")
    assert not assumed.throughput_measured and assumed.throughput_mbps == DEFAULT_RESTORE_MBPS
    assert hot.restore_seconds == pytest.approx(0.1 + 30_000_000_000 / 100e6)  # 300.1 s
    measured = tiers_report(
        weddings, now=now, hot_days=30, warm_days=365, classes=DEFAULT, throughput_mbps=250
    )
    assert measured.throughput_measured
    assert measured.tiers[2].restore_seconds == pytest.approx(0.1 + 10_000_000_000 / 250e6)
    as_json = measured.to_json()
    assert as_json["throughput"] == "measured"
    assert as_json["tiers"][1]["estimated_restore_seconds"] == pytest.approx(48.1)
    text = "\n".join(assumed.lines())
    assert "assumed, not measured" in text and "undated: 1 weddings" in text
    assert "GLACIER_IR" in text and "(estimate)" in text


def test_a_non_positive_throughput_is_refused() -> None:
    with pytest.raises(InvalidValue, match="positive"):
        tiers_report(
            [], now=_utc(WEDDING), hot_days=30, warm_days=365, classes=DEFAULT, throughput_mbps=0
        )


def test_archive_classes_are_documented_as_hours_away() -> None:
    assert (
        RETRIEVAL["GLACIER"].restore_request and RETRIEVAL["GLACIER"].first_byte_seconds >= 3 * 3600
    )
    assert RETRIEVAL["DEEP_ARCHIVE"].first_byte_seconds >= 12 * 3600
