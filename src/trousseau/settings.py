"""One immutable Settings object, read from `TROUSSEAU_*` variables and an optional TOML file.

Precedence, highest first: keyword arguments, environment (`TROUSSEAU_CATALOG_URL`,
`TROUSSEAU_JOBS__LEASE_SECONDS` for nested fields), the TOML file named by
`TROUSSEAU_CONFIG` (or `trousseau.toml` in the working directory), then defaults.
"""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from trousseau.errors import SettingsError, WrongRegion

MAX_SLA_DELAY = timedelta(days=3650)
"""The longest delay an SLA class may give (ten years): a deadline further ahead is a typo,
and one near the calendar's end cannot be computed."""

MAX_SECONDS = 86_400
"""The longest a `*_seconds` setting may be (a day): a lease, timeout, backoff or slack
longer than that is a typo, and a huge one cannot become a timedelta or a date."""

DEFAULT_SLA_CLASSES: dict[str, timedelta] = {
    "same-day": timedelta(minutes=30),
    "next-day": timedelta(hours=2),
    "standard": timedelta(hours=24),
}


class JobSettings(BaseModel):
    """How the queue leases, retries and batches work."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    lease_seconds: float = Field(
        60.0, gt=0, le=MAX_SECONDS, description="visibility timeout of a claimed job"
    )
    max_attempts: int = Field(5, ge=1, description="runs before a job goes to dead letter")
    backoff_base_seconds: float = Field(2.0, gt=0, le=MAX_SECONDS)
    backoff_cap_seconds: float = Field(600.0, gt=0, le=MAX_SECONDS)
    claim_window_ms: float = Field(
        50.0, gt=0, description="a worker holds at most this much estimated work per slot"
    )
    claim_batch_max: int = Field(1000, ge=1, description="most jobs claimed in one statement")
    poll_interval_seconds: float = Field(
        1.0, gt=0, le=MAX_SECONDS, description="idle wait between claims"
    )
    shutdown_grace_seconds: float = Field(30.0, ge=0, le=MAX_SECONDS)
    timeout_seconds: float = Field(
        600.0, gt=0, le=MAX_SECONDS, description="a job running longer is killed and retried"
    )
    batch_size: int = Field(
        32, ge=1, description="most jobs a batched (GPU) worker renders together"
    )
    batch_wait_ms: float = Field(
        250.0, ge=0, description="longest a batched worker waits for a fuller batch"
    )
    batch_slack_seconds: float = Field(
        1800.0,
        ge=0,
        le=MAX_SECONDS,
        description="a batch whose earliest deadline is this close runs at once, however small",
    )
    kind_modules: tuple[str, ...] = Field(
        ("trousseau.kinds",),
        min_length=1,
        description="modules that register job kinds, imported in every job process",
    )


class ImagingSettings(BaseModel):
    """How photos are decoded and rendered into gallery variants."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    backend: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="auto uses the GPU when one is usable, else libvips on the CPU"
    )
    profiles_file: Path | None = Field(None, description="TOML file of [profiles.NAME] tables")
    profiles: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-profile overrides on top of defaults and file"
    )
    max_pixels: int = Field(
        200_000_000, ge=1, description="larger images are refused as decompression bombs"
    )
    raw_policy: Literal["auto", "preview", "demosaic"] = Field(
        "auto", description="embedded JPEG of a RAW when large enough (auto), always, or never"
    )
    vips_cache_mb: int = Field(
        0, ge=0, description="libvips operation cache per process (a worker sees each photo once)"
    )
    vips_concurrency: int = Field(
        1, ge=0, description="libvips threads per job process (0: libvips decides)"
    )
    gpu_batch_megapixels: int = Field(
        512, ge=1, description="decoded megapixels one GPU batch holds (bounds GPU memory)"
    )
    gpu_memory_mb: int = Field(
        0, ge=0, description="cap on this process's GPU memory (0: no cap beyond the batches)"
    )
    gpu_cpu_threads: int = Field(
        0,
        ge=0,
        description="CPU threads beside the GPU: WebP/AVIF encode, HEIC/PNG decode (0: cores)",
    )


