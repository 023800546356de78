"""Tiers: hot, warm and cold packs by wedding age, as S3 storage classes and lifecycle rules.

A wedding is *hot* from the moment it is booked until `hot_days` after its date (upcoming
weddings are hot: their photos arrive and are backed up every minute), *warm* until
`warm_days` after, *cold* beyond. Each tier is a storage class (backup.storage_classes:
STANDARD, STANDARD_IA, GLACIER_IR by default), and trousseau generates the S3 lifecycle
configuration that moves the repository's packs through them by age. Packs are immutable and
written when a wedding's photos arrive, so a pack's age approximates its wedding's age (a
backfill of an old wedding starts hot; docs/backup-format.md, "Tiers").

Everything here is pure: dates, settings values and sizes in, values out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from trousseau.errors import InvalidValue, SettingsError
from trousseau.settings import StorageClasses


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


def tier_of(
    wedding_date: date,
    now: datetime,
    hot_days: int,
    warm_days: int,
    *,
    timezone: str = "UTC",
) -> Tier:
    """The tier of a wedding on `wedding_date` (in its time zone) at `now` (an aware instant).

    Its age is the number of days from its date to today *in the wedding's zone*: upcoming
    (negative) and up to `hot_days` is HOT, up to `warm_days` WARM, beyond COLD. Both limits
    are inclusive, the day count S3 lifecycle rules use.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidValue("tier_of needs an aware `now` (a time zone): pass clock() output")
    age = (now.astimezone(ZoneInfo(timezone)).date() - wedding_date).days
    if age <= hot_days:
        return Tier.HOT
    if age <= warm_days:
        return Tier.WARM
    return Tier.COLD


def storage_class(tier: Tier, classes: StorageClasses) -> str:
    """The S3 storage class of packs in `tier`."""
    return str(getattr(classes, tier.value))


# --- published retrieval figures --------------------------------------------------------------


@dataclass(frozen=True)
class Retrieval:
    """How an S3 storage class gives its bytes back, as AWS publishes it."""

    first_byte_seconds: float
    """The figure an estimate uses for the wait before the first byte."""
    published: str
    """AWS's words for it (S3 storage class documentation)."""
    restore_request: bool
    """Whether an object must be restored (a RestoreObject request) before it can be read."""


MILLISECONDS = 0.1
"""AWS publishes "milliseconds" of first-byte latency for the instant classes; 0.1 s is a
conservative figure for one request from another region."""

RETRIEVAL: dict[str, Retrieval] = {
    "STANDARD": Retrieval(MILLISECONDS, "milliseconds", restore_request=False),
    "STANDARD_IA": Retrieval(MILLISECONDS, "milliseconds", restore_request=False),
    "INTELLIGENT_TIERING": Retrieval(
        MILLISECONDS,
        "milliseconds (frequent, infrequent and archive instant access tiers)",
        restore_request=False,
    ),
    "GLACIER_IR": Retrieval(MILLISECONDS, "milliseconds", restore_request=False),
    # Listed for the trade-off only: backup.storage_classes refuses them.
    "GLACIER": Retrieval(
        5 * 3600.0,
        "expedited 1-5 minutes, standard 3-5 hours, bulk 5-12 hours (after a restore request)",
        restore_request=True,
    ),
    "DEEP_ARCHIVE": Retrieval(
        12 * 3600.0,
        "standard within 12 hours, bulk within 48 hours (after a restore request)",
        restore_request=True,
    ),
}

DEFAULT_RESTORE_MBPS = 100.0
"""Restore throughput (MB/s) an estimate assumes when none is given: what one `backup restore`
reading 16 MiB packs by range from another region typically sustains. Pass the MB/s that
`trousseau backup restore` printed (`backup tiers --throughput`) for a measured figure."""


# --- the per-tier report ----------------------------------------------------------------------


@dataclass(frozen=True)
class DatedWedding:
    """A wedding in the latest snapshot with its catalog date: what the report sorts."""

    date: date
    timezone: str
    blobs: int
    bytes: int


@dataclass(frozen=True)
class TierReport:
    tier: Tier
    weddings: int
    blobs: int
    bytes: int
    storage_class: str
    first_byte_seconds: float
    published_latency: str
    restore_seconds: float
    """first_byte_seconds + bytes / throughput: an estimate."""


