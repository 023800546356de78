"""Reading fillable PDFs: a form written here (runs anywhere) and the real ones in ../shared."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest

from tests.forms.makeform import make_form
from trousseau.errors import FormError, NotAPdf, PdfCorrupt, PdfEncrypted
from trousseau.forms import Field, FieldType, FormKind, FormReport, Option, Widget, read_fillable


def by_name(report: FormReport) -> dict[str, Field]:
    return {f.name: f for f in report.fields}


# A form written with pikepdf in the test: every type, read back exactly.


def test_a_generated_form_reads_back_exactly() -> None:
    report = read_fillable(make_form(), name="wedding.pdf")
    assert report.kind is FormKind.ACROFORM
    assert report.warnings == ()
    assert report.pages == 2
    fields = by_name(report)
    assert list(fields) == [
        "name", "notes", "zip", "agree", "meal", "venue", "guests", "signature", "submit",
        "couple.bride",
    ]  # fmt: skip
    assert fields["name"] == Field(
        name="name",
        type=FieldType.TEXT,
        page=0,
        rect=(100.0, 700.0, 300.0, 720.0),
        label="Couple names",
        label_source="tooltip",
        value="Alice & Bob",
        required=True,
        widgets=(Widget(0, (100.0, 700.0, 300.0, 720.0)),),
    )
    assert fields["notes"].type is FieldType.MULTILINE
    assert fields["notes"].value is None
    # Without a tooltip, the nearest text on the page: above, or on the left.
    assert (fields["notes"].label, fields["notes"].label_source) == ("Notes", "nearby")
    assert (fields["venue"].label, fields["venue"].label_source) == ("Venue", "nearby")
    assert fields["zip"].label is None  # no text near it
    assert (fields["zip"].type, fields["zip"].max_length, fields["zip"].value) == (
        FieldType.COMB, 5, "75011",
    )  # fmt: skip
    agree = fields["agree"]
    assert (agree.type, agree.value, agree.label) == (FieldType.CHECKBOX, "Yes", "I agree")
    assert agree.options == (Option("Yes", None, 0, (100.0, 540.0, 112.0, 552.0)),)
    assert fields["signature"].type is FieldType.SIGNATURE
    assert fields["submit"].type is FieldType.BUTTON


def test_a_radio_group_is_one_field_with_its_buttons_as_options() -> None:
    meal = by_name(read_fillable(make_form(), name="wedding.pdf"))["meal"]
    assert meal.type is FieldType.RADIO
    assert meal.value == "fish"
    assert meal.options == (
        Option("beef", "Beef", 0, (100.0, 500.0, 112.0, 512.0)),
        Option("fish", "Fish", 0, (130.0, 500.0, 142.0, 512.0)),
        Option("veg", "Veggie", 0, (160.0, 500.0, 172.0, 512.0)),
    )
    assert meal.rect == (100.0, 500.0, 172.0, 512.0)  # around its buttons
    assert len(meal.widgets) == 3


def test_a_radio_group_spread_over_two_pages_takes_each_buttons_caption_from_its_own_page():
    """Each page's text is read once, in page order; a group's buttons may lie on pages after
    the first, each captioned where it is drawn (the same place on both pages here)."""
    from pikepdf import Array, Dictionary, Name, String

    pdf = pikepdf.new()
    font = Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    group = pdf.make_indirect(Dictionary(FT=Name.Btn, T=String("rsvp"), Ff=49152))
    kids = []
    for index, (state, caption) in enumerate((("yes", b"Attending"), ("no", b"Regrets"))):
        pdf.add_blank_page(page_size=(612, 792))
        page = pdf.pages[index].obj
        page.Resources = Dictionary(Font=font)
        page.Contents = pdf.make_stream(b"BT /F1 10 Tf 116 502 Td (" + caption + b") Tj ET")
        appearance = Dictionary(
            N=Dictionary({f"/{state}": pdf.make_stream(b""), "/Off": pdf.make_stream(b"")})
        )
        kid = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, Rect=Array([100, 500, 112, 512]), P=page,
            Parent=group, AS=Name.Off, AP=appearance,
        ))  # fmt: skip
        page.Annots = Array([kid])
        kids.append(kid)
    group.Kids = Array(kids)
    pdf.Root.AcroForm = pdf.make_indirect(Dictionary(Fields=Array([group])))
    out = io.BytesIO()
    pdf.save(out)
    (rsvp,) = read_fillable(out.getvalue(), name="rsvp.pdf").fields
    assert rsvp.type is FieldType.RADIO
    assert [(o.value, o.page, o.label) for o in rsvp.options] == [
        ("yes", 0, "Attending"),
        ("no", 1, "Regrets"),
    ]


def test_choices_keep_export_values_and_display_texts() -> None:
    fields = by_name(read_fillable(make_form(), name="wedding.pdf"))
    venue, guests = fields["venue"], fields["guests"]
    assert (venue.type, venue.value) == (FieldType.CHOICE, "Castle")
    assert venue.options == (Option("Barn", "Barn"), Option("Castle", "Castle"))
    assert (guests.type, guests.value) == (FieldType.LIST, ("a", "u"))
    assert guests.options == (Option("a", "Aunt"), Option("u", "Uncle"))


def test_a_kid_inherits_type_and_flags_and_lands_where_the_turned_page_shows_it() -> None:
    """couple.bride takes /FT and /Ff (read-only) from its parent; its page is turned 90° and
    cropped from (10, 20): /Rect [210 540 110 520] is seen at (500, 200, 520, 300)."""
    bride = by_name(read_fillable(make_form(), name="wedding.pdf"))["couple.bride"]
    assert (bride.type, bride.read_only, bride.page) == (FieldType.TEXT, True, 1)
    assert bride.rect == (500.0, 200.0, 520.0, 300.0)


@pytest.mark.parametrize(("xfa", "kind"), [("stream", FormKind.HYBRID), ("array", FormKind.HYBRID)])
def test_xfa_beside_acroform_is_hybrid(xfa: str, kind: FormKind) -> None:
    report = read_fillable(make_form(xfa=xfa), name="hybrid.pdf")
    assert report.kind is kind
    assert len(report.fields) == 10
    assert report.warnings == (
        f"hybrid form: XFA ({xfa}) and AcroForm both define fields; the AcroForm fields were "
        "read (an XFA-aware reader may show more)",
    )


@pytest.mark.parametrize(
    ("xfa", "kind"), [("stream", FormKind.XFA_STREAM), ("array", FormKind.XFA_ARRAY)]
)
def test_xfa_alone_is_reported_not_silently_empty(xfa: str, kind: FormKind) -> None:
    pdf = pikepdf.open(io.BytesIO(make_form(xfa=xfa)))
    pdf.Root.AcroForm.Fields = pikepdf.Array()
    for page in pdf.pages:
        del page.obj["/Annots"]
    out = io.BytesIO()
    pdf.save(out)
    report = read_fillable(out.getvalue(), name="xfa.pdf")
    assert (report.kind, report.fields) == (kind, ())
    assert report.warnings[0].startswith(
        f"XFA form ({xfa}): fields defined in XFA are not read; open xfa.pdf in a reader"
    )


def test_a_widget_no_page_lists_is_placed_by_its_p() -> None:
    pdf = pikepdf.open(io.BytesIO(make_form()))
    page = pdf.pages[0].obj
    page.Annots = pikepdf.Array([a for a in page.Annots if a.get("/T") != "name"])
    out = io.BytesIO()
    pdf.save(out)
    report = read_fillable(out.getvalue(), name="p.pdf")
    name = by_name(report)["name"]
    assert (name.page, name.rect) == (0, (100.0, 700.0, 300.0, 720.0))


def test_a_widget_on_no_page_is_read_without_a_place_and_said() -> None:
    pdf = pikepdf.open(io.BytesIO(make_form()))
    page = pdf.pages[0].obj
    page.Annots = pikepdf.Array([a for a in page.Annots if a.get("/T") != "notes"])
    notes = next(f for f in pdf.Root.AcroForm.Fields if f.get("/T") == "notes")
    del notes["/P"]
    out = io.BytesIO()
    pdf.save(out)
    report = read_fillable(out.getvalue(), name="lost.pdf")
    lost = by_name(report)["notes"]
    assert (lost.page, lost.rect, lost.widgets) == (None, None, ())
    assert report.warnings == (
        "field 'notes' is drawn on no page (no page lists its widget, no /P names one): "
        "read without a place",
    )


def test_the_json_has_what_the_issue_lists() -> None:
    data = read_fillable(make_form(), name="wedding.pdf").to_dict()
    json.dumps(data)  # serialisable as is
    assert data["form"] == "acroform"
    first = data["fields"][0]
    assert {"page", "rect", "type", "label", "name", "value", "concept"} <= set(first)
    assert first["rect"] == [100.0, 700.0, 300.0, 720.0]
    assert first["concept"] is None


# The real PDFs of ../shared.

FIELDS = {
    "cra_cannabis_return_combed_fields.pdf": 726,
    "fancy_fields.pdf": 15,
    "form_to_flatten.pdf": 9,
    "irs_1040_2019_xfa_hybrid.pdf": 116,
    "irs_w9_rev2018.pdf": 22,
    "libreoffice_form.pdf": 8,
    "openoffice_form_test.pdf": 11,
    "pdflatex_forms.pdf": 3,
    "pdflib_create_form.pdf": 8,
    "sample_form_with_signature.pdf": 29,
    "scanned_page_with_checkbox_field.pdf": 1,
    "signature_field_only.pdf": 1,
    "single_text_field.pdf": 1,
    "xfa_dynamic_claim_no_fields.pdf": 0,
}


def test_every_fillable_file_is_known_here(pdfs: Path) -> None:
    assert {p.name for p in (pdfs / "fillable").glob("*.pdf")} == set(FIELDS)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_acroform_field_is_read_with_name_type_and_rectangle(pdfs: Path, name: str) -> None:
    """Every field qpdf lists is one of ours (a radio group's buttons are one field), each
    with a type, a page of the document and a rectangle inside that page."""
    path = pdfs / "fillable" / name
    report = read_fillable(path)
    assert len(report.fields) == FIELDS[name]
    with pikepdf.open(path) as pdf:
        listed = {f.fully_qualified_name for f in pdf.acroform.fields}
        sizes = [(float(p.mediabox[2]), float(p.mediabox[3])) for p in pdf.pages]
    assert {f.name for f in report.fields} == listed
    for field in report.fields:
        assert isinstance(field.type, FieldType)
        assert field.page is not None and 0 <= field.page < report.pages
        assert field.rect is not None
        x0, y0, x1, y1 = field.rect
        width, height = sizes[field.page]
        assert 0 <= x0 <= x1 <= width + 1 and 0 <= y0 <= y1 <= height + 1, field


def test_the_w9(pdfs: Path) -> None:
    report = read_fillable(pdfs / "fillable" / "irs_w9_rev2018.pdf")
    assert (report.kind, report.pages) == (FormKind.HYBRID, 6)
    fields = by_name(report)
    name = fields["topmostSubform[0].Page1[0].f1_1[0]"]
    assert (name.type, name.page, name.rect) == (FieldType.TEXT, 0, (59.6, 683.968, 576.0, 697.969))
    llc = fields["topmostSubform[0].Page1[0].FederalClassification[0].c1_1[6]"]
    assert llc.type is FieldType.CHECKBOX
    other = "Other (see instructions)"  # the caption printed right of the box
    assert llc.options == (Option("7", other, 0, (65.799, 553.47, 73.799, 561.47)),)
    assert (llc.label, llc.label_source) == (other, "nearby")
    address = fields["topmostSubform[0].Page1[0].Address[0].f1_8[0]"]
    assert address.label == "City, state, and ZIP code"
    ssn = [fields[f"topmostSubform[0].Page1[0].SSN[0].f1_{n}[0]"] for n in (11, 12, 13)]
    assert [(f.type, f.max_length) for f in ssn] == [
        (FieldType.COMB, 3),
        (FieldType.COMB, 2),
        (FieldType.COMB, 4),
    ]
    assert ssn[0].rect == (417.6, 431.965, 460.8, 455.966)
    address = fields["topmostSubform[0].Page1[0].f1_9[0]"]
    assert address.type is FieldType.MULTILINE
    assert {f.page for f in report.fields} == {0}


def test_the_combed_cra_return(pdfs: Path) -> None:
    report = read_fillable(pdfs / "fillable" / "cra_cannabis_return_combed_fields.pdf")
    combs = {
        f.name.rsplit(".", 1)[-1]: f.max_length for f in report.fields if f.type is FieldType.COMB
    }
    assert combs["BusinessNumber_RT1[0]"] == 9
    assert combs["BusinessNumber_RT2[0]"] == 4
    assert len(combs) == 6
    first = by_name(report)[
        "form1[0].Page1[0].BeforeYouBegin[0].BusinessInfo[0].AccountNumber[0].BusinessNumber_RT1[0]"
    ]
    assert first.label == "1. Business information. Business number. First 9 digits."
    assert first.rect == (262.0, 474.998, 395.0, 491.998)
    radios = [f for f in report.fields if f.type is FieldType.RADIO]
    assert [(len(f.options), f.options[0].label) for f in radios] == [(2, "1"), (2, "1")]
    assert {f.page for f in report.fields} == set(range(13))


def test_radio_groups_keep_their_options(pdfs: Path) -> None:
    rocket = by_name(read_fillable(pdfs / "fillable" / "pdflib_create_form.pdf"))["favorite.rocket"]
    assert (rocket.type, rocket.value) == (FieldType.RADIO, "1")
    assert [o.value for o in rocket.options] == ["0", "1", "2", "3"]
    assert rocket.label == "Select your favorite rocket"
    assert [o.label for o in rocket.options] == [
        "Falcon Heavy", "Saturn IV", "Delta IV Heavy", "Space Launch System",
    ]  # fmt: skip
    assert rocket.options[1].rect == (54.5, 479.5, 105.5, 530.5)
    figures = by_name(read_fillable(pdfs / "fillable" / "fancy_fields.pdf"))[
        "Historical Figures 🐺"
    ]
    assert [o.value for o in figures.options] == ["3", "0", "1", "2"]
    assert figures.value == "0"
    sex = by_name(read_fillable(pdfs / "fillable" / "sample_form_with_signature.pdf"))["Sex"]
    assert [o.value for o in sex.options] == ["MALE", "FEMALE"]
    assert sex.value == "MALE"


def test_signature_fields(pdfs: Path) -> None:
    only = read_fillable(pdfs / "fillable" / "signature_field_only.pdf")
    assert [(f.name, f.type, f.rect) for f in only.fields] == [
        ("Signature1", FieldType.SIGNATURE, (149.236, 533.79, 486.697, 653.237))
    ]
    sample = by_name(read_fillable(pdfs / "fillable" / "sample_form_with_signature.pdf"))
    signature = sample["EMPLOYEE SIGNATURE"]
    assert (signature.type, signature.label) == (FieldType.SIGNATURE, "EMPLOYEE SIGNATURE")
    assert sample["Name_Last"].value == "Bar"
    assert sample["STATE"].max_length == 2
    assert sample["STATE"].type is FieldType.TEXT  # MaxLen without Comb


def test_choices_of_real_forms(pdfs: Path) -> None:
    office = by_name(read_fillable(pdfs / "fillable" / "openoffice_form_test.pdf"))
    assert office["Combo1"].type is FieldType.CHOICE
    assert office["Liste1"].type is FieldType.LIST
    assert [o.value for o in office["DropList1"].options] == ["DropList1", "DropList2", "DropList3"]
    assert office["Text1"].label == "Help Text1"
    assert office["Text2"].type is FieldType.MULTILINE


@pytest.mark.parametrize("name", ["irs_w9_rev2018.pdf", "irs_1040_2019_xfa_hybrid.pdf"])
def test_hybrid_xfa_forms_are_reported(pdfs: Path, name: str) -> None:
    report = read_fillable(pdfs / "fillable" / name)
    assert report.kind is FormKind.HYBRID
    assert any(w.startswith("hybrid form: XFA (array)") for w in report.warnings)


def test_a_file_that_asks_for_xfa_but_holds_none_says_so(pdfs: Path) -> None:
    report = read_fillable(pdfs / "fillable" / "xfa_dynamic_claim_no_fields.pdf")
    assert (report.kind, report.fields) == (FormKind.NONE, ())
    assert "/NeedsRendering" in report.warnings[0]


@pytest.mark.parametrize("folder", ["flat", "scanned"])
def test_flat_and_scanned_files_have_no_fillable_fields(pdfs: Path, folder: str) -> None:
    for path in sorted((pdfs / folder).glob("*.pdf")):
        report = read_fillable(path)
        assert (report.kind, report.fields) == (FormKind.NONE, ()), path.name


def test_a_form_flattened_without_removing_its_widgets_says_so(pdfs: Path) -> None:
    report = read_fillable(pdfs / "flat" / "flattened_form.pdf")
    assert report.warnings[0].startswith("10 widget(s) belong to no form field")


# Every broken or encrypted file: a clear error or a repaired report, never anything else.

BAD = {
    "encrypted_aes128_pw_asdfzxcv.pdf": PdfEncrypted,
    "encrypted_aes256_pw_password.pdf": PdfEncrypted,
    "encrypted_libreoffice_pw_openpassword.pdf": PdfEncrypted,
    "encrypted_owner_only_opens_without_password.pdf": "encrypted for its owner only",
    "encrypted_pw_test.pdf": PdfEncrypted,
    "encrypted_r6_user_foo_owner_bar.pdf": PdfEncrypted,
    "encrypted_rc4_40bit_pw_asdfzxcv.pdf": PdfEncrypted,
    "encrypted_unknown_password.pdf": PdfEncrypted,
    "header_then_eof_only.pdf": PdfCorrupt,
    "invalid_root_reference.pdf": PdfCorrupt,
    "jpeg_renamed.pdf": NotAPdf,
    "missing_endobj_keyword.pdf": "repaired: ",
    "payload_bytes_altered.pdf": "repaired: ",
    "text_file_renamed.pdf": NotAPdf,
    "truncated_at_half.pdf": PdfCorrupt,
    "xref_table_removed.pdf": "repaired: ",
    "xref_trailer_dict_missing.pdf": "repaired: ",
    "zero_bytes.pdf": NotAPdf,
}


def test_every_bad_file_is_known_here(pdfs: Path) -> None:
    assert {p.name for p in (pdfs / "bad").glob("*.pdf")} == set(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_is_a_clear_error_or_a_repaired_report(pdfs: Path, name: str) -> None:
    expected = BAD[name]
    if isinstance(expected, str):
        report = read_fillable(pdfs / "bad" / name)
        assert report.warnings[0].startswith(expected) or expected in report.warnings[0]
        assert name in report.warnings[0]
        return
    with pytest.raises(FormError) as caught:
        read_fillable(pdfs / "bad" / name)
    assert type(caught.value) is expected
    message = str(caught.value)
    assert message.startswith(f"{name} ") and "\n" not in message
    assert ": " in message  # the cause, then what to do


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("encrypted_pw_test.pdf", "test"),
        ("encrypted_aes256_pw_password.pdf", "password"),
        ("encrypted_r6_user_foo_owner_bar.pdf", "foo"),
        ("encrypted_rc4_40bit_pw_asdfzxcv.pdf", "asdfzxcv"),
    ],
)
def test_an_encrypted_file_opens_with_its_password(pdfs: Path, name: str, password: str) -> None:
    report = read_fillable(pdfs / "bad" / name, password=password)
    assert report.pages >= 1
