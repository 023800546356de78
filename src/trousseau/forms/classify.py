"""Pure decisions about a form: a field's type from its /FT and /Ff, the document's form kind.

The flag bits are those of ISO 32000-2, 12.7.4 (bit n is 1 << (n - 1)).
"""

from __future__ import annotations

from trousseau.forms.model import FieldType, FormKind

READ_ONLY = 1 << 0
REQUIRED = 1 << 1
MULTILINE = 1 << 12
PUSHBUTTON = 1 << 16
RADIO = 1 << 15
COMBO = 1 << 17
COMB = 1 << 24


def field_type(ft: str | None, flags: int, max_length: int | None = None) -> FieldType | None:
    """The type of a field from its field type name (`Tx`, `Btn`, `Ch`, `Sig`, without the
    slash) and flags, or None for a field type the spec does not know.

    A comb text field is one with the Comb flag and a /MaxLen (the spec ignores the flag
    without it); a multiline text field one with the Multiline flag.
    """
    if ft == "Tx":
        if flags & COMB and max_length is not None:
            return FieldType.COMB
        if flags & MULTILINE:
            return FieldType.MULTILINE
        return FieldType.TEXT
    if ft == "Btn":
        if flags & PUSHBUTTON:
            return FieldType.BUTTON
        if flags & RADIO:
            return FieldType.RADIO
        return FieldType.CHECKBOX
    if ft == "Ch":
        return FieldType.CHOICE if flags & COMBO else FieldType.LIST
    if ft == "Sig":
        return FieldType.SIGNATURE
    return None


def form_kind(has_acroform_fields: bool, xfa: str | None) -> FormKind:
    """The form kind from whether AcroForm fields were found and how XFA is stored
    (`"stream"`, `"array"` or None when there is no /XFA)."""
    if xfa is not None and has_acroform_fields:
        return FormKind.HYBRID
    if xfa == "stream":
        return FormKind.XFA_STREAM
    if xfa == "array":
        return FormKind.XFA_ARRAY
    return FormKind.ACROFORM if has_acroform_fields else FormKind.NONE
