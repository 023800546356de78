"""Forms benchmark: field detection on printed (flat) forms, and the fillable inventory's speed.

Run `.venv/bin/python -m bench.forms [--forms 30] [--baseline-pages 12]`. In one run:

- (b) generated: `bench.formgen` writes seeded wedding questionnaires, contracts and
  timelines as real AcroForms (exact truth: the widgets), and the same pages without widgets
  (flat). trousseau's detector (`forms.read_form`) reads the flat versions;
- (a) real: the fillable PDFs of `../shared/data/pdf/fillable` (skipped when absent) and the
  US federal forms of `bench/data/forms` (IRS, DoD, VA, Air Force: public domain, each taken
  from a package's test files, listed with its source and SHA-256 in SOURCES.md there),
  truth read from their widgets by `read_fillable`, flattened with pikepdf's
  `flatten_annotations()` (appearances drawn into the page, widgets and /AcroForm removed);
- filled in: the same forms as they come back filled in and printed. (b) filled in draws
  each answer where a filled widget's appearance puts it (`formgen.generate_filled`: text,
  comb characters, ticks, crosses and radio dots; one field in eight left blank); (a)
  filled in types answers into the real forms' text fields and ticks every other checkbox
  with pikepdf's appearance generator before flattening (`filled_real_set`: the truth's
  answer is what the flattened page shows in the widget's rectangle);
- metrics: class-aware F1 at IoU 0.5 (classes as CommonForms scores them: text box, choice
  button, signature; matched greedily by IoU within a class), checkbox recall, label accuracy,
  type macro-F1 and wedding concept top-1 (on (b), where the printed label, the meaning and
  the concept are known), answers (on the filled sets: the share of true widgets whose
  answer, or blank, is read back as the field's value; an unmatched widget counts as
  wrong), pages/s on one core of the detector on born-digital pages, and
  pages/s on one core of `read_fillable` with and without nearby labels, on (b)'s fillable
  versions and on (a), against qpdf's own form helper reading the same inventory;
- baseline: FFDNet-S (the weights inside the `commonforms==0.1.2` wheel, AGPL-marked: run
  here only, never committed or shipped), on the same pages rendered at 1600 px, from a
  separate virtual environment `.bench/ffdnet-venv` with torch (CPU) and ultralytics. When it
  is missing, the table says "baseline unavailable" and why.

The table goes to stdout and between the `bench:forms` markers of docs/benchmarks.md
(`--no-docs` to skip). Floors are reported, not enforced.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.forms")

import argparse
import datetime as dt
import io
import json
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf

from bench.formgen import KINDS, Truth, generate, generate_filled
from bench.harness import DOCS, REPO, recipe, say, write_section
from bench.scans import scan_pdf
from trousseau.forms import iou

START = "<!-- bench:forms:start -->"
END = "<!-- bench:forms:end -->"
SHARED = REPO.parent / "shared" / "data" / "pdf"
PUBLIC = REPO / "bench" / "data" / "forms"
"""Public US federal forms (SOURCES.md there): set (a) with the shared fillable PDFs."""
FFDNET_VENV = REPO / ".bench" / "ffdnet-venv"
NAVY = "0 0 0.5 rg"
"""The colour a PDF editor's fields often write their answers in (a form's /DA)."""
FFDNET_WHEEL_MODEL = "commonforms/models/FFDNet-S.pt"
BUTTONS = {"checkbox", "radio"}


def cls(kind: str) -> str:
    """The CommonForms class of a field type: a choice button, a signature, or a text box."""
    if kind in BUTTONS:
        return "choice"
    if kind == "signature":
        return "signature"
    return "text"


@dataclass(frozen=True)
class Box:
    """One widget, true or detected: page, rectangle, type, label."""

    doc: str
    page: int
    rect: tuple[float, float, float, float]
    type: str
    label: str | None = None
    concept: str | None = None
    value: str | None = None
    """The answer it holds: text, "on" for a ticked box or the chosen radio button, None."""
    name: str | None = None
    """A true widget's field name (its qualified name), to fill it in."""