class WebSettings(BaseModel):
    """The HTTP service: where it listens and what it accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_upload_bytes: int = Field(200_000_000, ge=1, description="larger uploads get 413")
    max_body_bytes: int = Field(
        1024 * 1024,
        ge=1,
        description="any other request body larger than this gets 413 (uploads: max_upload_bytes)",
    )
    spool_dir: Path | None = Field(None, description="partial uploads; default data_dir/uploads")
    progress_interval_seconds: float = Field(
        2.0, gt=0, le=300, description="how often a progress stream re-reads the catalog"
    )
    progress_keepalive_seconds: float = Field(
        15.0, gt=0, description="a comment on a quiet progress stream, so proxies keep it open"
    )
    progress_lifetime_seconds: float = Field(
        600.0, gt=0, description="a progress stream ends after this; EventSource reconnects"
    )
    progress_key_check_seconds: float = Field(
        5.0, gt=0, description="how often an open progress stream re-checks its key (revoked: ends)"
    )
    upload_expiry: timedelta = Field(
        timedelta(hours=24),
        gt=timedelta(0),
        le=timedelta(days=365),
        description="a resumable upload idle this long expires and its bytes are removed",
    )
    max_open_uploads: int = Field(
        1000, ge=1, description="unfinished resumable uploads a tenant may have at once"
    )
    max_open_upload_bytes: int = Field(
        50_000_000_000,
        ge=1,
        description="bytes a tenant's unfinished resumable uploads may announce",
    )


INSTANT_STORAGE_CLASSES = ("STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR")
"""S3 storage classes a backup tier may use, in S3's lifecycle order (a pack only ever moves
right): each returns the first byte in milliseconds, so verify and restore read any pack
without a restore request (docs/backup-format.md, "Tiers")."""
_REFUSED_STORAGE_CLASSES = {
    "GLACIER": "needs a restore request of minutes to hours before any read",
    "DEEP_ARCHIVE": "needs a restore request of 12 to 48 hours before any read",
    "ONEZONE_IA": "keeps its copy in one Availability Zone: a photo must survive losing one",
    "REDUCED_REDUNDANCY": "is deprecated and less durable",
}


class StorageClasses(BaseModel):
    """The S3 storage class of a repository's packs in each tier (backup.storage_classes)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    hot: str = Field("STANDARD", description="packs of recent and upcoming weddings")
    warm: str = Field("STANDARD_IA", description="packs older than backup.hot_days")
    cold: str = Field("GLACIER_IR", description="packs older than backup.warm_days")

    @model_validator(mode="after")
    def _instant_and_in_order(self) -> StorageClasses:
        allowed = ", ".join(INSTANT_STORAGE_CLASSES)
        for tier in ("hot", "warm", "cold"):
            name = getattr(self, tier)
            if name in _REFUSED_STORAGE_CLASSES:
                raise ValueError(
                    f"backup.storage_classes.{tier} {name} {_REFUSED_STORAGE_CLASSES[name]}; "
                    f"verify and restore read packs directly: use one of {allowed}"
                )
            if name not in INSTANT_STORAGE_CLASSES:
                raise ValueError(
                    f"backup.storage_classes.{tier} {name[:40]!r} is not an S3 storage class "
                    f"trousseau tiers use: use one of {allowed} (upper case)"
                )
        order = [INSTANT_STORAGE_CLASSES.index(c) for c in (self.hot, self.warm, self.cold)]
        if order != sorted(order):
            raise ValueError(
                f"backup.storage_classes hot {self.hot}, warm {self.warm}, cold {self.cold} go "
                f"backwards: S3 lifecycle moves objects only in the order {allowed}"
            )
        return self


