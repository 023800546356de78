"""API keys: how a studio's programs prove who they are to the HTTP API.

A key is `tr_<id>_<secret>`: the id finds the row, the secret (32 random bytes, base64url)
proves possession. Only the SHA-256 of the secret is stored, so a leaked catalog leaks no
usable key; the secret is shown once, when the key is created. A key belongs to one tenant
and carries scopes: "tenant" (the studio's own weddings, photos and variants) and, for
operators, "admin" (the queue and other operations endpoints).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, select, update

from trousseau.catalog.engine import inserted_id
from trousseau.catalog.schema import api_key, tenant
from trousseau.errors import NotFound

TENANT = "tenant"
ADMIN = "admin"
SCOPES = (TENANT, ADMIN)

KEY_PREFIX = "tr_"
SECRET_BYTES = 32
_MAX_TOKEN_LENGTH = 120
MAX_KEY_ID = 2**63 - 1
"""Ids are BIGINT; a larger one names no key."""
_TOKEN = re.compile(r"tr_([1-9][0-9]{0,18})_([A-Za-z0-9_-]+)", re.ASCII)
"""One spelling per key: ASCII digits without sign or leading zero (`tr_02_…` is not key 2),
then a base64url secret (what `new_secret` makes; nothing else can hash the same way twice)."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: int
    tenant_id: int
    tenant_slug: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedKey:
    """A key just created, with the token to hand over once and never again."""

    key: ApiKey
    token: str


def new_secret(randbytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh secret: 32 random bytes, base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(randbytes(SECRET_BYTES)).rstrip(b"=").decode("ascii")


def hash_secret(secret: str) -> str:
    """What the catalog stores in place of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def format_token(key_id: int, secret: str) -> str:
    """The token a client sends: `tr_<id>_<secret>`."""
    return f"{KEY_PREFIX}{key_id}_{secret}"


def parse_token(token: str) -> tuple[int, str] | None:
    """(key id, secret) of a well-formed token, None for anything else.

    Strict, so each key has exactly one token: `str.isdigit()` would also take "02", "²" or
    "٢" (and `int()` some of those) as an id, and a secret outside base64url is none we made.
    """
    match = _TOKEN.fullmatch(token) if len(token) <= _MAX_TOKEN_LENGTH else None
    if match is None or int(match.group(1)) > MAX_KEY_ID:
        return None
    return int(match.group(1)), match.group(2)


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes as a set, always including "tenant"; ValueError for an unknown one."""
    chosen = frozenset(scopes) | {TENANT}
    unknown = chosen - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}: use {', '.join(SCOPES)}")
    return chosen


def _select() -> Select[Any]:
    return select(api_key, tenant.c.slug.label("tenant_slug")).join(
        tenant, tenant.c.id == api_key.c.tenant_id
    )


def _from_row(row: Row[Any]) -> ApiKey:
    m = row._mapping
    return ApiKey(
        id=m["id"],
        tenant_id=m["tenant_id"],
        tenant_slug=m["tenant_slug"],
        name=m["name"],
        scopes=frozenset(m["scopes"].split()),
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


def get_api_key(conn: Connection, key_id: int) -> ApiKey:
    """One key by id (revoked or not), or NotFound."""
    row = conn.execute(_select().where(api_key.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"no API key {key_id}: `trousseau keys list` shows the keys")
    return _from_row(row)


def create_api_key(
    conn: Connection,
    tenant_id: int,
    *,
    now: datetime,
    name: str = "",
    scopes: Iterable[str] = (TENANT,),
    secret: str | None = None,
) -> IssuedKey:
    """Store a new key for the tenant and return it with its token (shown once)."""
    chosen = check_scopes(scopes)
    secret = secret or new_secret()
    key_id = inserted_id(
        conn.execute(
            api_key.insert().values(
                tenant_id=tenant_id,
                name=name,
                secret_sha256=hash_secret(secret),
                scopes=" ".join(s for s in SCOPES if s in chosen),
                created_at=now,
            )
        )
    )
    return IssuedKey(key=get_api_key(conn, key_id), token=format_token(key_id, secret))


def verify_api_key(conn: Connection, token: str) -> ApiKey | None:
    """The active key this token proves, or None (malformed, unknown, revoked, wrong secret).

    The secret's hash is compared in constant time, so timing tells nothing about it.
    """
    parsed = parse_token(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    row = conn.execute(_select().where(api_key.c.id == key_id)).first()
    offered = hash_secret(secret)
    stored = row._mapping["secret_sha256"] if row is not None else "0" * 64
    if not hmac.compare_digest(offered, stored) or row is None:
        return None
    key = _from_row(row)
    return key if key.active else None


def list_api_keys(conn: Connection, *, tenant_id: int | None = None) -> list[ApiKey]:
    """Keys in creation order, of one tenant or all; never their secrets."""
    query = _select().order_by(api_key.c.id)
    if tenant_id is not None:
        query = query.where(api_key.c.tenant_id == tenant_id)
    return [_from_row(r) for r in conn.execute(query)]


def revoke_api_key(conn: Connection, key_id: int, *, now: datetime) -> ApiKey:
    """Revoke a key from now on (a revoked key stays revoked); NotFound if there is none."""
    existing = get_api_key(conn, key_id)
    if existing.active:
        conn.execute(update(api_key).where(api_key.c.id == key_id).values(revoked_at=now))
    return get_api_key(conn, key_id)