def match(truth: Sequence[Box], found: Sequence[Box]) -> list[tuple[int, int]]:
    """Pairs (truth index, found index) matched greedily by IoU >= 0.5 within a class."""
    pairs = []
    by_page: dict[tuple[str, int], list[int]] = {}
    for j, f in enumerate(found):
        by_page.setdefault((f.doc, f.page), []).append(j)
    for i, t in enumerate(truth):
        for j in by_page.get((t.doc, t.page), []):
            f = found[j]
            if cls(f.type) == cls(t.type):
                score = iou(t.rect, f.rect)
                if score >= 0.5:
                    pairs.append((score, i, j))
    pairs.sort(reverse=True)
    used_t: set[int] = set()
    used_f: set[int] = set()
    result = []
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            result.append((i, j))
    return result


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").casefold()).strip()


def scores(truth: Sequence[Box], found: Sequence[Box], *, semantic: bool) -> dict[str, float]:
    """F1 (class-aware, IoU 0.5), checkbox recall and, with `semantic`, label accuracy, type
    macro-F1 and wedding concept top-1 accuracy (an abstention is right where the truth has
    no concept; unmatched truth counts as a wrong label, a missed type and a wrong concept)."""
    pairs = match(truth, found)
    tp = len(pairs)
    f1 = 2 * tp / (len(truth) + len(found)) if truth or found else 1.0
    buttons = [i for i, t in enumerate(truth) if cls(t.type) == "choice"]
    matched = dict(pairs)
    recall = sum(1 for i in buttons if i in matched) / len(buttons) if buttons else float("nan")
    out = {"f1": f1, "checkbox_recall": recall, "truth": len(truth), "found": len(found)}
    if semantic:
        right = sum(1 for i, j in pairs if _norm(truth[i].label) == _norm(found[j].label))
        out["labels"] = right / len(truth) if truth else float("nan")
        concepts = sum(1 for i, j in pairs if truth[i].concept == found[j].concept)
        out["concepts"] = concepts / len(truth) if truth else float("nan")
        out["type_f1"] = _macro_f1(
            [t.type for t in truth],
            [found[matched[i]].type if i in matched else "-" for i in range(len(truth))],
        )
    if any(t.value is not None for t in truth):
        out["values"] = sum(
            1 for i, j in pairs if _norm(truth[i].value) == _norm(found[j].value)
        ) / len(truth)
    return out


def _macro_f1(expected: Sequence[str], got: Sequence[str]) -> float:
    classes = sorted(set(expected))
    values = []
    for c in classes:
        tp = sum(1 for e, g in zip(expected, got, strict=True) if e == c and g == c)
        fp = sum(1 for e, g in zip(expected, got, strict=True) if e != c and g == c)
        fn = sum(1 for e, g in zip(expected, got, strict=True) if e == c and g != c)
        values.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return sum(values) / len(values) if values else float("nan")


def detected_boxes(doc: str, data: bytes) -> tuple[list[Box], int]:
    """trousseau's detected widgets on a flat PDF, and its page count."""
    from trousseau.forms import read_form

    report = read_form(data, name=doc, nearby_labels=False)
    boxes = []
    for f in report.fields:
        if f.type.value == "radio":
            for o in f.options:
                if o.rect is not None and o.page is not None:
                    on = "on" if f.value is not None and f.value == o.value else None
                    boxes.append(Box(doc, o.page, o.rect, "radio", o.label, f.concept, on))
        elif f.rect is not None and f.page is not None:
            value = f.value if isinstance(f.value, str) else None
            if f.type.value == "checkbox":
                value = "on" if value not in (None, "Off") else None
            boxes.append(Box(doc, f.page, f.rect, f.type.value, f.label, f.concept, value))
    return boxes, report.pages


def generated_set(count: int) -> list[tuple[str, bytes, list[Box]]]:
    """`count` generated forms (kinds in turn, seeds 0..): (name, flat bytes, truth)."""
    result = []
    for seed in range(count):
        kind = KINDS[seed % len(KINDS)]
        _, flat, truth = generate(seed, kind)
        name = f"{kind}-{seed}"
        result.append((name, flat, [_truth_box(name, t) for t in truth]))
    return result


