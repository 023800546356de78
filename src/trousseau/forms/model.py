"""The forms vocabulary: what a PDF form is made of once read, as plain immutable values.

Every reader (fillable today; flat and scanned later) returns these, so the job kind, the API,
the CLI and the benchmark speak one language. Coordinates are PDF points with the origin at
the bottom left of the page *as displayed*: the page's CropBox origin is subtracted and its
/Rotate applied, so a rectangle lands where a person sees the field on the rendered page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Rect = tuple[float, float, float, float]
"""[x0, y0, x1, y1] in PDF points, origin bottom left of the displayed page, x0 <= x1, y0 <= y1."""


class FieldType(StrEnum):
    """What a person does with a field; the names are the JSON's `type`. The last four
    (date, email, phone, number) are given to detected fields from their label's words."""

    TEXT = "text"
    MULTILINE = "multiline"
    COMB = "comb"
    CHECKBOX = "checkbox"
    RADIO = "radio"
    CHOICE = "choice"
    LIST = "list"
    SIGNATURE = "signature"
    BUTTON = "button"
    DATE = "date"
    EMAIL = "email"
    PHONE = "phone"
    NUMBER = "number"


class FormKind(StrEnum):
    """Where a document keeps its form: AcroForm fields, XFA (a stream or an array of
    packets), both (hybrid: the AcroForm fields are read), printed fields detected on its
    pages (flat), only scanned pages (scanned: read by OCR), or no form at all."""

    ACROFORM = "acroform"
    XFA_STREAM = "xfa-stream"
    XFA_ARRAY = "xfa-array"
    HYBRID = "hybrid"
    FLAT = "flat"
    SCANNED = "scanned"
    NONE = "none"


@dataclass(frozen=True)
class Widget:
    """One place a field is drawn: a field may appear on several pages, or several times."""

    page: int
    rect: Rect


@dataclass(frozen=True)
class Option:
    """One choice of a field.

    `value` is what the field's value becomes when this option is chosen: the on-state name
    of a checkbox's or radio button's widget, the export value of a choice entry. `label` is
    the text shown for it when the file says one (a choice's display text, a radio group's
    /Opt entry). Radio and checkbox options also carry their widget's page and rectangle.
    """

    value: str
    label: str | None = None
    page: int | None = None
    rect: Rect | None = None


@dataclass(frozen=True)
class Field:
    """One form field, whatever the reader that found it.

    `page` and `rect` are those of its first widget (for a radio group, the box around its
    buttons on that page); `widgets` lists every place it is drawn. `label` is the field's
    tooltip (/TU) when it has one, else the nearest text to its left or above
    (`label_source` says which). `concept` is the wedding concept it maps to (a key of
    `concepts.CONCEPTS`, None when no concept fits well enough) and `concept_confidence` the
    score of the best concept (0 to 1; None when concepts were not mapped).
    `source` says how it was found: "acroform" (read) or "detected" (on a printed page).
    """

    name: str
    type: FieldType
    page: int | None
    rect: Rect | None
    label: str | None = None
    label_source: str | None = None
    value: str | tuple[str, ...] | None = None
    options: tuple[Option, ...] = ()
    required: bool = False
    read_only: bool = False
    max_length: int | None = None
    widgets: tuple[Widget, ...] = ()
    concept: str | None = None
    concept_confidence: float | None = None
    source: str = "acroform"

    def to_dict(self) -> dict[str, Any]:
        """The field as JSON-ready values (the `--json` output and the API's)."""
        return {
            "page": self.page,
            "rect": list(self.rect) if self.rect is not None else None,
            "type": self.type.value,
            "label": self.label,
            "name": self.name,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
            "concept": self.concept,
            "concept_confidence": self.concept_confidence,
            "label_source": self.label_source,
            "options": [
                {
                    "value": o.value,
                    "label": o.label,
                    "page": o.page,
                    "rect": list(o.rect) if o.rect is not None else None,
                }
                for o in self.options
            ],
            "required": self.required,
            "read_only": self.read_only,
            "max_length": self.max_length,
            "widgets": [{"page": w.page, "rect": list(w.rect)} for w in self.widgets],
            "source": self.source,
        }


@dataclass(frozen=True)
class FormReport:
    """What reading one document found: its identity, its kind of form, its fields, and every
    warning a person should see (XFA not read, a damaged file repaired, a field skipped)."""

    name: str
    sha256: str
    bytes: int
    pages: int
    kind: FormKind
    fields: tuple[Field, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "file": self.name,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "pages": self.pages,
            "form": self.kind.value,
            "warnings": list(self.warnings),
            "fields": [f.to_dict() for f in self.fields],
        }
