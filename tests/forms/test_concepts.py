"""The wedding schema: concepts from labels, types and context; abstention when unsure."""

from __future__ import annotations

import pytest
from bench.formgen import KINDS, generate
from bench.forms import Box, detected_boxes, scores

from tests.forms.makeform import make_form
from trousseau.forms import Field, FieldType, read_form
from trousseau.forms.concepts import (
    BY_KEY,
    CONCEPTS,
    MARGIN,
    THRESHOLD,
    assign_concepts,
    humanise_name,
    map_concept,
    normalise,
)
from trousseau.forms.schema import check_result

T = FieldType


@pytest.mark.parametrize(
    ("label", "kind", "concept"),
    [
        ("Bride's full name", T.TEXT, "partner1_name"),
        ("Groom's full name", T.TEXT, "partner2_name"),
        ("Partner 2 first name", T.TEXT, "partner2_first_name"),
        ("Wedding date", T.DATE, "wedding_date"),
        ("Date of the event (mm/dd/yyyy)", T.DATE, "wedding_date"),
        ("Ceremony start time", T.TEXT, "ceremony_time"),
        ("Reception time", T.TEXT, "reception_time"),
        ("Venue name", T.TEXT, "venue_name"),
        ("Venue address", T.TEXT, "venue_address"),
        ("Number of guests", T.NUMBER, "guest_count"),
        ("Guest count", T.COMB, "guest_count"),
        ("E-mail", T.EMAIL, "contact_email"),
        ("Contact e-mail", T.EMAIL, "contact_email"),
        ("Mobile phone", T.PHONE, "contact_phone"),
        ("Tel.", T.PHONE, "contact_phone"),
        ("Dietary requirements", T.MULTILINE, "dietary_needs"),
        ("Gluten-free", T.CHECKBOX, "dietary_needs"),
        ("Estimated budget ($)", T.NUMBER, "budget"),
        ("Hours of coverage", T.NUMBER, "photographer_hours"),
        ("Officiant", T.TEXT, "officiant"),
        ("Deposit ($)", T.NUMBER, "deposit"),
        ("Total fee ($)", T.NUMBER, "total_price"),
        ("Client signature", T.SIGNATURE, "client_signature"),
        ("Photographer signature", T.SIGNATURE, "vendor_signature"),
        ("I agree to the cancellation policy", T.CHECKBOX, "terms_agreement"),
        # French, Spanish, German
        ("Date du mariage", T.DATE, "wedding_date"),
        ("Nombre de la novia", T.TEXT, "partner1_name"),
        ("Anzahl der Gäste", T.NUMBER, "guest_count"),
        ("Courriel", T.TEXT, "contact_email"),
        ("Hochzeitsdatum", T.TEXT, "wedding_date"),
    ],
)
def test_labels_map_to_their_concept(label: str, kind: FieldType, concept: str) -> None:
    found, confidence = map_concept(label, kind)
    assert found == concept, (label, found, confidence)
    assert THRESHOLD <= confidence <= 1.0


def test_a_section_heading_says_whose_name_it_is() -> None:
    assert map_concept("Name", T.TEXT)[0] is None  # whose?
    assert map_concept("Name", T.TEXT, ["Bride"])[0] == "partner1_name"
    assert map_concept("Name", T.TEXT, ["Partner 2"])[0] == "partner2_name"
    assert map_concept("First name", T.TEXT, ["Groom"])[0] == "partner2_first_name"
    assert map_concept("Last name", T.TEXT, ["Partner 1"])[0] == "partner1_last_name"
    # a heading that names no person does not make one up
    assert map_concept("Name", T.TEXT, ["Wedding date"])[0] is None


def test_a_date_beside_a_signature_is_the_signature_date() -> None:
    assert map_concept("Date", T.DATE)[0] is None  # which date?
    assert map_concept("Date", T.DATE, ["Client signature"])[0] == "signature_date"


