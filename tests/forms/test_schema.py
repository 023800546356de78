"""The published JSON Schema of a form's analysis: current, valid, and met by every result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench.formgen import KINDS, generate
from pydantic import ValidationError

from tests.forms.makeform import make_form
from trousseau.errors import FormError
from trousseau.forms import check_result, read_form, result_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "forms-result.schema.json"


def validate(result: dict[str, Any]) -> None:
    """The result checked by the schema's models, and by a JSON Schema validator when one is
    installed (`jsonschema`)."""
    check_result(result)
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - the models above check the same rules
        return
    jsonschema.Draft202012Validator(result_schema()).validate(result)


def test_the_published_schema_is_current() -> None:
    published = json.loads(DOCS.read_text(encoding="utf-8"))
    assert published == result_schema(), (
        "docs/forms-result.schema.json is out of date: write `trousseau forms schema` to it"
    )


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(result_schema())
    concept = result_schema()["$defs"]["FieldResult"]["properties"]["concept"]
    assert "wedding_date" in json.dumps(concept)


def test_results_of_every_kind_of_form_meet_the_schema(pdfs: Path) -> None:
    validate(read_form(make_form(), name="wedding.pdf").to_dict())
    for seed in range(3):
        _, flat, _ = generate(seed, KINDS[seed])
        validate(read_form(flat, name="flat.pdf").to_dict())
    for folder in ("fillable", "flat", "scanned", "bad"):
        for path in sorted((pdfs / folder).glob("*.pdf")):
            try:
                report = read_form(path)
            except FormError:
                continue
            validate(report.to_dict())


def test_a_result_with_a_stray_key_or_a_wrong_value_is_refused() -> None:
    result = read_form(make_form(), name="wedding.pdf").to_dict()
    with pytest.raises(ValidationError):
        check_result({**result, "surprise": 1})
    field = {**result["fields"][0], "concept": "not_a_concept"}
    with pytest.raises(ValidationError):
        check_result({**result, "fields": [field]})
    field = {**result["fields"][0], "rect": [1, 2, 3]}
    with pytest.raises(ValidationError):
        check_result({**result, "fields": [field]})