def filled_set(count: int, *, ink: str | None = None) -> list[tuple[str, bytes, list[Box]]]:
    """The same `count` forms as `generated_set`, filled in and printed (`generate_filled`;
    `ink`: the answers in that colour, as a PDF editor writes them): (name, flat bytes,
    truth with the answers)."""
    result = []
    for seed in range(count):
        kind = KINDS[seed % len(KINDS)]
        flat, truth = generate_filled(seed, kind, ink=ink)
        name = f"{kind}-{seed}-filled"
        result.append((name, flat, [_truth_box(name, t) for t in truth]))
    return result


def _truth_box(doc: str, t: Truth) -> Box:
    return Box(doc, t.page, t.rect, t.type, t.label, t.concept, t.value)


def real_set(folder: Path) -> list[tuple[str, bytes, list[Box]]]:
    """The fillable PDFs of `folder` with AcroForm fields: (name, flattened bytes, truth)."""
    result = []
    for path in sorted(folder.glob("*.pdf")):
        truth = _widgets(path)
        if truth:
            result.append((path.name, flatten(path.read_bytes()), truth))
    return result


def filled_real_set(folder: Path) -> list[tuple[str, bytes, list[Box]]]:
    """`real_set`'s forms filled in before they are flattened: each text field given one of
    `FILLS` (cut to its maximum length), every other checkbox ticked (seeded by the file's
    name), appearances drawn by pikepdf's generator, as a PDF editor fills a form and
    prints it. A text field's true value is what the flattened page shows in its rectangle
    (a field whose appearance could not be drawn holds none); a checkbox's is "on" when
    this function ticked it (a box the form ships ticked counts as blank: none of set (a)
    does)."""
    import pikepdf.form
    import pypdfium2 as pdfium

    result = []
    for path in sorted(folder.glob("*.pdf")):
        truth = _widgets(path)
        if not truth:
            continue
        rng = random.Random(path.name)
        ticked: set[str] = set()
        with pikepdf.open(path) as pdf:
            form = pikepdf.form.Form(pdf, pikepdf.form.DefaultAppearanceStreamGenerator)
            for name, f in form.items():
                try:
                    if isinstance(f, pikepdf.form.TextField) and not f.is_read_only:
                        value = rng.choice(FILLS)
                        f.value = value[: f.max_length] if f.max_length else value
                    elif isinstance(f, pikepdf.form.CheckboxField) and rng.random() < 0.5:
                        f.checked = True
                        ticked.add(name)
                except (pikepdf.PdfError, ValueError, TypeError, AttributeError):
                    continue  # a field the generator cannot draw stays blank
            out = io.BytesIO()
            pdf.save(out)
        flat = flatten(out.getvalue())
        document = pdfium.PdfDocument(flat)
        try:
            shown = []
            for box in truth:
                if box.type == "checkbox":
                    shown.append(replace(box, value="on" if box.name in ticked else None))
                    continue
                page = document[box.page]
                left, bottom, _, _ = page.get_cropbox()  # the truth is in displayed points
                x0, y0, x1, y1 = box.rect
                text = (
                    page.get_textpage().get_text_bounded(
                        x0 + left, y0 + bottom, x1 + left, y1 + bottom
                    )
                    if page.get_rotation() == 0
                    else ""
                )
                shown.append(replace(box, value=" ".join(text.split()) or None))
        finally:
            document.close()
        result.append(
            (f"{path.name}-filled", flat, [replace(b, doc=f"{path.name}-filled") for b in shown])
        )
    return result


FILLS = (
    "Ada Okafor",
    "06/14/2027",
    "120",
    "ada.okafor@example.com",
    "Lagos",
    "4,500.00",
    "+1 555 010 2233",
)
"""The answers `filled_real_set` types into real forms."""


