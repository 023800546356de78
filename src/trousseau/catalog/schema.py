"""The catalog's tables (SQLAlchemy Core). Alembic migrations create and evolve them.

Every row that belongs to a studio carries `tenant_id`, so each query can be scoped by it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)

from trousseau.catalog.types import Id, Json, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

tenant = Table(
    "tenant",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wedding = Table(
    "wedding",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("slug", String(128), nullable=False),
    Column("title", Text, nullable=False),
    Column("date", Date, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("region", String(64), nullable=True),
    Column("delivery_sla", String(32), nullable=False),
    Column("expected_photos", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ceremony_time", Time, nullable=True),
    Column("culture", String(32), nullable=True),
    Column("guests", Integer, nullable=True),
    Column("faces", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("tenant_id", "slug"),
)

photo = Table(
    "photo",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("original_name", Text, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("format", String(16), nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("captured_at", DateTime(timezone=False), nullable=True),
    Column("camera", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("placeholder", String(64), nullable=True),
    Column("colours", Json, nullable=True),
    UniqueConstraint("wedding_id", "sha256"),
    Index(None, "sha256"),
    Index(None, "tenant_id", "wedding_id", "state"),
)

variant = Table(
    "variant",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("photo_id", Id, ForeignKey("photo.id"), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("photo_id", "profile"),
    Index(None, "sha256"),
)

job = Table(
    "job",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=True),
    Column("kind", String(64), nullable=False),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=True),
    Column("photo_id", Id, ForeignKey("photo.id"), nullable=True),
    Column("payload", Json, nullable=False),
    Column("key", String(200), nullable=True, unique=True),
    Column("sla", String(32), nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", UTCDateTime, nullable=False),
    Column("lease_owner", String(128), nullable=True),
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Index(
        "ix_job_claim",
        "deadline",
        "id",
        postgresql_where=text("state = 'queued'"),
        sqlite_where=text("state = 'queued'"),
    ),
    Index(
        "ix_job_lease",
        "lease_expires_at",
        postgresql_where=text("state = 'running'"),
        sqlite_where=text("state = 'running'"),
    ),
    Index(None, "state", "sla"),
    Index(None, "wedding_id", "state"),
    Index(None, "photo_id"),
)

event = Table(
    "event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("tenant_id", Id, nullable=True),
    Column("wedding_id", Id, nullable=True),
    Column("photo_id", Id, nullable=True),
    Column("job_id", Id, nullable=True),
    Column("kind", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("data", Json, nullable=True),
    Index(None, "at"),
    Index(None, "wedding_id", "at"),
    Index(None, "kind"),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("scopes", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index(None, "tenant_id"),
)

upload = Table(
    "upload",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("upload_metadata", Text, nullable=True),
    Column("photo_id", Id, ForeignKey("photo.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

worker = Table(
    "worker",
    metadata,
    Column("owner", String(128), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("process", String(128), nullable=True),
    Column("mode", String(32), nullable=False),
    Column("slots", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Index(None, "last_seen_at"),
)

form_document = Table(
    "form_document",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("filename", Text, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("result", Json, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    UniqueConstraint("wedding_id", "sha256"),
    Index(None, "sha256"),
    Index(None, "tenant_id", "wedding_id", "status"),
)
"""A vendor's PDF form sent for a wedding: the original kept in the vault by its SHA-256
(a failed one too, for inspection), and what reading it found (`result`) or why it could
not be read (`error`)."""

backup_change = Table(
    "backup_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, nullable=False),
    Column("wedding_id", Id, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("deadline", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "tenant_id", "id"),
    # A log read by position: an id is never handed out twice, even once the newest rows
    # are pruned (SQLite would otherwise reuse the largest rowid).
    sqlite_autoincrement=True,
)
"""The change log: every vault blob and catalog change a backup must carry, in the
transaction that made it; `id` is the order. No foreign keys: a log outlives its subjects."""

backup_cursor = Table(
    "backup_cursor",
    metadata,
    Column("repository", String(255), primary_key=True),
    Column("last_change_id", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""How far each backup repository has got: every change up to `last_change_id` is in it."""