@dataclass(frozen=True)
class TiersReport:
    now: datetime
    hot_days: int
    warm_days: int
    throughput_mbps: float
    throughput_measured: bool
    """True when the throughput was given (measured by a restore), False when assumed."""
    tiers: tuple[TierReport, ...]
    undated_weddings: int = 0
    """Weddings in the snapshot the catalog no longer dates (erased or deleted rows)."""
    undated_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "hot_days": self.hot_days,
            "warm_days": self.warm_days,
            "throughput_mbps": self.throughput_mbps,
            "throughput": "measured" if self.throughput_measured else "assumed",
            "tiers": [
                {
                    "tier": t.tier.value,
                    "weddings": t.weddings,
                    "blobs": t.blobs,
                    "bytes": t.bytes,
                    "storage_class": t.storage_class,
                    "first_byte_seconds": t.first_byte_seconds,
                    "published_latency": t.published_latency,
                    "estimated_restore_seconds": round(t.restore_seconds, 3),
                }
                for t in self.tiers
            ],
            "undated_weddings": self.undated_weddings,
            "undated_bytes": self.undated_bytes,
        }

    def lines(self) -> list[str]:
        how = "measured" if self.throughput_measured else "assumed, not measured"
        out = [
            f"tiers at {self.now:%Y-%m-%d %H:%M} {self.now.tzname() or ''}: hot to "
            f"{self.hot_days} days after the wedding, warm to {self.warm_days}, cold beyond",
        ]
        for t in self.tiers:
            out.append(
                f"{t.tier.value:<4}  {t.weddings} weddings, {t.blobs} blobs, "
                f"{t.bytes / 1e6:.1f} MB in {t.storage_class} (first byte: "
                f"{t.published_latency}): restore ~{_duration(t.restore_seconds)} (estimate)"
            )
        if self.undated_weddings:
            out.append(
                f"undated: {self.undated_weddings} weddings ({self.undated_bytes / 1e6:.1f} MB) "
                "in the snapshot but no longer in the catalog"
            )
        out.append(f"estimates at {self.throughput_mbps:g} MB/s ({how}) + first-byte latency")
        return out


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def restore_seconds(nbytes: int, storage_class_name: str, throughput_mbps: float) -> float:
    """Estimated time to restore `nbytes` from `storage_class_name`: first byte + transfer."""
    if throughput_mbps <= 0:
        raise InvalidValue(f"restore throughput must be positive MB/s, got {throughput_mbps}")
    return RETRIEVAL[storage_class_name].first_byte_seconds + nbytes / (throughput_mbps * 1e6)


def tiers_report(
    weddings: Iterable[DatedWedding],
    *,
    now: datetime,
    hot_days: int,
    warm_days: int,
    classes: StorageClasses,
    throughput_mbps: float | None = None,
    undated_weddings: int = 0,
    undated_bytes: int = 0,
) -> TiersReport:
    """Weddings, blobs and bytes per tier at `now`, with each tier's estimated restore time
    at `throughput_mbps` (measured), or `DEFAULT_RESTORE_MBPS` (assumed) when None."""
    speed = DEFAULT_RESTORE_MBPS if throughput_mbps is None else throughput_mbps
    counts = {tier: [0, 0, 0] for tier in Tier}
    for w in weddings:
        row = counts[tier_of(w.date, now, hot_days, warm_days, timezone=w.timezone)]
        row[0] += 1
        row[1] += w.blobs
        row[2] += w.bytes
    reports = []
    for tier in Tier:
        name = storage_class(tier, classes)
        n, blobs, nbytes = counts[tier]
        reports.append(
            TierReport(
                tier=tier,
                weddings=n,
                blobs=blobs,
                bytes=nbytes,
                storage_class=name,
                first_byte_seconds=RETRIEVAL[name].first_byte_seconds,
                published_latency=RETRIEVAL[name].published,
                restore_seconds=restore_seconds(nbytes, name, speed),
            )
        )
    return TiersReport(
        now=now,
        hot_days=hot_days,
        warm_days=warm_days,
        throughput_mbps=speed,
        throughput_measured=throughput_mbps is not None,
        tiers=tuple(reports),
        undated_weddings=undated_weddings,
        undated_bytes=undated_bytes,
    )


# --- S3 lifecycle -----------------------------------------------------------------------------