class BackupSettings(BaseModel):
    """Where backups go, how they are opened, how long they are kept."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    targets: tuple[str, ...] = Field(
        (),
        description="repository URLs (a directory, file:///…, s3://bucket/prefix?…): the first "
        "is the primary, the others are replicas",
    )
    passphrase: SecretStr | None = Field(
        None,
        description="opens the repository's key; TROUSSEAU_BACKUP__PASSPHRASE, never an argument",
    )
    passphrase_file: Path | None = Field(None, description="a file holding the passphrase")
    copies: int = Field(
        3, ge=1, description="copies of every original wanted, counting the vault (a report says)"
    )
    lag_target_seconds: float = Field(
        60.0,
        gt=0,
        le=MAX_SECONDS,
        description="a change not backed up after this long is late (alert, status)",
    )
    ingest_waits_above: float = Field(
        0.5,
        ge=0,
        description="seconds a followed backup (`backup run --follow`) may fall behind before "
        "a bulk ingest waits for it between files; 0 never waits",
    )
    pack_size_mb: int = Field(16, ge=1, le=512, description="target size of a pack file")
    hot_days: int = Field(30, ge=0, description="weddings this recent (or upcoming) are hot")
    warm_days: int = Field(365, ge=0, description="weddings older than this are cold")
    storage_classes: StorageClasses = Field(
        default_factory=StorageClasses, description="S3 storage class of packs per tier"
    )
    keep_last: int = Field(10, ge=0)
    keep_hourly: int = Field(48, ge=0)
    keep_daily: int = Field(30, ge=0)
    keep_weekly: int = Field(12, ge=0)
    keep_monthly: int = Field(24, ge=0)
    keep_yearly: int = Field(10, ge=0)

    @model_validator(mode="after")
    def _tiers_in_order(self) -> BackupSettings:
        if self.warm_days < self.hot_days:
            raise ValueError(
                f"backup.warm_days ({self.warm_days}) must not be less than backup.hot_days "
                f"({self.hot_days})"
            )
        return self


class FormsSettings(BaseModel):
    """Limits on one PDF read as a form: larger or slower documents are refused, not read."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    max_bytes: int = Field(100_000_000, ge=1, description="larger PDFs are refused")
    max_pages: int = Field(2000, ge=1, description="PDFs with more pages are refused")
    timeout_seconds: float = Field(
        120.0, gt=0, description="reading one PDF longer than this stops with an error"
    )


class FreezeSettings(BaseModel):
    """Deploy protection: where its policy file is (windows, regions, freezes)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    policy: Path | None = Field(
        None, description="the policy file (TOML); unset: trousseau's default policy"
    )


class PlanningSettings(BaseModel):
    """Capacity planning: the load factors file, the replica bounds, prices."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    factors: Path | None = Field(
        None, description="the load factors file (TOML); unset: trousseau's default"
    )
    min_replicas: int = Field(5, ge=0, description="workers never fewer than this")
    max_replicas: int = Field(50, ge=1, description="workers never more than this")
    emergency_floor: int = Field(
        20, ge=0, description="workers held while the emergency switch is on"
    )
    slot_minutes: int = Field(15, ge=1, le=60, description="the plan's time step (divides an hour)")
    lead_seconds: int = Field(
        180,
        ge=0,
        le=MAX_SECONDS,
        description="a worker pod's longest start: floors rise this early",
    )
    price_per_hour: float = Field(0.10, ge=0, description="an on-demand worker-hour")
    spot_price_per_hour: float = Field(0.03, ge=0, description="a spot worker-hour")
    hourly_cost_cap: float | None = Field(
        None, gt=0, description="alert when a plan's hour costs more"
    )

    @model_validator(mode="after")
    def _bounds(self) -> PlanningSettings:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"planning.min_replicas ({self.min_replicas}) is above max_replicas "
                f"({self.max_replicas})"
            )
        if 60 % self.slot_minutes:
            raise ValueError(f"planning.slot_minutes ({self.slot_minutes}) must divide an hour")
        return self


