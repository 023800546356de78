"""Key ids are read strictly: one spelling per key, so `tr_02_<secret>` is not key 2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.catalog import create_api_key, ensure_tenant, parse_token, verify_api_key
from trousseau.catalog.apikeys import MAX_KEY_ID, format_token

SECRET = "a" * 43


@pytest.mark.parametrize(
    "key_id",
    [
        "02",  # a leading zero: key 2 spelt another way
        "0",  # no key is 0
        "00",
        "+2",
        "-2",
        " 2",
        "2 ",
        "\u0662",  # ARABIC-INDIC DIGIT TWO
        "\uff12",  # FULLWIDTH DIGIT TWO
        "\xb2",  # SUPERSCRIPT TWO
        "9" * 19,  # past the BIGINT ids
        "9" * 5000,  # past int()'s digit limit
    ],
)
def test_a_key_id_has_one_spelling(key_id: str) -> None:
    assert parse_token(f"tr_{key_id}_{SECRET}") is None


@pytest.mark.parametrize("key_id", [1, 2, 10, 999, MAX_KEY_ID])
def test_every_possible_id_reads_back(key_id: int) -> None:
    assert parse_token(format_token(key_id, SECRET)) == (key_id, SECRET)


TOKENISH = st.text() | st.builds("tr_{}_{}".format, st.text(), st.text())


@given(TOKENISH)
def test_any_text_is_a_token_or_none_and_a_token_is_spelt_one_way(text: str) -> None:
    parsed = parse_token(text)
    if parsed is not None:
        key_id, secret = parsed
        assert 1 <= key_id <= MAX_KEY_ID
        assert format_token(key_id, secret) == text


@given(st.integers(min_value=1, max_value=MAX_KEY_ID), st.from_regex(r"\A[A-Za-z0-9_-]{1,43}\Z"))
def test_ids_and_secrets_round_trip(key_id: int, secret: str) -> None:
    assert parse_token(format_token(key_id, secret)) == (key_id, secret)


def test_a_key_spelt_with_a_leading_zero_proves_nothing(catalog, clock) -> None:
    with catalog.begin() as conn:
        owner = ensure_tenant(conn, "studio-a", now=clock())
        issued = create_api_key(conn, owner.id, now=clock(), secret=SECRET)
        key_id = issued.key.id
        assert verify_api_key(conn, issued.token) == issued.key
        for spelling in (f"0{key_id}", f"00{key_id}", f"+{key_id}"):
            assert verify_api_key(conn, f"tr_{spelling}_{SECRET}") is None, spelling
