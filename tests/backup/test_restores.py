"""Restores that meet a damaged vault or a folder they cannot write, and the names listed
beside a restore to a folder (`names.tsv`): one line a blob, whatever the name holds (the
restore itself: tests/backup/test_runs.py and tests/cli/test_backup.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trousseau.backup import find_snapshot, restore
from trousseau.backup.restores import tsv_field
from trousseau.catalog import ensure_tenant, list_weddings
from trousseau.errors import BlobCorrupt, RestoreFailed

from .test_runs import _ingest, _run


def _unescape(field: str) -> str:
    out, chars = [], iter(field)
    for char in chars:
        out.append(
            {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[next(chars)] if char == "\\" else char
        )
    return "".join(out)


@pytest.mark.parametrize(
    "name",
    ["IMG_0001.JPG", "IMG\n0001\tfinal.jpg", "a\\tb.jpg", "line\r\n.jpg", "\\", "été.jpg"],
)
def test_a_name_stays_one_field_on_one_line_and_reads_back(name: str) -> None:
    field = tsv_field(name)
    assert "\t" not in field and "\n" not in field and "\r" not in field
    assert _unescape(field) == name


def test_plain_names_are_written_as_they_are() -> None:
    assert tsv_field("IMG_0001 [edit].JPG") == "IMG_0001 [edit].JPG"


def _backed_up(tmp_path, catalog, vault, repo, settings, clock):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(2))
    _ingest(tmp_path, catalog, vault, settings, clock, "rossi-bianchi", range(5, 6))
    _run(catalog, vault, repo, settings, clock)
    return find_snapshot(repo, "latest")


def test_a_damaged_vault_blob_is_mended_by_a_restore_into_the_vault(
    tmp_path, catalog, vault, repo, settings, clock
):
    """`trousseau verify` says "restore them from backup": the restore must not skip a
    damaged blob as already there."""
    snapshot = _backed_up(tmp_path, catalog, vault, repo, settings, clock)
    damaged = sorted(vault.iter_blobs())[0]
    path = vault.blob_path(damaged)
    original = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(b"rot" + original[3:])
    with pytest.raises(BlobCorrupt):
        vault.verify(damaged)

    report = restore(repo, snapshot, vault=vault)

    assert report.blobs == 1 and report.skipped == 2
    assert vault.get_bytes(damaged) == original
    (aside,) = (Path(vault.root) / "damaged").iterdir()
    assert aside.name.startswith(damaged) and aside.read_bytes()[:3] == b"rot"


def test_a_restore_to_something_not_a_folder_is_a_clear_error(
    tmp_path, catalog, vault, repo, settings, clock
):
    snapshot = _backed_up(tmp_path, catalog, vault, repo, settings, clock)
    afile = tmp_path / "afile.txt"
    afile.write_text("not a folder")
    with pytest.raises(RestoreFailed, match=r"afile\.txt: it is a file, not a folder"):
        restore(repo, snapshot, to=afile)
    with pytest.raises(RestoreFailed, match=r"not a folder is in the way"):
        restore(repo, snapshot, to=afile / "under")
    assert afile.read_text() == "not a folder"


def test_weddings_restored_into_one_folder_keep_all_their_names(
    tmp_path, catalog, vault, repo, settings, clock
):
    snapshot = _backed_up(tmp_path, catalog, vault, repo, settings, clock)
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio-a", now=clock())
        weddings = {w.slug: w for w in list_weddings(conn, tenant.id)}
    names = {sha: f"name-of-{sha[:8]}.JPG" for sha in vault.iter_blobs()}
    out = tmp_path / "out"
    for slug in ("smith-jones", "rossi-bianchi", "smith-jones"):
        w = weddings[slug]
        restore(repo, snapshot, to=out, tenant=str(w.tenant_id), wedding=str(w.id), names=names)
    lines = (out / "names.tsv").read_text().splitlines()
    assert len(lines) == 3 and {line.split("\t")[1] for line in lines} == set(names.values())
