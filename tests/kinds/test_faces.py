"""The `faces` job end to end on a crowd: it follows the photo's variants in a wedding that
opted in, finds in the original the guest its 3,000 px variant loses, and records every
face in the original's pixels."""

from __future__ import annotations

import cv2

from trousseau.catalog import wedding_faces
from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
from trousseau.jobs import DONE, InlinePool, Worker, list_jobs
from trousseau.kinds import Kind

from ..analysis.test_faces import _crowd


def test_a_crowds_faces_job_finds_every_guest_in_the_original(
    tmp_path, catalog, vault, settings, clock, shared_data
) -> None:
    photo = tmp_path / "IMG_0001.JPG"
    cv2.imwrite(str(photo), _crowd(shared_data, (40, 80)), [cv2.IMWRITE_JPEG_QUALITY, 95])
    spec = WeddingSpec(slug="w", tenant="t", faces=True)
    wedding = prepare_wedding(catalog, spec, settings, clock)
    summary = IngestSummary()
    for event in ingest(
        [photo], catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        summary.add(event)
    Worker(catalog, InlinePool(settings, ["trousseau.kinds"]), settings.jobs).run(until_idle=True)
    with catalog.begin() as conn:
        jobs = {j.kind: j.state for j in list_jobs(conn)}
        faces = wedding_faces(conn, wedding.id)
    assert jobs[Kind.FACES] == DONE
    assert sorted(round(f.box[0], -2) for f in faces) == [800, 2300]
    assert all(f.box[2] - f.box[0] < 80 for f in faces)  # in the original's pixels