class ReceiverSettings(BaseModel):
    """Where alerts of some severities go. Secrets by reference only: files Alertmanager
    reads (a PagerDuty routing key, a Slack webhook URL, an SMTP password, a webhook bearer
    token), never the secret itself."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, populate_by_name=True
    )

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["pagerduty", "slack", "email", "webhook"]
    severities: tuple[Literal["emergency", "critical", "warning"], ...] = ("emergency",)
    escalation: bool = Field(
        False, description="also the second stage: told when an EMERGENCY persists"
    )
    routing_key_file: Path | None = None
    api_url_file: Path | None = None
    channel: str | None = None
    to: str | None = None
    sender: str | None = Field(None, alias="from")
    smarthost: str | None = None
    auth_username: str | None = None
    auth_password_file: Path | None = None
    url: str | None = None
    credentials_file: Path | None = None

    @model_validator(mode="after")
    def _references(self) -> ReceiverSettings:
        needs = {
            "pagerduty": ("routing_key_file",),
            "slack": ("api_url_file",),
            "email": ("to", "sender", "smarthost"),
            "webhook": ("url",),
        }[self.kind]
        missing = [f for f in needs if getattr(self, f) is None]
        if missing:
            raise ValueError(f"receiver {self.name!r} ({self.kind}) needs {', '.join(missing)}")
        if self.url and ("@" in self.url.split("/")[2] if "//" in self.url else False):
            raise ValueError(
                f"receiver {self.name!r}: the webhook URL carries credentials; put the token "
                "in a file and name it in credentials_file"
            )
        return self


class OpsSettings(BaseModel):
    """Wedding-day operations: the emergency switch, alert thresholds, receivers."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    drill_every_days: float = Field(
        7.0, gt=0, le=90, description="restore drills are expected this often (alert after)"
    )

    emergency_hours: float = Field(
        6.0, ge=1 / 60, le=48, description="the switch turns itself off after (a minute or more)"
    )
    emergency_paused_slas: tuple[str, ...] = Field(
        ("standard",), description="SLA classes not claimed while the switch is on"
    )
    receivers: tuple[ReceiverSettings, ...] = Field(
        (), description="where alerts go, by severity (empty: nowhere yet)"
    )
    certificates: tuple[str, ...] = Field(
        (), description="host:port of TLS endpoints whose certificate expiry is watched"
    )
    escalation_minutes: dict[str, float] = Field(
        default_factory=lambda: {"emergency": 15.0, "critical": 30.0, "warning": 240.0},
        description="a severity's alerts that persist this long reach the next level",
    )
    same_day_slack_seconds: float = Field(
        600,
        gt=0,
        le=MAX_SECONDS,
        description="alert when the oldest same-day job is due sooner (NORMAL)",
    )
    next_day_slack_seconds: float = Field(
        1800,
        gt=0,
        le=MAX_SECONDS,
        description="alert when the oldest next-day job is due sooner (NORMAL)",
    )
    failure_ratio: float = Field(0.05, gt=0, le=1, description="dead-letter share alerted (NORMAL)")
    api_error_ratio: float = Field(0.05, gt=0, le=1, description="5xx share alerted (NORMAL)")
    vault_free_gb: float = Field(100, gt=0, description="alert below this free disk (NORMAL)")
    slo_targets: dict[str, float] = Field(
        default_factory=lambda: {"same-day": 0.999, "next-day": 0.995},
        description="per SLA class, the share of jobs that must meet their deadline",
    )
    sensitivity: float = Field(
        0.6,
        gt=0,
        le=1,
        description="alert thresholds at HIGH and MAXIMUM protection, as a share of NORMAL's",
    )


class AnalysisSettings(BaseModel):
    """Culling and faces. Face analysis is opt-in per wedding (privacy): `faces_default`
    turns it on for weddings that do not say."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    culling: bool = Field(
        True,
        description="measure every photo's culling signals after its variants (a quality job)",
    )
    faces_default: bool = Field(
        False, description="analyse faces in weddings created without a choice"
    )
    face_threshold: float = Field(
        0.42,
        gt=0,
        lt=1,
        description="least cosine likeness of two faces of one person (SFace embeddings)",
    )


class RegionSettings(BaseModel):
    """One region's stores: the only places its weddings' data may be written."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    vault_url: str = Field(min_length=1, description="the region's vault")
    catalog_url: str = Field("", description="the region's catalog (checked when given)")
    backup_targets: tuple[str, ...] = Field((), description="the region's backup targets")
    vault_replicas: tuple[str, ...] = Field((), description="the region's vault replicas")
    endpoint: str = Field("", description="the region's service URL, told to clients")

    def stores(self) -> list[str]:
        return [
            u
            for u in (self.vault_url, self.catalog_url, *self.backup_targets, *self.vault_replicas)
            if u
        ]


