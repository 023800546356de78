"""Culling from stored signals (pure): rejects under the threshold with their reasons, the
lesser frames of a burst as duplicates of its pick, unmeasured photos pending, unreadable
ones with their reason, and moments over the measured photos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trousseau.analysis import Verdict, cull
from trousseau.catalog import QualityRow, Signals

T0 = datetime(2027, 6, 19, 14, 0, tzinfo=UTC)


def _row(photo_id: int, score: float | None, dhash: int = 0, *, at: timedelta = timedelta(0),
         error: str | None = None, reasons: tuple[str, ...] = (),
         failed: str | None = None) -> QualityRow:  # fmt: skip
    signals = None
    if score is not None:
        signals = Signals(2.0, 0.2, 0.5, 0.0, 0.0, 2.0, score, reasons, dhash)
    measured = T0 if (signals or error) else None
    return QualityRow(photo_id, f"IMG_{photo_id}.JPG", T0 + at,
                      "failed" if failed else "processed", failed, "reception", signals, error,
                      measured)  # fmt: skip


def test_verdicts_bursts_and_moments() -> None:
    rows = [
        _row(1, 0.9, 0x0F0F, at=timedelta(seconds=0)),
        _row(2, 0.95, 0x0F0E, at=timedelta(seconds=1)),  # same burst, the better frame
        _row(3, 0.2, 0xFFFF0000, at=timedelta(seconds=30), reasons=("blurred (sharpness 1.0)",)),
        _row(4, None),
        _row(5, None, error="variant reception unreadable: damaged"),
        _row(6, 0.8, 0xF0F0F0F0F0F0, at=timedelta(hours=2)),
        _row(7, None, failed="IMG_7.JPG is truncated"),
    ]
    culled = cull(rows)
    verdicts = {p.photo_id: p.verdict for p in culled.photos}
    assert verdicts == {1: Verdict.DUPLICATE, 2: Verdict.KEEP, 3: Verdict.REJECT,
                        4: Verdict.PENDING, 5: Verdict.UNREADABLE, 6: Verdict.KEEP,
                        7: Verdict.FAILED}  # fmt: skip
    assert by_id_reason(culled, 7) == "its variants could not be made: IMG_7.JPG is truncated"
    by_id = {p.photo_id: p for p in culled.photos}
    assert by_id[1].reasons == ("a burst with IMG_2.JPG, the better frame",)
    assert by_id[3].reasons == ("blurred (sharpness 1.0)",) and by_id[3].keep_score == 0.2
    assert by_id[5].reasons == ("variant reception unreadable: damaged",)
    assert by_id[4].keep_score is None and by_id[4].reasons == ()
    (burst,) = culled.bursts
    assert [s.id for s in burst.shots] == [1, 2] and burst.pick.id == 2
    assert [[s.id for s in m.shots] for m in culled.moments] == [[1, 2, 3], [6]]
    assert culled.count(Verdict.KEEP) == 2 and culled.count("pending") == 1  # enum or value
    assert culled.counts()[Verdict.FAILED] == 1


def test_the_threshold_is_the_callers() -> None:
    rows = [_row(1, 0.6)]
    assert cull(rows).photos[0].verdict is Verdict.KEEP
    assert cull(rows, reject_below=0.7).photos[0].verdict is Verdict.REJECT


def test_nothing_measured_is_all_pending() -> None:
    culled = cull([_row(1, None), _row(2, None)])
    assert [p.verdict for p in culled.photos] == [Verdict.PENDING, Verdict.PENDING]
    assert culled.bursts == () and culled.moments == ()


def by_id_reason(culled, photo_id: int) -> str:
    (judged,) = [p for p in culled.photos if p.photo_id == photo_id]
    (reason,) = judged.reasons
    return reason


def test_the_report_is_plain_values() -> None:
    from trousseau.analysis import report

    body = report("w", cull([_row(1, 0.9, 1), _row(2, None)]))
    assert body["counts"]["keep"] == 1 and body["counts"]["pending"] == 1
    assert body["photos"][0] == {"photo_id": 1, "photo": "IMG_1.JPG", "status": "keep",
                                 "keep_score": 0.9, "reasons": []}  # fmt: skip
    assert body["moments"] == [{"start": T0.isoformat(), "end": T0.isoformat(), "photos": 1,
                                "representative": "IMG_1.JPG"}]  # fmt: skip


def test_a_photo_whose_faces_are_out_of_focus_is_lowered() -> None:
    from trousseau.analysis.culling import SOFT_SUBJECT, SOFT_SUBJECT_FACTOR

    rows = [_row(1, 0.9, 1), _row(2, 0.9, 0xFFFF, at=timedelta(hours=1)), _row(3, 0.9, 7)]
    culled = cull(rows, subjects={1: SOFT_SUBJECT - 0.5, 2: SOFT_SUBJECT + 0.5})
    by_id = {p.photo_id: p for p in culled.photos}
    assert by_id[1].verdict is Verdict.REJECT
    assert by_id[1].keep_score == round(0.9 * SOFT_SUBJECT_FACTOR, 4)
    assert by_id[1].reasons == (f"faces out of focus (sharpest face {SOFT_SUBJECT - 0.5:.2f})",)
    assert by_id[2].verdict is Verdict.KEEP and by_id[2].reasons == ()
    assert by_id[3].verdict is Verdict.KEEP  # no face measured: the frame alone decides