ABORT_UPLOADS_AFTER_DAYS = 7
_IA_MINIMUM_DAYS = 30
"""S3 refuses a transition to STANDARD_IA before 30 days, and one out of it before the
object spent 30 days there."""


def s3_location(url: str) -> tuple[str, str] | None:
    """(bucket, prefix without slashes) of an `s3://` target URL; None for any other target."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3" or not parts.netloc:
        return None
    return parts.netloc, unquote(parts.path).strip("/")


def lifecycle_configuration(
    prefix: str, *, hot_days: int, warm_days: int, classes: StorageClasses
) -> dict[str, Any]:
    """The PutBucketLifecycleConfiguration document for a repository under `prefix`.

    One rule moves the repository's packs (`<prefix>/packs/`) to the warm class after
    `hot_days` and the cold class after `warm_days`; one aborts multipart uploads left
    incomplete under the prefix. The small files every open and verify reads (config, keys,
    index, snapshots, trees, keyrings, datakeys, locks) stay STANDARD: no rule names them.
    Rule ids derive from the prefix, so re-applying replaces this repository's rules only.
    SettingsError when S3 would refuse the transitions (a STANDARD_IA stay under 30 days).
    """
    if warm_days < hot_days:
        raise SettingsError(
            f"backup.warm_days ({warm_days}) must not be less than backup.hot_days ({hot_days})"
        )
    base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    tag = hashlib.sha256(base.encode()).hexdigest()[:12]
    steps: list[tuple[int, str, str]] = []  # (days, class, the settings that chose it)
    for days, tier, why in (
        (0, Tier.HOT, "the hot tier (from day 0)"),
        (hot_days, Tier.WARM, "backup.hot_days"),
        (warm_days, Tier.COLD, "backup.warm_days"),
    ):
        name = storage_class(tier, classes)
        if steps and steps[-1][0] == days:
            steps.pop()  # a tier of no days: the later one starts at once
        current = steps[-1][1] if steps else "STANDARD"
        if name != current:
            steps.append((days, name, why))
    for i, (days, name, why) in enumerate(steps):
        since = steps[i - 1] if i else (0, "STANDARD", "0")
        if name == "STANDARD_IA" and days < _IA_MINIMUM_DAYS:
            raise SettingsError(
                f"S3 moves objects to STANDARD_IA only after {_IA_MINIMUM_DAYS} days, but "
                f"{why} is {days}: raise it to {_IA_MINIMUM_DAYS} or choose another "
                "backup.storage_classes"
            )
        if since[1] == "STANDARD_IA" and days - since[0] < _IA_MINIMUM_DAYS:
            raise SettingsError(
                f"S3 keeps objects in STANDARD_IA at least {_IA_MINIMUM_DAYS} days before "
                f"moving them on, but {why} ({days}) is only {days - since[0]} days after "
                f"{since[2]} ({since[0]}): widen the gap or choose another "
                "backup.storage_classes"
            )
    rules: list[dict[str, Any]] = []
    if steps:
        rules.append(
            {
                "ID": f"trousseau-tiers-{tag}",
                "Filter": {"Prefix": f"{base}packs/"},
                "Status": "Enabled",
                "Transitions": [{"Days": days, "StorageClass": name} for days, name, _ in steps],
            }
        )
    rules.append(
        {
            "ID": f"trousseau-uploads-{tag}",
            "Filter": {"Prefix": base},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_UPLOADS_AFTER_DAYS},
        }
    )
    return {"Rules": rules}


def merge_lifecycle(existing: Iterable[dict[str, Any]], ours: dict[str, Any]) -> dict[str, Any]:
    """A bucket's lifecycle rules with this repository's replaced: a put replaces the bucket's
    whole configuration, so other rules (the vault's, another repository's) are kept."""
    mine = {rule["ID"] for rule in ours["Rules"]}
    kept = [rule for rule in existing if rule.get("ID") not in mine]
    return {"Rules": [*kept, *ours["Rules"]]}


def aws_command(bucket: str) -> str:
    """The AWS CLI line that puts a configuration saved as lifecycle.json on `bucket`."""
    return (
        f"aws s3api put-bucket-lifecycle-configuration --bucket {bucket} "
        "--lifecycle-configuration file://lifecycle.json"
    )
