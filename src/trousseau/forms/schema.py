"""The published shape of a form's analysis: the JSON that `forms analyze --json`, the API
(`result` of a form document) and the `forms` job write (`FormReport.to_dict`).

Pydantic models mirror `FormReport.to_dict` field for field; `result_schema()` is their JSON
Schema, published as docs/forms-result.schema.json (`trousseau forms schema` prints it; a
test keeps the file current and validates every result the tests produce against it).
Extra keys are refused: adding one to the result means adding it here, on purpose.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from trousseau.forms.concepts import CONCEPTS
from trousseau.forms.model import FieldType, FormKind

SCHEMA_ID = "urn:trousseau:forms-result"
"""The schema's `$id`: a name, not a place to fetch it from."""

Box = list[float]
ConceptKey = Literal[tuple(c.key for c in CONCEPTS)]  # type: ignore[valid-type]


def _rect(description: str) -> Any:
    return Field(min_length=4, max_length=4, description=description)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionResult(_Strict):
    """One choice of a field: the value it gives, its text, and for buttons their place."""

    value: str = Field(description="what the field's value becomes when this is chosen")
    label: str | None = Field(description="the text shown for it, when known")
    page: int | None = Field(ge=0, description="0-based page of its button")
    rect: Box | None = _rect("[x0, y0, x1, y1] of its button, points, origin bottom left")


class WidgetResult(_Strict):
    """One place a field is drawn."""

    page: int = Field(ge=0, description="0-based page")
    rect: Box = _rect("[x0, y0, x1, y1] in PDF points, origin bottom left of the page shown")


class FieldResult(_Strict):
    """One field of the form."""

    page: int | None = Field(ge=0, description="0-based page of its first widget")
    rect: Box | None = _rect(
        "[x0, y0, x1, y1] in PDF points, origin at the bottom left of the displayed page"
    )
    type: FieldType
    label: str | None = Field(description="its tooltip, or the text printed beside it")
    name: str = Field(description="qualified AcroForm name, or one made from the label")
    value: str | list[str] | None = Field(description="its value; a list for multi-select")
    concept: ConceptKey | None = Field(  # type: ignore[valid-type]
        description="the wedding concept it stands for (docs/forms.md), null when none fits"
    )
    concept_confidence: float | None = Field(
        ge=0, le=1, description="score of the best concept, 0 to 1 (null: not mapped)"
    )
    label_source: str | None = Field(description="tooltip, nearby, …: where the label is from")
    options: list[OptionResult]
    required: bool
    read_only: bool
    max_length: int | None = Field(ge=0)
    widgets: list[WidgetResult]
    source: str = Field(description="acroform (read from the file) or detected (printed)")


class FormResult(_Strict):
    """What reading one PDF form found."""

    file: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    pages: int = Field(ge=0)
    form: FormKind
    warnings: list[str]
    fields: list[FieldResult]


_ADAPTER = TypeAdapter(FormResult)


def result_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a form's analysis result."""
    schema = _ADAPTER.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def check_result(result: dict[str, Any]) -> FormResult:
    """The result validated against the schema's models (pydantic ValidationError if not)."""
    return _ADAPTER.validate_python(result, strict=False)
