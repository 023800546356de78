"""One slug rule for every road that creates a tenant or a wedding."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.catalog import SLUG_PATTERN, check_slug, create_wedding, ensure_tenant, get_tenant
from trousseau.errors import InvalidValue, NotFound


@pytest.mark.parametrize(
    "slug",
    ["", "Smith/Jones 2026", "..", ".hidden", "-x", "a" * 129, "é", "a\x00", "a\n", "\uff11"],
)
def test_unaddressable_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidValue, match="cannot be a wedding slug: use 1 to 128 lower-case"):
        check_slug(slug)


@pytest.mark.parametrize("slug", ["smith-jones-2026", "a", "0", "a.b_c-d", "z" * 128])
def test_usable_slugs_pass(slug: str) -> None:
    assert check_slug(slug) == slug


@given(st.text())
def test_an_accepted_slug_is_a_url_segment_as_it_is(slug: str) -> None:
    try:
        check_slug(slug)
    except InvalidValue:
        assert not re.fullmatch(SLUG_PATTERN.strip("^$"), slug, re.ASCII)
        return
    assert quote(slug, safe="") == slug and slug not in (".", "..")
    assert re.match(SLUG_PATTERN, slug)


def test_the_catalog_refuses_a_bad_slug_whoever_asks(catalog, clock) -> None:
    with catalog.begin() as conn:
        owner = ensure_tenant(conn, "studio-a", now=clock())
        with pytest.raises(InvalidValue, match="'Smith/Jones 2026' cannot be a wedding slug"):
            create_wedding(
                conn,
                owner.id,
                "Smith/Jones 2026",
                on=date(2026, 6, 13),
                timezone="UTC",
                delivery_sla="standard",
                now=clock(),
            )
        with pytest.raises(InvalidValue, match="cannot be a tenant slug"):
            ensure_tenant(conn, "Studio A", now=clock())
        with pytest.raises(InvalidValue, match="cannot be a tenant slug"):
            ensure_tenant(conn, "a\x00b", now=clock())
        with pytest.raises(NotFound):
            get_tenant(conn, "a\x00b")
