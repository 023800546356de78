"""A wedding's free text is text every catalog can store: no NUL, no lone surrogate."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.catalog import check_text, create_wedding, ensure_tenant, list_weddings
from trousseau.errors import InvalidValue


def _create(conn, tenant_id: int, **text):
    return create_wedding(
        conn,
        tenant_id,
        "ana-ben",
        on=date(2026, 6, 13),
        timezone="UTC",
        delivery_sla="standard",
        now=text.pop("now"),
        **text,
    )


@pytest.mark.parametrize("field", ["title", "region"])
@pytest.mark.parametrize("value", ["Ana\x00Ben", "\x00", "Ana \ud800 Ben"])
def test_the_catalog_refuses_text_it_cannot_store_naming_the_field(
    catalog, clock, field: str, value: str
) -> None:
    with catalog.begin() as conn:
        owner = ensure_tenant(conn, "studio-a", now=clock())
        with pytest.raises(InvalidValue, match=f"the wedding's {field} "):
            _create(conn, owner.id, now=clock(), **{field: value})
    with catalog.begin() as conn:
        assert list_weddings(conn, owner.id) == []


def test_any_other_text_is_stored_as_it_is(catalog, clock) -> None:
    title, region = "Ana & Ben — 婚礼 😀\ttab\nline", "eu-west"
    with catalog.begin() as conn:
        owner = ensure_tenant(conn, "studio-a", now=clock())
        _create(conn, owner.id, now=clock(), title=title, region=region)
    with catalog.begin() as conn:
        (stored,) = list_weddings(conn, owner.id)
    assert (stored.title, stored.region) == (title, region)


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_check_text_refuses_exactly_nul_and_lone_surrogates(text: str) -> None:
    storable = "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    try:
        assert check_text(text, field="title") == text
    except InvalidValue as exc:
        assert not storable
        assert "title" in str(exc)
        str(exc).encode("utf-8")  # the message itself is storable, sendable text
    else:
        assert storable
