"""Submitting a PDF form: refused early when not a PDF or too large, kept, recorded and
queued once per wedding (the job itself: tests/kinds/test_forms.py)."""

from __future__ import annotations

import pytest

from trousseau.errors import InputMissing, NotAPdf, PdfTooLarge
from trousseau.ingest import WeddingSpec, prepare_wedding, submit_document
from trousseau.jobs import list_jobs
from trousseau.vault import open_vault

from ..forms.makeform import make_form


@pytest.fixture
def vault(settings):
    v = open_vault(settings.vault_url)
    yield v
    v.close()


@pytest.fixture
def wedding(catalog, settings, clock):
    return prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)


def test_the_same_pdf_twice_is_one_document_and_one_job(catalog, vault, settings, wedding, clock):
    data = make_form()
    kw = {"catalog": catalog, "vault": vault, "settings": settings, "wedding": wedding}
    first = submit_document(data, name="a.pdf", clock=clock, **kw)
    again = submit_document(data, name="b.pdf", clock=clock, **kw)
    assert not again.created and again.document_id == first.document_id
    assert again.filename == "a.pdf"
    with catalog.begin() as conn:
        assert len(list_jobs(conn)) == 1


def test_not_a_pdf_and_over_the_limit_are_refused_with_nothing_stored(
    catalog, vault, settings, wedding, clock
):
    kw = {"catalog": catalog, "vault": vault, "settings": settings, "wedding": wedding}
    with pytest.raises(NotAPdf, match=r"photo\.pdf"):
        submit_document(b"\xff\xd8\xff\xe0" + b"\0" * 100, name="photo.pdf", clock=clock, **kw)
    small = settings.model_copy(
        update={"forms": settings.forms.model_copy(update={"max_bytes": 10})}
    )
    with pytest.raises(PdfTooLarge, match=r"forms\.max_bytes"):
        submit_document(make_form(), name="big.pdf", clock=clock, **{**kw, "settings": small})
    assert list(vault.iter_blobs()) == []
    with catalog.begin() as conn:
        assert list_jobs(conn) == []


def test_a_file_is_read_from_its_path_under_its_name(
    catalog, vault, settings, wedding, clock, tmp_path
):
    path = tmp_path / "contract.pdf"
    path.write_bytes(make_form())
    done = submit_document(
        path, wedding=wedding, catalog=catalog, vault=vault, settings=settings, clock=clock
    )
    assert done.created and done.filename == "contract.pdf"
    assert vault.get_bytes(done.sha256) == path.read_bytes()
    with pytest.raises(InputMissing, match=r"missing\.pdf"):
        submit_document(
            tmp_path / "missing.pdf",
            wedding=wedding,
            catalog=catalog,
            vault=vault,
            settings=settings,
            clock=clock,
        )


def test_a_file_name_that_is_not_utf8_is_recorded_readably(
    catalog, vault, settings, wedding, clock, tmp_path
):
    """A PDF named on another system (Latin-1 bytes) is recorded under its readable part; it
    once failed in the catalog after its blob was stored."""
    import os

    path = tmp_path / os.fsdecode(b"contrat_\xe9t\xe9.pdf")
    path.write_bytes(make_form())
    done = submit_document(
        path, wedding=wedding, catalog=catalog, vault=vault, settings=settings, clock=clock
    )
    assert done.created and done.filename == "contrat_\ufffdt\ufffd.pdf"
