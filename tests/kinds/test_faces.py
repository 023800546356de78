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


def test_a_faces_job_whose_original_is_damaged_keeps_the_variants_faces_and_says_so(
    tmp_path, catalog, vault, settings, clock, shared_data, caplog
) -> None:
    from trousseau.catalog import iter_photos

    photo = tmp_path / "IMG_0001.JPG"
    cv2.imwrite(str(photo), _crowd(shared_data, (40, 80)), [cv2.IMWRITE_JPEG_QUALITY, 95])
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t", faces=True), settings,
                              clock)  # fmt: skip
    for _ in ingest(
        [photo], catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        pass
    pool = InlinePool(settings, ["trousseau.kinds"])
    Worker(catalog, pool, settings.jobs, kinds=[Kind.VARIANTS]).run(until_idle=True)
    with catalog.begin() as conn:
        (stored,) = iter_photos(conn)
    path = vault.blob_path(stored.sha256)
    path.chmod(0o644)
    path.write_bytes(b"\xff\xd8\xff damaged after its variants were made")
    with caplog.at_level("WARNING"):
        Worker(catalog, pool, settings.jobs, kinds=[Kind.FACES]).run(until_idle=True)
    with catalog.begin() as conn:
        jobs = {j.kind: j.state for j in list_jobs(conn)}
        faces = wedding_faces(conn, wedding.id)
    assert jobs[Kind.FACES] == DONE  # not retried: the variant's faces stand
    assert [round(f.box[0], -2) for f in faces] == [2300]  # the 80 px guest, from the variant
    (line,) = [r.getMessage() for r in caplog.records if "IMG_0001.JPG" in r.getMessage()]
    assert "read from its variant only" in line and "trousseau verify" in line