def _widgets(path: Path) -> list[Box]:
    """The widgets of a fillable PDF as truth (none when it cannot be read)."""
    from trousseau.errors import FormError
    from trousseau.forms import read_fillable

    try:
        report = read_fillable(path, nearby_labels=False)
    except FormError:
        return []
    truth = []
    for f in report.fields:
        if f.type.value == "button":
            continue
        places = (
            [(o.page, o.rect) for o in f.options if o.rect is not None]
            if f.type.value == "radio"
            else [(w.page, w.rect) for w in f.widgets]
        )
        for page, rect in places:
            if page is not None and (rect[2] - rect[0]) * (rect[3] - rect[1]) >= 4:
                truth.append(Box(path.name, page, rect, f.type.value, f.label, name=f.name))
    return truth


def flatten(data: bytes) -> bytes:
    """A fillable PDF as printed: widget appearances drawn into the pages, widgets and the
    /AcroForm removed."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.flatten_annotations(mode="all")
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if isinstance(annots, pikepdf.Array):
                kept = [a for a in annots if a.get("/Subtype") != pikepdf.Name.Widget]
                page.obj.Annots = pikepdf.Array(kept)
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def run_ours(docs: Sequence[tuple[str, bytes, list[Box]]]) -> tuple[list[Box], int, float]:
    """Detected widgets of every document, pages read, and seconds (one process, one core)."""
    found: list[Box] = []
    pages = 0
    started = time.perf_counter()
    for name, data, _ in docs:
        boxes, n = detected_boxes(name, data)
        found += boxes
        pages += n
    return found, pages, time.perf_counter() - started


FFDNET_SCRIPT = r"""
import json, sys, time, zipfile, pathlib
import pypdfium2 as pdfium
import torch
from ultralytics import YOLO
torch.set_num_threads(1)
model = YOLO(sys.argv[1])
names = {0: "text", 1: "checkbox", 2: "signature"}
out = []
pages = 0
started = time.perf_counter()
for path in sys.argv[2:]:
    doc = pdfium.PdfDocument(path)
    for index in range(len(doc)):
        page = doc[index]
        w, h = page.get_size()
        image = page.render(scale=1600 / max(w, h)).to_pil().convert("RGB")
        result = model.predict(
            image, iou=0.1, conf=0.3, augment=True, imgsz=1600, device="cpu", verbose=False
        )[0]
        for box in result.boxes.cpu().numpy():
            cx, cy, bw, bh = (float(v) for v in box.xywhn[0])
            x0, x1 = (cx - bw / 2) * w, (cx + bw / 2) * w
            y1, y0 = h - (cy - bh / 2) * h, h - (cy + bh / 2) * h
            kind = names[int(box.cls.item())]
            out.append([pathlib.Path(path).name, index, [x0, y0, x1, y1], kind])
        pages += 1