class ResidencySettings(BaseModel):
    """Data residency: this node's region and every region's stores. Off ("" region) for a
    single-region installation."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    region: str = Field("", description="this node's region (empty: residency off)")
    regions: dict[str, RegionSettings] = Field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.region)

    def store_region(self, url: str) -> str | None:
        """The region whose stores include `url`, or None."""
        for name, region in self.regions.items():
            if any(_same_store(url, store) for store in region.stores()):
                return name
        return None

    def guard(self, wedding: str, region: str | None) -> None:
        """WrongRegion when a wedding of another region is written through this node."""
        if not self.enabled or region is None or region == self.region:
            return
        endpoint = self.regions[region].endpoint if region in self.regions else ""
        where = f" at {endpoint}" if endpoint else ""
        raise WrongRegion(
            f"wedding {wedding!r} lives in region {region!r} and this node serves "
            f"{self.region!r}: its data may not be stored here; send it to the {region!r} "
            f"service{where}",
            region=region,
            endpoint=endpoint or None,
        )


def _same_store(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def residency_problems(settings: Settings) -> list[str]:
    """What in the settings would send a region's data elsewhere (empty: none)."""
    r = settings.residency
    problems: list[str] = []
    if not r.enabled:
        if r.regions:
            problems.append(
                "residency.regions is set but residency.region (this node's region) is not"
            )
        return problems
    if r.region not in r.regions:
        known = ", ".join(sorted(r.regions)) or "none"
        return [f"residency.region {r.region!r} is not one of residency.regions ({known})"]
    mine = r.regions[r.region]
    if not _same_store(settings.vault_url, mine.vault_url):
        problems.append(
            f"the vault {redact_url(settings.vault_url)} is not region {r.region!r}'s vault "
            f"({redact_url(mine.vault_url)})"
        )
    if mine.catalog_url and not _same_store(settings.catalog_url, mine.catalog_url):
        problems.append(
            f"the catalog {redact_url(settings.catalog_url)} is not region {r.region!r}'s "
            f"catalog ({redact_url(mine.catalog_url)})"
        )
    for replica in settings.vault_replicas:
        if not any(_same_store(replica, r) for r in mine.vault_replicas):
            owner = r.store_region(replica)
            problems.append(
                f"the vault replica {redact_url(replica)} is not one of region {r.region!r}'s"
                + (f" (it is region {owner!r}'s)" if owner else "")
            )
    for target in settings.backup.targets:
        if not any(_same_store(target, t) for t in mine.backup_targets):
            owner = r.store_region(target)
            problems.append(
                f"the backup target {redact_url(target)} is not one of region {r.region!r}'s"
                + (f" (it is region {owner!r}'s)" if owner else "")
            )
    seen: dict[str, str] = {}
    for name, region in sorted(r.regions.items()):
        for store in region.stores():
            key = store.rstrip("/")
            if key in seen and seen[key] != name:
                problems.append(
                    f"the store {redact_url(store)} is listed by regions {seen[key]!r} and "
                    f"{name!r}: each store belongs to one region"
                )
            seen.setdefault(key, name)
    return problems


