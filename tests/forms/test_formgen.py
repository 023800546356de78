"""The forms benchmark's generator: seeded, exact, and read back by both readers."""

from __future__ import annotations

import pytest
from bench.formgen import KINDS, generate
from bench.forms import Box, flatten, match, scores

from trousseau.forms import FieldType, FormKind, read_fillable, read_form


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_seed_gives_the_same_bytes_and_truth(kind: str) -> None:
    first, second = generate(7, kind), generate(7, kind)
    assert first == second
    assert generate(8, kind)[0] != first[0]


@pytest.mark.parametrize("kind", KINDS)
def test_the_truth_is_the_widgets_of_the_fillable_version(kind: str) -> None:
    fillable, _, truth = generate(3, kind)
    report = read_fillable(fillable, name=f"{kind}.pdf", nearby_labels=False)
    widgets = sorted(
        (p, r)
        for f in report.fields
        for p, r in (
            [(o.page, o.rect) for o in f.options]
            if f.type is FieldType.RADIO
            else [(w.page, w.rect) for w in f.widgets]
        )
    )
    assert widgets == sorted((t.page, t.rect) for t in truth)


def test_the_flat_version_has_no_acroform_and_is_read_as_flat() -> None:
    _, flat, truth = generate(1, "questionnaire")
    report = read_form(flat, name="flat.pdf")
    assert report.kind is FormKind.FLAT
    found = [
        Box("d", f.page or 0, f.rect, f.type.value, f.label)
        for f in report.fields
        if f.rect and f.type is not FieldType.RADIO
    ]
    assert (
        len(match([Box("d", t.page, t.rect, t.type, t.label) for t in truth], found))
        >= len(found) * 0.9
    )


def test_scores_match_by_class_and_iou() -> None:
    truth = [
        Box("d", 0, (0, 0, 100, 20), "date", "Date"),
        Box("d", 0, (0, 40, 10, 50), "checkbox", "Yes"),
    ]
    found = [
        Box("d", 0, (2, 0, 100, 18), "date", "date"),
        Box("d", 0, (0, 40, 10, 50), "text", None),
    ]
    s = scores(truth, found, semantic=True)
    assert s["f1"] == pytest.approx(0.5)
    assert s["checkbox_recall"] == 0.0
    assert s["labels"] == 0.5


def test_flatten_removes_the_widgets() -> None:
    fillable, _, _ = generate(2, "contract")
    assert read_fillable(flatten(fillable), name="f.pdf").fields == ()