print(json.dumps({"boxes": out, "pages": pages, "seconds": time.perf_counter() - started}))
"""


def run_ffdnet(docs: Sequence[tuple[str, bytes, list[Box]]]) -> tuple[list[Box], int, float] | str:
    """FFDNet-S's widgets on the same flat documents, or why it cannot run here."""
    python = FFDNET_VENV / "bin" / "python"
    if not python.exists():
        return f"no {FFDNET_VENV.relative_to(REPO)} (see bench/README.md to set it up)"
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; "
            "print(list(u.find_spec('commonforms').submodule_search_locations)[0])",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return "commonforms is not installed in the FFDNet environment"
    weights = Path(probe.stdout.strip()) / "models" / "FFDNet-S.pt"
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data, _ in docs:
            target = Path(tmp) / name
            target.write_bytes(data)
            paths.append(str(target))
        done = subprocess.run(
            [str(python), "-c", FFDNET_SCRIPT, str(weights), *paths],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    if done.returncode != 0:
        return "FFDNet-S failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    boxes = [Box(d, p, tuple(r), t) for d, p, r, t in result["boxes"]]  # type: ignore[arg-type]
    return boxes, int(result["pages"]), float(result["seconds"])


@dataclass(frozen=True)
class Inventory:
    """Pages/s on one core of reading a set's fillable PDFs (from bytes in memory)."""

    title: str
    docs: int
    pages: int
    fields: int
    without_labels: float
    with_labels: float
    qpdf_helper: float
    typed_form: float


def fillable_speed(title: str, files: Sequence[tuple[str, bytes]], rounds: int) -> Inventory | None:
    """`read_fillable` with and without nearby labels against qpdf's own form helper (C++,
    through `pikepdf.form.AcroForm`) reading the same inventory: each widget's field with
    its qualified name, type, flags, value, tooltip and options, and its rectangle. Each
    is timed `rounds` times; the best round counts (the others met a busier machine).
    None when no file of the set is readable."""
    from trousseau.errors import FormError
    from trousseau.forms import read_fillable

    readable = []
    for name, data in files:
        try:
            report = read_fillable(data, name=name, nearby_labels=False)
        except FormError:
            continue
        readable.append((name, data, report.pages, len(report.fields)))
    if not readable:
        return None
    pages = sum(r[2] for r in readable)

    def ours(labels: bool) -> None:
        for name, data, _, _ in readable:
            read_fillable(data, name=name, nearby_labels=labels)

    def helper() -> None:
        for _, data, _, _ in readable:
            qpdf_inventory(data)

    def typed() -> None:
        for _, data, _, _ in readable:
            typed_inventory(data)

    speeds = []
    for run in (lambda: ours(False), lambda: ours(True), helper, typed):
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        speeds.append(pages / best)
    return Inventory(title, len(readable), pages, sum(r[3] for r in readable), *speeds)


def qpdf_inventory(data: bytes) -> list[tuple[object, ...]]:
    """The peer: every widget of every page with its field's name, type, flags, value,
    tooltip and options, as qpdf's form helper reads them."""
    import pikepdf.form

    with pikepdf.open(io.BytesIO(data)) as pdf:
        form = pikepdf.form.AcroForm(pdf)
        found: list[tuple[object, ...]] = []
        for index, page in enumerate(pdf.pages):
            for widget in form.get_widget_annotations_for_page(page):
                f = form.get_field_for_annotation(widget)
                found.append(
                    (
                        index,
                        f.fully_qualified_name,
                        f.field_type,
                        f.flags,
                        f.value_as_string,
                        f.alternate_name,
                        f.choices,
                        widget.rect,
                    )
                )
        return found


def typed_inventory(data: bytes) -> list[tuple[object, ...]]:
    """The issue's own peer, `pikepdf.form.Form`: typed fields with their values, radio groups
    with their options, choices with theirs (issue 14 quotes it at about 3,300 pages/s)."""
    import pikepdf.form

    with pikepdf.open(io.BytesIO(data)) as pdf:
        found: list[tuple[object, ...]] = []
        for name, f in pikepdf.form.Form(pdf).items():
            if isinstance(f, pikepdf.form.RadioButtonGroup):
                found.append((name, [(o.on_value, o.checked) for o in f.options]))
            elif isinstance(f, pikepdf.form.ChoiceField):
                found.append((name, [(o.display_value, o.export_value) for o in f.options]))
            else:
                found.append((name, type(f).__name__, getattr(f, "value", None)))
        return found


def _without_answers(measured: dict[str, float]) -> dict[str, float]:
    """A detector's scores without the answers, which it does not read (FFDNet finds boxes;
    its "answers" would count the blanks alone)."""
    return {k: v for k, v in measured.items() if k != "values"}


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def _subset(
    docs: Sequence[tuple[str, bytes, list[Box]]], pages: int
) -> list[tuple[str, bytes, list[Box]]]:
    """The shortest documents first, until they hold at least `pages` pages in all (many
    forms rather than one long return)."""
    chosen, total = [], 0
    for doc in sorted(docs, key=lambda d: (_pages(d[1]), d[0])):
        if total >= pages:
            break
        total += _pages(doc[1])
        chosen.append(doc)
    return chosen


def _pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--forms", type=int, default=30, help="generated forms (b)")
    parser.add_argument("--baseline-pages", type=int, default=12, help="pages per set for FFDNet-S")
    parser.add_argument("--no-baseline", action="store_true", help="skip FFDNet-S")
    parser.add_argument(
        "--rounds", type=int, default=7, help="rounds of the fillable inventory (best counts)"
    )
    parser.add_argument("--no-scans", action="store_true", help="skip the rendered scans")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--date", default=dt.date.today().isoformat())
    args = parser.parse_args(argv)

    say(f"generating {args.forms} forms")
    sets: list[tuple[str, list[tuple[str, bytes, list[Box]]], bool]] = [
        ("(b) generated", generated_set(args.forms), True),
        ("(b) filled in", filled_set(args.forms), True),
    ]
    fillable = SHARED / "fillable"
    real = real_set(PUBLIC)
    if fillable.is_dir():
        real = real_set(fillable) + real
    else:
        say("no shared fillable PDFs: set (a) holds bench/data/forms only")
    sets.append(("(a) real forms, flattened", real, False))
    filled = filled_real_set(PUBLIC)
    if fillable.is_dir():
        filled = filled_real_set(fillable) + filled
    sets.append(("(a) filled in", filled, False))
    if not args.no_scans:
        for title, docs, semantic in list(sets):
            say(f"{title}: rendering scans")
            scanned = [
                (name, scan_pdf(data, seed), truth) for seed, (name, data, truth) in enumerate(docs)
            ]
            kind = " filled in," if "filled" in title else ""
            sets.append((f"{title.split(' ')[0]}{kind} rendered scans", scanned, semantic))
    sets.insert(
        2,
        ("(b) filled in by a PDF editor (answers in navy)", filled_set(args.forms, ink=NAVY), True),
    )
    rows = []
    for title, docs, semantic in sets:
        truth = [b for _, _, t in docs for b in t]
        say(f"{title}: detecting on {len(docs)} documents")
        found, pages, seconds = run_ours(docs)
        s = scores(truth, found, semantic=semantic)
        rows.append((title, "trousseau", s, pages, pages / seconds, len(docs)))
        if not args.no_baseline:
            subset = _subset(docs, args.baseline_pages)
            names = {n for n, _, _ in subset}
            say(f"{title}: FFDNet-S on {len(subset)} documents")
            ffd = run_ffdnet(subset)
            sub_truth = [b for b in truth if b.doc in names]
            ours_sub = [b for b in found if b.doc in names]
            if isinstance(ffd, str):
                rows.append((title, f"FFDNet-S: baseline unavailable: {ffd}", None, 0, 0.0, 0))
            else:
                fb, fpages, fsec = ffd
                rows.append(
                    (
                        title,
                        "FFDNet-S (same subset)",
                        _without_answers(scores(sub_truth, fb, semantic=False)),
                        fpages,
                        fpages / fsec,
                        len(subset),
                    )
                )
                rows.append(
                    (
                        title,
                        "trousseau (same subset)",
                        scores(sub_truth, ours_sub, semantic=semantic),
                        fpages,
                        float("nan"),
                        len(subset),
                    )
                )
    inventories = []
    say("fillable inventory")
    generated = [
        (f"{KINDS[i % len(KINDS)]}-{i}", generate(i, KINDS[i % len(KINDS)])[0])
        for i in range(args.forms)
    ]
    for title, files in (
        ("(b) generated wedding forms", generated),
        (
            "(a) shared fillable",
            [(p.name, p.read_bytes()) for p in sorted(fillable.glob("*.pdf"))]
            if fillable.is_dir()
            else [],
        ),
        (
            "(a) public federal forms (bench/data/forms)",
            [(p.name, p.read_bytes()) for p in sorted(PUBLIC.glob("*.pdf"))],
        ),
    ):
        inventory = fillable_speed(title, files, args.rounds)
        if inventory is not None:
            inventories.append(inventory)
    lines = [
        START,
        f"Measured {args.date} on {platform.machine()} ({platform.python_version()}), one process; "
        f"recipe: `{recipe('bench.forms', sys.argv[1:])}`. Floors (issue 14): F1 ≥ 0.80 on (a), "
        "≥ 0.90 on (b); checkbox recall ≥ 0.95; labels ≥ 0.90, type macro-F1 ≥ 0.90 and wedding "
        "concept top-1 ≥ 0.90 on (b); "
        "≥ 10 pages/s per core on born-digital pages; fillable inventory ≥ 1,000 pages/s per core; "
        "on rendered scans (`bench.scans`: 150-200 dpi, ±2°, blur, noise, JPEG 55-80) F1 ≥ 0.70 "
        "on (a) and ≥ 0.85 on (b) at ≤ 3 s per page per core, OCR included (Tesseract 5, one "
        "thread). "
        "Set (a) is the fillable PDFs of the shared data that hold AcroForm fields and nine "
        "US federal forms (IRS, DoD, VA, Air Force; `bench/data/forms`, sources in its "
        "SOURCES.md), flattened by drawing their widgets' appearances into the "
        'page. "Filled in": the same forms as they come back filled in and printed, (b) with '
        "each answer drawn where a filled widget's appearance puts it (text, comb characters, "
        "ticks, crosses, radio dots; one field in eight blank) in the print's own font and "
        "colour (a Word document typed into), or in navy (a PDF editor's fields; no scans of "
        "these: a grey scan cannot tell navy from black), (a) filled by pikepdf's "
        "appearance generator (every text field typed, every other checkbox ticked) before "
        "flattening; answers = the share of true widgets whose answer (or blank) is read back "
        "as the field's value, an unmatched widget counting as wrong. FFDNet-S runs on one "
        'torch thread, its model load not timed; each "same subset" pair is measured on the '
        "same pages.",
        "",
        "| set | system | docs | pages | truth | found | F1 @ IoU 0.5 | checkbox recall "
        "| labels | type macro-F1 | concept top-1 | answers | pages/s/core |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for title, system, s, pages, speed_ps, ndocs in rows:
        if s is None:
            lines.append(f"| {title} | {system} | | | | | | | | | | | |")
            continue
        lines.append(
            f"| {title} | {system} | {ndocs} | {pages} | {s['truth']:.0f} | {s['found']:.0f} | "
            f"{_fmt(s['f1'])} | {_fmt(s['checkbox_recall'])} | "
            f"{_fmt(s.get('labels', float('nan')))} | "
            f"{_fmt(s.get('type_f1', float('nan')))} | "
            f"{_fmt(s.get('concepts', float('nan')))} | "
            f"{_fmt(s.get('values', float('nan')))} | {_fmt(speed_ps, 1)} |"
        )
    lines.append("")
    lines.append(
        f"Fillable inventory, pages/s on one core (`read_fillable` from bytes in memory, best of "
        f"{args.rounds} rounds), against qpdf's own form helper (C++, `pikepdf.form.AcroForm`) "
        "reading each widget's field: name, type, flags, value, tooltip, options and rectangle, "
        "and against `pikepdf.form.Form`'s typed fields (values, radio groups and choices with "
        "their options), the peer issue 14 measured at about 3,300 pages/s. Nearby labels read "
        "the page's text with pdfium for the fields that have no tooltip."
    )
    lines.append("")
    lines.append(
        "| set | docs | pages | fields | trousseau | trousseau + nearby labels "
        "| qpdf form helper | pikepdf.form.Form | trousseau / helper | trousseau / Form |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for inv in inventories:
        lines.append(
            f"| {inv.title} | {inv.docs} | {inv.pages} | {inv.fields} | "
            f"{inv.without_labels:.0f} | {inv.with_labels:.0f} | {inv.qpdf_helper:.0f} | "
            f"{inv.typed_form:.0f} | {inv.without_labels / inv.qpdf_helper:.2f} | "
            f"{inv.without_labels / inv.typed_form:.2f} |"
        )
    lines.append(END)
    text = "\n".join(lines)
    print(text)
    if not args.no_docs:
        write_section(DOCS, text, start=START, end=END, heading="## Forms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
