"""OCR of a scanned page with Tesseract: the words it reads, with their boxes and lines.

Tesseract 5 (the Debian package `tesseract-ocr`, LSTM engine, English model) is run as a
command: on scanned forms it read words at F1 0.977 in 1.2-2.0 s a page, RapidOCR 0.974 in
about 5 s (issue 14's measurements), and it needs no model inside a Python package. One
process per page, limited to one thread (`OMP_THREAD_LIMIT=1`), so a worker's cores are
shared by pages, not fought over inside one.

`parse_tsv` is pure; `recognise` is the one function that runs the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from trousseau.errors import OcrUnavailable
from trousseau.forms.raster import OcrWord

LANGUAGE = "eng"
PAGE_SEGMENTATION = "11"
"""Sparse text: a form's labels are scattered phrases, not paragraphs (mode 3, automatic
layout, merges a label with the column beside it and loses short ones)."""
BLOCK = "6"
"""One block of lines: how a `raster.Strip` of cells is read (sparse reading skips a tax
form's bold line numbers even there)."""


def parse_tsv(text: str) -> list[OcrWord]:
    """Tesseract's TSV output as words in reading order (level 5 rows with text)."""
    words: list[OcrWord] = []
    lines: dict[tuple[str, str, str, str], tuple[int, int, int, int]] = {}
    for row in text.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12:
            continue
        level, page, block, par, line = cells[0], cells[1], cells[2], cells[3], cells[4]
        try:
            left, top, width, height = (int(c) for c in cells[6:10])
            confidence = float(cells[10])
        except ValueError:
            continue
        box = (left, top, left + width, top + height)
        key = (page, block, par, line)
        if level == "4":
            lines[key] = box
        elif level == "5" and cells[11].strip():
            words.append(OcrWord(cells[11].strip(), box, lines.get(key, box), confidence))
    return words


def recognise(
    png: bytes, *, dpi: int, timeout: float, what: str, segmentation: str = PAGE_SEGMENTATION
) -> list[OcrWord]:
    """The words Tesseract reads on one page image (PNG bytes at `dpi`), laid out as
    `segmentation` says (Tesseract's --psm)."""
    command = shutil.which("tesseract")
    if command is None:
        raise OcrUnavailable(
            f"{what}: is a scan and the `tesseract` command is not installed: install the "
            "tesseract-ocr package (Debian: apt-get install tesseract-ocr) to read scanned forms"
        )
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            [
                command,
                "stdin",
                "stdout",
                "--dpi",
                str(dpi),
                "--psm",
                segmentation,
                "-l",
                LANGUAGE,
                "tsv",
            ],
            input=png,
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OcrUnavailable(f"{what}: OCR took longer than {timeout:g} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(
            f"{what}: tesseract failed ({reason[-1] if reason else f'exit {done.returncode}'})"
        )
    return parse_tsv(done.stdout.decode("utf-8", "replace"))
