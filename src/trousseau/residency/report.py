"""Where every blob of every wedding lives, and which are out of place.

A wedding's data lives in its node's vault and in the backup targets (the primary and its
replicas); each of those stores belongs to a region (`residency.regions`). A wedding is in
place when every store holding its blobs is its region's. Flags name what is not: a wedding
without a region, a store of another region, a store no region declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from trousseau.backup import WeddingCopies
from trousseau.catalog import Catalog, every_wedding, wedding_blobs
from trousseau.settings import ResidencySettings, Settings, redact_url


@dataclass(frozen=True)
class Store:
    """A place blobs are written: its URL (passwords masked), role and region."""

    url: str
    role: str
    region: str | None


@dataclass
class WeddingPlace:
    tenant: str
    wedding: str
    region: str | None
    tenant_id: int = 0
    blobs: int = 0
    bytes: int = 0
    stores: list[Store] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    blob_list: list[tuple[str, str, str]] = field(default_factory=list)
    """(sha256, role, name) of each blob, when asked for."""
    backup_copies: list[str] | None = None
    """The backup targets whose latest snapshot holds every blob (None: not checked)."""
    in_vault: bool | None = None
    """Whether the vault holds every blob (None: not checked)."""

    @property
    def in_place(self) -> bool:
        return not self.problems


def stores_of(settings: Settings) -> list[Store]:
    """The stores this node writes a wedding's blobs to, with their regions."""
    r = settings.residency
    found = [Store(redact_url(settings.vault_url), "vault", r.store_region(settings.vault_url))]
    for replica in settings.vault_replicas:
        found.append(Store(redact_url(replica), "vault replica", r.store_region(replica)))
    for index, target in enumerate(settings.backup.targets):
        role = "backup" if index == 0 else "backup replica"
        found.append(Store(redact_url(target), role, r.store_region(target)))
    return found


def judge(region: str | None, stores: Sequence[Store], residency: ResidencySettings) -> list[str]:
    """Why a wedding of `region` held in `stores` is out of place (pure; empty: in place)."""
    if not residency.enabled:
        return []
    if region is None:
        return ["the wedding has no region: set one so its data is pinned"]
    problems = []
    if region not in residency.regions:
        problems.append(f"region {region!r} is not one of residency.regions")
    for store in stores:
        if store.region is None:
            problems.append(f"{store.role} {store.url} belongs to no region")
        elif store.region != region:
            problems.append(f"{store.role} {store.url} is region {store.region!r}'s")
    return problems


def residency_report(
    settings: Settings,
    catalog: Catalog,
    *,
    with_blobs: bool = False,
    copies: Sequence[WeddingCopies] | None = None,
) -> list[WeddingPlace]:
    """Every wedding of the catalog with where its blobs live, and what is out of place;
    with `copies` (`backup.gather_copies`), which backup targets hold each wedding whole."""
    stores = stores_of(settings)
    places: dict[int, WeddingPlace] = {}
    with catalog.begin() as conn:
        for tenant_slug, w in every_wedding(conn):
            places[w.id] = WeddingPlace(
                tenant_slug, w.slug, w.region, tenant_id=w.tenant_id, stores=list(stores)
            )
        for blob in wedding_blobs(conn):
            place = places.get(blob.wedding_id)
            if place is None:
                continue
            place.blobs += 1
            place.bytes += blob.size
            if with_blobs:
                place.blob_list.append((blob.sha256, str(blob.role), blob.name))
    held = {(c.tenant, c.wedding): c for c in copies or ()}
    for wedding_id, place in places.items():
        place.problems = judge(place.region, stores, settings.residency)
        if copies is not None:
            found = held.get((str(place.tenant_id), str(wedding_id)))
            place.backup_copies = list(found.targets) if found else []
            place.in_vault = found.in_vault if found else place.blobs == 0
    return list(places.values())


def out_of_place(places: Iterable[WeddingPlace]) -> list[WeddingPlace]:
    return [p for p in places if not p.in_place]
