"""A fillable PDF rebuilt from a flat one: the detected fields read back as AcroForm fields
with the same names, types, rectangles (within 1 pt), labels and options."""

from __future__ import annotations

import io
from dataclasses import replace

import pikepdf
import pytest
from bench.formgen import KINDS, generate

from tests.forms.makeform import make_form
from trousseau.errors import NotAPdf, PdfCorrupt
from trousseau.forms import (
    Field,
    FieldType,
    Option,
    check_result,
    fields_from_result,
    read_fillable,
    read_form,
    rebuild_fillable,
)
from trousseau.forms.geometry import to_displayed
from trousseau.forms.rebuild import field_names, read_back_type, to_rebuild, to_user


def _close(a: tuple[float, ...] | None, b: tuple[float, ...] | None) -> bool:
    assert a is not None and b is not None
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 1.0


def _assert_reads_back(original: list[Field], rebuilt: bytes) -> None:
    chosen = to_rebuild(original)
    back = read_fillable(rebuilt, name="rebuilt.pdf", nearby_labels=False)
    assert back.warnings == ()
    got = {f.name: f for f in back.fields}
    names = field_names(chosen)
    assert len(set(names)) == len(names)
    assert set(names) <= set(got)
    for f, name in zip(chosen, names, strict=True):
        g = got[name]
        assert (g.type, g.page, g.label) == (read_back_type(f.type), f.page, f.label), name
        assert _close(g.rect, f.rect), (name, f.rect, g.rect)
        if f.type is FieldType.RADIO:
            assert [o.label for o in g.options] == [o.label or o.value for o in f.options]
            assert all(_close(a.rect, b.rect) for a, b in zip(g.options, f.options, strict=True))
        if f.type is FieldType.COMB:
            assert g.max_length == f.max_length
        if f.type in (FieldType.CHOICE, FieldType.LIST):
            assert [o.value for o in g.options] == [o.value for o in f.options]


@pytest.mark.parametrize("seed", range(6))
def test_a_flat_generated_form_rebuilt_reads_back_the_same_fields(seed: int) -> None:
    kind = KINDS[seed % len(KINDS)]
    _, flat, _ = generate(seed, kind)
    report = read_form(flat, name=f"{kind}.pdf")
    assert report.kind.value == "flat" and report.fields
    rebuilt = rebuild_fillable(flat, report.fields, name=f"{kind}.pdf")
    _assert_reads_back(list(report.fields), rebuilt)
    # the rebuilt copy is a well-formed PDF whose pages are the original's
    with pikepdf.open(io.BytesIO(rebuilt)) as pdf:
        assert pdf.check_pdf_syntax() == [] if hasattr(pdf, "check_pdf_syntax") else True
        assert bool(pdf.Root.AcroForm.NeedAppearances)
        for page in pdf.pages:
            for widget in page.obj.get("/Annots", []):
                assert "/AP" in widget or "/Kids" in widget
    # and reading the rebuilt form as a whole names fields after their concepts
    again = read_form(rebuilt, name="rebuilt.pdf")
    named = {f.name.split(".", 1)[1].rstrip("_0123456789") for f in again.fields}
    concepts = {f.concept for f in report.fields if f.concept}
    assert concepts <= named
    check_result(again.to_dict())


def _detected(fields: tuple[Field, ...]) -> list[Field]:
    """make_form's fields as if detected on a printed page (every type, a turned page)."""
    return [replace(f, source="detected") for f in fields if f.type is not FieldType.BUTTON]


def _without_acroform(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            if "/Annots" in page.obj:
                del page.obj["/Annots"]
        del pdf.Root["/AcroForm"]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_every_type_on_a_turned_and_cropped_page_reads_back() -> None:
    fields = _detected(read_fillable(make_form(), name="wedding.pdf").fields)
    kinds = {f.type for f in fields}
    assert {FieldType.TEXT, FieldType.MULTILINE, FieldType.COMB, FieldType.CHECKBOX} <= kinds
    assert {FieldType.RADIO, FieldType.CHOICE, FieldType.LIST, FieldType.SIGNATURE} <= kinds
    assert any(f.page == 1 for f in fields)  # page 2: /Rotate 90, CropBox offset
    flat = _without_acroform(make_form())
    rebuilt = rebuild_fillable(flat, fields, name="wedding.pdf")
    _assert_reads_back(fields, rebuilt)


def test_names_are_the_concept_else_the_label_unique_per_page() -> None:
    base = Field("p1.x", FieldType.TEXT, 0, (0, 0, 10, 10), source="detected")
    fields = [
        replace(base, concept="wedding_date", label="Wedding date"),
        replace(base, concept="wedding_date", label="Event date"),
        replace(base, label="Shoe size"),
        replace(base, label=None, name="p1.something"),
        replace(base, page=1, concept="wedding_date"),
    ]
    assert field_names(fields) == [
        "p1.wedding_date",
        "p1.wedding_date_2",
        "p1.shoe_size",
        "p1.something",
        "p2.wedding_date",
    ]


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_to_user_undoes_to_displayed(rotation: int) -> None:
    box = (10.0, 20.0, 410.0, 620.0)
    rect = (40.0, 60.0, 140.0, 80.0)
    shown = to_displayed(rect, box, rotation)
    assert _close(to_user(shown, box, rotation), rect)


def test_fields_from_a_stored_result_are_the_fields() -> None:
    report = read_form(make_form(), name="wedding.pdf")
    assert tuple(fields_from_result(report.to_dict())) == report.fields


def test_read_acroform_fields_are_not_added_twice() -> None:
    data = make_form()
    report = read_form(data, name="wedding.pdf")
    rebuilt = rebuild_fillable(data, report.fields)
    assert len(read_fillable(rebuilt).fields) == len(report.fields)


def test_radio_states_are_unique_and_never_off() -> None:
    radio = Field(
        "p1.meal",
        FieldType.RADIO,
        0,
        (100, 100, 200, 110),
        label="Meal",
        options=(
            Option("Off", "Off", 0, (100, 100, 110, 110)),
            Option("fish", "Fish", 0, (130, 100, 140, 110)),
            Option("fish", "Fish too", 0, (160, 100, 170, 110)),
        ),
        source="detected",
    )
    flat = _without_acroform(make_form())
    back = read_fillable(rebuild_fillable(flat, [radio]), nearby_labels=False)
    (meal,) = [f for f in back.fields if f.type is FieldType.RADIO]
    assert [o.value for o in meal.options] == ["off_", "fish", "fish_2"]


def test_a_file_that_is_no_pdf_is_refused() -> None:
    with pytest.raises(NotAPdf):
        rebuild_fillable(b"hello", [])
    with pytest.raises(PdfCorrupt):
        rebuild_fillable(make_form()[:400], [])
