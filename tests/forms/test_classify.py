"""Field types from /FT and /Ff, and the document's form kind: pure decisions."""

from __future__ import annotations

import pytest

from trousseau.forms import FieldType, FormKind
from trousseau.forms.classify import (
    COMB,
    COMBO,
    MULTILINE,
    PUSHBUTTON,
    RADIO,
    field_type,
    form_kind,
)


@pytest.mark.parametrize(
    ("ft", "flags", "max_length", "expected"),
    [
        ("Tx", 0, None, FieldType.TEXT),
        ("Tx", MULTILINE, None, FieldType.MULTILINE),
        ("Tx", COMB, 9, FieldType.COMB),
        # The spec ignores Comb without /MaxLen.
        ("Tx", COMB, None, FieldType.TEXT),
        ("Btn", 0, None, FieldType.CHECKBOX),
        ("Btn", RADIO, None, FieldType.RADIO),
        ("Btn", RADIO | (1 << 14), None, FieldType.RADIO),  # NoToggleToOff
        ("Btn", PUSHBUTTON, None, FieldType.BUTTON),
        ("Ch", COMBO, None, FieldType.CHOICE),
        ("Ch", 0, None, FieldType.LIST),
        ("Sig", 0, None, FieldType.SIGNATURE),
        ("Xx", 0, None, None),
        (None, 0, None, None),
    ],
)
def test_field_type(
    ft: str | None, flags: int, max_length: int | None, expected: FieldType | None
) -> None:
    assert field_type(ft, flags, max_length) is expected


@pytest.mark.parametrize(
    ("fields", "xfa", "expected"),
    [
        (True, None, FormKind.ACROFORM),
        (False, None, FormKind.NONE),
        (False, "stream", FormKind.XFA_STREAM),
        (False, "array", FormKind.XFA_ARRAY),
        (True, "stream", FormKind.HYBRID),
        (True, "array", FormKind.HYBRID),
    ],
)
def test_form_kind(fields: bool, xfa: str | None, expected: FormKind) -> None:
    assert form_kind(fields, xfa) is expected
