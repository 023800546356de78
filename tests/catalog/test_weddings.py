"""Weddings: read by id within a tenant, and by a range of dates."""

from __future__ import annotations

from datetime import date

from trousseau.catalog import create_wedding, ensure_tenant, wedding_slug, weddings_dated


def test_a_weddings_slug_is_read_only_within_its_tenant(catalog, clock):
    with catalog.begin() as conn:
        a = ensure_tenant(conn, "studio-a", now=clock())
        b = ensure_tenant(conn, "studio-b", now=clock())
        wedding = create_wedding(
            conn,
            a.id,
            "ana-ben",
            on=date(2026, 6, 13),
            timezone="UTC",
            delivery_sla="standard",
            now=clock(),
        )
        assert wedding_slug(conn, tenant_id=a.id, wedding_id=wedding.id) == "ana-ben"
        assert wedding_slug(conn, tenant_id=b.id, wedding_id=wedding.id) is None
        assert wedding_slug(conn, tenant_id=a.id, wedding_id=wedding.id + 1) is None


def test_weddings_dated_in_a_range_come_by_date_then_slug(catalog, clock):
    with catalog.begin() as conn:
        a = ensure_tenant(conn, "studio-a", now=clock())
        b = ensure_tenant(conn, "studio-b", now=clock())
        for tenant, slug, day in [
            (a, "before", 11),
            (a, "zoe-yan", 12),
            (a, "late", 14),
            (a, "ana-ben", 14),
            (a, "cleo-dan", 12),
            (a, "after", 15),
            (b, "theirs", 13),
        ]:
            create_wedding(
                conn,
                tenant.id,
                slug,
                on=date(2026, 6, day),
                timezone="Asia/Tokyo",
                delivery_sla="standard",
                now=clock(),
            )
        found = weddings_dated(
            conn, tenant_id=a.id, first=date(2026, 6, 12), last=date(2026, 6, 14)
        )
    assert [(w.slug, w.date.day) for w in found] == [
        ("cleo-dan", 12),
        ("zoe-yan", 12),
        ("ana-ben", 14),
        ("late", 14),
    ]
    assert all(w.tenant_id == a.id and w.timezone == "Asia/Tokyo" for w in found)
