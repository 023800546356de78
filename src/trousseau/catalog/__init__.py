"""The catalog: schema, migrations and query functions per noun, on SQLite or PostgreSQL."""

from trousseau.catalog.apikeys import (
    ApiKey,
    IssuedKey,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
    verify_api_key,
)
from trousseau.catalog.database import Catalog, open_catalog
from trousseau.catalog.events import Event, recent_events, record_event
from trousseau.catalog.migrate import current_revision, head_revision, upgrade
from trousseau.catalog.photos import (
    FAILED,
    PROCESSED,
    STORED,
    Photo,
    count_photos_by_state,
    find_photo,
    get_photo,
    insert_photo,
    iter_photos,
    set_photo_rendering,
    set_photo_state,
)
from trousseau.catalog.tenants import Tenant, ensure_tenant, get_tenant
from trousseau.catalog.variants import Variant, iter_variants, record_variant, variants_of
from trousseau.catalog.weddings import (
    Wedding,
    check_timezone,
    create_wedding,
    find_wedding,
    get_wedding,
    list_weddings,
)

__all__ = [
    "FAILED",
    "PROCESSED",
    "STORED",
    "ApiKey",
    "Catalog",
    "Event",
    "IssuedKey",
    "Photo",
    "Tenant",
    "Variant",
    "Wedding",
    "check_timezone",
    "count_photos_by_state",
    "create_api_key",
    "create_wedding",
    "current_revision",
    "ensure_tenant",
    "find_photo",
    "find_wedding",
    "get_api_key",
    "get_photo",
    "get_tenant",
    "get_wedding",
    "head_revision",
    "insert_photo",
    "iter_photos",
    "iter_variants",
    "list_api_keys",
    "list_weddings",
    "open_catalog",
    "recent_events",
    "record_event",
    "record_variant",
    "revoke_api_key",
    "set_photo_rendering",
    "set_photo_state",
    "upgrade",
    "variants_of",
    "verify_api_key",
]
