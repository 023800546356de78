"""Page text for labels: read one page at a time, a rectangle's text only when a field asks
for it; a document or page pdfium cannot read gives no labels and says why."""

from __future__ import annotations

from contextlib import closing

import pytest

from tests.forms.makeform import make_form
from trousseau.errors import PageTextUnreadable
from trousseau.forms.pagetext import each_page_labels, text_runs

LETTER = ((0.0, 0.0, 612.0, 792.0), 0)


def test_a_document_pdfium_cannot_open_is_unreadable_with_the_reason() -> None:
    with pytest.raises(PageTextUnreadable, match=r"\w"):
        next(each_page_labels(b"%PDF-1.7 nothing else", "", [0], {0: LETTER}))
    runs, problem = text_runs(b"%PDF-1.7 nothing else", "", [0], {0: LETTER})
    assert runs == {} and problem


def test_a_page_it_cannot_load_is_unreadable_after_the_pages_before_it() -> None:
    pages = each_page_labels(make_form(), "", [0, 7], {0: LETTER, 7: LETTER})
    index, _ = next(pages)
    assert index == 0
    with pytest.raises(PageTextUnreadable):
        next(pages)
    runs, problem = text_runs(make_form(), "", [0, 7], {0: LETTER, 7: LETTER})
    assert runs == {} and problem


def test_each_pages_labels_are_read_from_its_text() -> None:
    """make_form prints "Notes" at (100, 684) and "Venue:" at (40, 456) on its first page."""
    with closing(each_page_labels(make_form(), "", [0], {0: LETTER})) as pages:
        ((index, labels),) = list(pages)
        assert index == 0
    # read after the loop: the page is closed, so nothing is read (and nothing crashes)
    assert labels.nearest((80.0, 452.0, 220.0, 468.0)) is None
    with closing(each_page_labels(make_form(), "", [0], {0: LETTER})) as pages:
        for _, labels in pages:
            assert labels.nearest((80.0, 452.0, 220.0, 468.0)) == "Venue"
            assert labels.nearest((100.0, 640.0, 300.0, 680.0)) == "Notes"
            assert labels.nearest((400.0, 100.0, 500.0, 114.0)) is None


def test_a_page_is_closed_when_the_next_is_asked_for() -> None:
    """Only one page's text is held: the first page's labels read nothing once the second
    page is open (make_form has two pages)."""
    with closing(each_page_labels(make_form(), "", [0, 1], {0: LETTER, 1: LETTER})) as pages:
        _, first = next(pages)
        assert first.nearest((80.0, 452.0, 220.0, 468.0)) == "Venue"
        again = first.nearest  # the same page's labels, once the next page is open
        next(pages)
        assert again((100.0, 640.0, 300.0, 680.0)) is None