backup_done = Table(
    "backup_done",
    metadata,
    Column("repository", String(255), primary_key=True),
    Column("change_id", BigInteger, primary_key=True),
)
"""Changes a repository holds beyond its cursor (taken out of order, earliest deadline
first); folded into the cursor as soon as the changes before them are done."""

freeze_override = Table(
    "freeze_override",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("environment", String(255), nullable=False),
    Column("service", String(255), nullable=False),
    Column("region", String(255), nullable=True),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(255), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("approved_by", String(255), nullable=True),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(255), nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("expiry_logged", Boolean, nullable=False, default=False),
    Index(None, "expires_at"),
    sqlite_autoincrement=True,
)
"""Emergency deploy overrides (two-person rule): requested, approved by someone else,
revoked; `expiry_logged` once its expiry is in the audit log."""

freeze_audit = Table(
    "freeze_audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("body", Json, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
"""The protection audit log: append-only, hash-chained (`seq` is the chain's order; two
writers racing for the same `seq` collide on the key and one retries)."""

emergency_switch = Table(
    "emergency_switch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("started_by", String(255), nullable=False),
    Column("floor", Integer, nullable=False),
    Column("paused_slas", Json, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("ended_by", String(255), nullable=True),
    Index(None, "until"),
    sqlite_autoincrement=True,
)
"""The emergency switch: while a row is in force (not ended, `until` ahead), the workers'
floor is raised to `floor`, protection is at MAXIMUM and the `paused_slas` classes are not
claimed."""


person = Table(
    "person",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("name", Text, nullable=True),
    Column("total", LargeBinary, nullable=False),
    Column("faces", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "wedding_id"),
)
"""A guest (or the couple) found in a wedding's photos: the sum of its faces' embeddings
(its centroid, for faces of new photos to join) and, once someone names it, a name."""

face = Table(
    "face",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", Id, ForeignKey("tenant.id"), nullable=False),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("photo_id", Id, ForeignKey("photo.id"), nullable=False),
    Column("person_id", Id, ForeignKey("person.id"), nullable=True),
    Column("x0", Float, nullable=False),
    Column("y0", Float, nullable=False),
    Column("x1", Float, nullable=False),
    Column("y1", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("embedding", LargeBinary, nullable=False),
    Column("sharpness", Float, nullable=True),
    Index(None, "wedding_id", "person_id"),
    Index(None, "photo_id"),
)
"""A face in a photo: its box in the upright original's pixels, the detector's score, its
sharpness (None for faces found before it was measured) and its embedding (never served by
the API: it identifies a person)."""

face_scan = Table(
    "face_scan",
    metadata,
    Column("photo_id", Id, ForeignKey("photo.id"), primary_key=True),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("faces", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("scanned_at", UTCDateTime, nullable=False),
    Index(None, "wedding_id"),
)
"""That a photo's faces were looked for (how many were found, or why it failed), so a
photo is scanned once and a wedding's new photos are found by what is missing here."""

photo_quality = Table(
    "photo_quality",
    metadata,
    Column("photo_id", Id, ForeignKey("photo.id"), primary_key=True),
    Column("wedding_id", Id, ForeignKey("wedding.id"), nullable=False),
    Column("source", String(64), nullable=True),
    Column("sharpness", Float, nullable=True),
    Column("motion_blur", Float, nullable=True),
    Column("mean_luminance", Float, nullable=True),
    Column("highlights", Float, nullable=True),
    Column("shadows", Float, nullable=True),
    Column("noise", Float, nullable=True),
    Column("keep_score", Float, nullable=True),
    Column("reasons", Json, nullable=True),
    Column("dhash", String(16), nullable=True),
    Column("error", Text, nullable=True),
    Column("measured_at", UTCDateTime, nullable=False),
    Index(None, "wedding_id"),
)
"""A photo's culling signals, measured once from a variant (`source`: its profile): the
quality figures, the keep_score with its reasons, and the difference hash bursts and
moments compare (16 hex digits); or, with every figure empty, why it could not be measured."""