def test_it_abstains_below_the_threshold_and_when_two_concepts_tie() -> None:
    concept, confidence = map_concept("Partner name", T.TEXT)  # partner 1 or 2?
    assert concept is None and confidence >= THRESHOLD  # a tie, not a weak match
    assert map_concept("Shoe size", T.TEXT)[0] is None
    assert map_concept("How did you hear about us?", T.TEXT)[0] is None
    assert map_concept("[1]", T.TEXT)[0] is None  # a number alone names no partner
    assert map_concept("", T.TEXT) == (None, 0.0)
    assert map_concept(None, T.TEXT) == (None, 0.0)
    assert map_concept("____", T.TEXT) == (None, 0.0)
    assert 0 < MARGIN < THRESHOLD < 1


def test_the_type_must_agree() -> None:
    # a checkbox labelled like a date is not the wedding date
    assert map_concept("Wedding date", T.CHECKBOX)[1] < map_concept("Wedding date", T.DATE)[1]
    assert map_concept("Vegan", T.CHECKBOX)[0] == "dietary_needs"
    assert map_concept("Vegan", T.SIGNATURE)[1] < map_concept("Vegan", T.CHECKBOX)[1]


def test_normalise() -> None:
    assert normalise("Bride's E-mail:") == ("bride", "email")
    assert normalise("Número de invitados") == ("numero", "invitado")
    assert normalise("Guest #") == ("guest", "number")
    assert normalise("Partner #1 name") == ("partner", "1", "name")
    assert normalise("Date (mm/dd/yyyy)") == ("date",)


def test_names_humanised() -> None:
    assert humanise_name("form1[0].Page1[0].BrideName[0]") == "Bride Name"
    assert humanise_name("couple.bride") == "bride"
    assert humanise_name("wedding_date") == "wedding date"


def test_every_concept_is_documented_once() -> None:
    keys = [c.key for c in CONCEPTS]
    assert len(keys) == len(set(keys)) == len(BY_KEY)
    for concept in CONCEPTS:
        assert concept.description and concept.synonyms and concept.types
        assert concept.key.replace("_", "").isalnum()
        # its own words map to it (none of its synonyms belongs better to another)
        assert map_concept(concept.synonyms[0], concept.types[0])[0] == concept.key, concept


def test_assign_concepts_uses_the_name_without_a_label_and_the_headings() -> None:
    fields = [
        Field("form1[0].BrideName[0]", T.TEXT, 0, (100, 700, 300, 720)),
        Field("p1.name", T.TEXT, 0, (100, 600, 300, 620), label="Name"),
        Field("p1.sig", T.SIGNATURE, 0, (50, 100, 250, 118), label="Client signature"),
        Field("p1.date", T.DATE, 0, (280, 100, 390, 118), label="Date"),
    ]
    headings = {0: [((100, 630, 140, 642), "Groom"), ((100, 740, 400, 760), "Our wedding")]}
    mapped = assign_concepts(fields, headings)
    assert [f.concept for f in mapped] == [
        "partner1_name",
        "partner2_name",
        "client_signature",
        "signature_date",
    ]
    assert all(f.concept_confidence is not None for f in mapped)


def test_read_form_maps_the_fields_of_a_form() -> None:
    report = read_form(make_form(), name="wedding.pdf")
    by_name = {f.name: f for f in report.fields}
    assert by_name["name"].concept == "couple_names"  # its tooltip, "Couple names"
    assert by_name["couple.bride"].concept == "partner1_name"  # no label: its name
    assert by_name["agree"].concept == "terms_agreement"
    assert by_name["submit"].concept is None
    check_result(report.to_dict())


@pytest.mark.parametrize("seed", range(6))
def test_generated_forms_map_their_concepts(seed: int) -> None:
    """On the generator's flat forms, at least 90% of the truth's concepts are found (the
    benchmark's measure: a field matched at IoU 0.5 with the concept of the truth)."""
    kind = KINDS[seed % len(KINDS)]
    _, flat, truth = generate(seed, kind)
    report = read_form(flat, name=f"{kind}.pdf", nearby_labels=False)
    check_result(report.to_dict())
    found, _ = detected_boxes(f"{kind}.pdf", flat)
    expected = [Box(f"{kind}.pdf", t.page, t.rect, t.type, t.label, t.concept) for t in truth]
    assert scores(expected, found, semantic=True)["concepts"] >= 0.9
