"""Page text for labels: read while the document is open, a rectangle's text only when a
field asks for it; a document or page pdfium cannot read gives no labels and says why."""

from __future__ import annotations

from tests.forms.makeform import make_form
from trousseau.forms.pagetext import page_labels

LETTER = ((0.0, 0.0, 612.0, 792.0), 0)


def test_a_document_pdfium_cannot_open_gives_no_labels_and_the_reason() -> None:
    with page_labels(b"%PDF-1.7 nothing else", "", [0], {0: LETTER}) as (labels, problem):
        assert labels == {}
        assert problem


def test_a_page_it_cannot_load_gives_no_labels_and_the_reason() -> None:
    with page_labels(make_form(), "", [0, 7], {0: LETTER, 7: LETTER}) as (labels, problem):
        assert labels == {}
        assert problem


def test_each_pages_labels_are_read_from_its_text() -> None:
    """make_form prints "Notes" at (100, 684) and "Venue:" at (40, 456) on its first page."""
    with page_labels(make_form(), "", [0], {0: LETTER}) as (labels, problem):
        assert problem is None
        assert labels[0].nearest((80.0, 452.0, 220.0, 468.0)) == "Venue"
        assert labels[0].nearest((100.0, 640.0, 300.0, 680.0)) == "Notes"
        assert labels[0].nearest((400.0, 100.0, 500.0, 114.0)) is None
