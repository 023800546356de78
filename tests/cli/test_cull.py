"""`trousseau cull`: a card with a sharp frame, its blurred and its re-encoded copies, and
a dark frame, ingested and rendered, comes back with the rejects, the duplicate and the
burst."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from trousseau.cli import app


def _run(tmp_path: Path, *args: str):
    return CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *args])


def test_cull_names_rejects_duplicates_and_bursts(tmp_path, shared_data) -> None:
    source = cv2.imread(str(shared_data / "photos" / "orientation" / "Landscape_0.jpg"))
    other = cv2.imread(str(shared_data / "photos" / "exif" / "iphone6_gps.jpg"))
    card = tmp_path / "card"
    card.mkdir()
    cv2.imwrite(str(card / "IMG_0001.JPG"), source, [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(str(card / "IMG_0002.JPG"), source, [cv2.IMWRITE_JPEG_QUALITY, 60])
    cv2.imwrite(str(card / "IMG_0003.JPG"), cv2.GaussianBlur(source, (0, 0), 6))
    cv2.imwrite(str(card / "IMG_0004.JPG"), (other * 0.06).astype(np.uint8))
    cv2.imwrite(str(card / "IMG_0005.JPG"), other)
    made = _run(tmp_path, "ingest", str(card), "--wedding", "okafor-bello", "--date",
                "2027-06-19", "--timezone", "Africa/Lagos")  # fmt: skip
    assert made.exit_code == 0, made.output
    worked = _run(tmp_path, "work", "--until-idle")
    assert worked.exit_code == 0, worked.output
    done = _run(tmp_path, "cull", "okafor-bello", "--json")
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    status = {row["photo"]: row["status"] for row in body["photos"]}
    reasons = {row["photo"]: " ".join(row.get("reasons", [])) for row in body["photos"]}
    assert status["IMG_0003.JPG"] == "reject" and "blurred" in reasons["IMG_0003.JPG"]
    assert status["IMG_0004.JPG"] == "reject" and "underexposed" in reasons["IMG_0004.JPG"]
    assert status["IMG_0005.JPG"] == "keep"
    assert {status["IMG_0001.JPG"], status["IMG_0002.JPG"]} == {"keep", "duplicate"}
    bursts = [sorted(b["photos"]) for b in body["bursts"]]
    assert ["IMG_0001.JPG", "IMG_0002.JPG"] in [b[:2] for b in bursts]


def test_cull_prints_names_with_brackets_as_they_are(tmp_path, shared_data) -> None:
    """Photo names are text, not rich markup: "[edit]" is printed, not swallowed."""
    source = cv2.imread(str(shared_data / "photos" / "orientation" / "Landscape_0.jpg"))
    card = tmp_path / "card"
    card.mkdir()
    cv2.imwrite(str(card / "IMG_0001 [edit].JPG"), source, [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(str(card / "IMG_0002 [b].JPG"), source, [cv2.IMWRITE_JPEG_QUALITY, 60])
    made = _run(tmp_path, "ingest", str(card), "--wedding", "w", "--date", "2027-06-19")
    assert made.exit_code == 0, made.output
    assert _run(tmp_path, "work", "--until-idle").exit_code == 0

    done = _run(tmp_path, "cull", "w")

    assert done.exit_code == 0, done.output
    assert "IMG_0001 [edit].JPG" in done.stdout and "IMG_0002 [b].JPG" in done.stdout
    assert (
        "representative IMG_000" in done.stdout and " [" in done.stdout.split("representative")[1]
    )
    assert "burst: IMG_0001 [edit].JPG, IMG_0002 [b].JPG -> pick IMG_000" in done.stdout