class Settings(BaseSettings):
    """Everything trousseau reads from its environment, validated once at start."""

    model_config = SettingsConfigDict(
        env_prefix="TROUSSEAU_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
    )

    data_dir: Path = Field(
        Path("trousseau-data"), description="home of the default catalog and vault"
    )
    catalog_url: str = Field("", description="sqlite:///path or postgresql+psycopg://…")
    vault_url: str = Field("", description="file:///path, s3://bucket/prefix or memory://")
    vault_replicas: tuple[str, ...] = Field(
        (), description="vaults every blob is also written to before it is acknowledged"
    )
    tenant: str = Field("default", min_length=1, description="tenant used by the CLI")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=0)
    sla_classes: dict[str, timedelta] = Field(default_factory=lambda: dict(DEFAULT_SLA_CLASSES))
    default_sla: str = "standard"
    auto_migrate: bool = Field(True, description="upgrade the catalog on start when safe")
    sqlite_busy_timeout_ms: int = Field(10_000, ge=0)
    jobs: JobSettings = Field(default_factory=JobSettings)
    imaging: ImagingSettings = Field(default_factory=ImagingSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    forms: FormsSettings = Field(default_factory=FormsSettings)
    freeze: FreezeSettings = Field(default_factory=FreezeSettings)
    planning: PlanningSettings = Field(default_factory=PlanningSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    residency: ResidencySettings = Field(default_factory=ResidencySettings)

    @field_validator("sla_classes")
    @classmethod
    def _positive_slas(cls, value: dict[str, timedelta]) -> dict[str, timedelta]:
        if not value:
            raise ValueError("at least one SLA class is needed")
        for name, delay in value.items():
            if delay <= timedelta(0):
                raise ValueError(f"SLA class {name!r} must allow a positive delay, got {delay}")
            if delay > MAX_SLA_DELAY:
                raise ValueError(
                    f"SLA class {name!r} allows {delay.days} days, more than the "
                    f"{MAX_SLA_DELAY.days} a deadline may lie ahead: give a shorter delay"
                )
        return value

    @model_validator(mode="after")
    def _fill_urls(self) -> Settings:
        if self.default_sla not in self.sla_classes:
            known = ", ".join(sorted(self.sla_classes))
            raise ValueError(f"default_sla {self.default_sla!r} is not one of: {known}")
        try:
            data_dir = self.data_dir.expanduser().absolute()
        except RuntimeError:  # "~someone" whose home this system does not know
            raise ValueError(
                f"data_dir {str(self.data_dir)[:100]!r} starts with a home this system does "
                "not know: give an absolute path"
            ) from None
        object.__setattr__(self, "data_dir", data_dir)
        if not self.catalog_url:
            object.__setattr__(self, "catalog_url", f"sqlite:///{data_dir / 'catalog.sqlite3'}")
        if not self.vault_url:
            object.__setattr__(self, "vault_url", (data_dir / "vault").as_uri())
        problems = residency_problems(self)
        if problems:
            raise ValueError(
                "data residency: " + "; ".join(problems) + ": fix the settings so each "
                "region's data goes only to its own stores"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = config_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if "TROUSSEAU_CONFIG" in os.environ and not toml_path.is_file():
            raise SettingsError(
                f"TROUSSEAU_CONFIG names {toml_path}, which is not a file: fix the path or unset it"
            )
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def sla_delay(self, sla: str) -> timedelta:
        """The delay promised by an SLA class, or a SettingsError naming the known classes."""
        try:
            return self.sla_classes[sla]
        except KeyError:
            known = ", ".join(sorted(self.sla_classes))
            raise SettingsError(f"unknown SLA class {sla!r}: use one of {known}") from None

    def redacted(self) -> dict[str, Any]:
        """Settings safe to print: passwords in URLs are masked."""
        data = self.model_dump(mode="json")
        for key in ("catalog_url", "vault_url"):
            data[key] = redact_url(data[key])
        data["backup"]["targets"] = [redact_url(url) for url in data["backup"]["targets"]]
        return data


def redact_url(url: str) -> str:
    """Mask the password part of a URL so it can be logged."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    creds, _, host = rest.partition("@")
    if ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def config_path() -> Path:
    """The TOML file settings are read from: TROUSSEAU_CONFIG, else ./trousseau.toml."""
    return Path(os.environ.get("TROUSSEAU_CONFIG", "trousseau.toml"))


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning every way outside input can be wrong (validation, a variable
    that is not JSON, a config file that is not TOML or cannot be read) into one readable
    SettingsError."""
    try:
        return Settings(**overrides)
    except SourceError as exc:  # a TROUSSEAU_* variable of a nested field that is not JSON
        cause = str(exc.__cause__ or "")[:200]
        raise SettingsError(
            f"invalid settings: {exc} ({cause}): give nested settings as JSON, e.g. "
            'TROUSSEAU_SLA_CLASSES=\'{"standard": "P1D"}\', or set one field with '
            "TROUSSEAU_JOBS__LEASE_SECONDS=60"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"invalid settings: {config_path()} is not a UTF-8 TOML file ({exc}): fix it"
        ) from None
    except OSError as exc:
        raise SettingsError(
            f"invalid settings: {config_path()} cannot be read ({exc.strerror or exc}): check "
            "its permissions"
        ) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


def read_data_file(path: Path, *, what: str, setting: str) -> dict[str, Any]:
    """A TOML data file a setting names (a policy, load factors), read into a mapping;
    SettingsError naming the file, the cause and the setting to check."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(
            f"{what} {path} cannot be read ({exc.strerror or exc}): check {setting}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{what} {path}: not valid TOML ({exc})") from None
