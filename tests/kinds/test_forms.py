"""The `forms` job end to end: a submitted PDF read by a real worker into its document's
report; an unreadable one failed with its one line, dead-lettered, its original kept."""

from __future__ import annotations

import pytest

from trousseau.catalog import DocumentStatus, get_document
from trousseau.ingest import WeddingSpec, prepare_wedding, submit_document
from trousseau.jobs import DEAD, DONE, QUEUED, InlinePool, Worker, list_jobs
from trousseau.kinds import Kind

from ..forms.makeform import make_form


@pytest.fixture
def wedding(catalog, settings, clock):
    return prepare_wedding(
        catalog, WeddingSpec(slug="w", tenant="t", sla="next-day"), settings, clock
    )


def _work(catalog, settings) -> None:
    Worker(catalog, InlinePool(settings, ["trousseau.kinds"]), settings.jobs).run(until_idle=True)


def test_a_fillable_pdf_is_queued_then_read_into_fields(catalog, vault, settings, wedding, clock):
    data = make_form()
    done = submit_document(
        data,
        name="questionnaire.pdf",
        catalog=catalog,
        vault=vault,
        settings=settings,
        wedding=wedding,
        clock=clock,
    )
    assert done.created and done.size == len(data)
    with catalog.begin() as conn:
        queued = get_document(conn, done.document_id, tenant_id=wedding.tenant_id)
        (job,) = list_jobs(conn)
    assert queued is not None and queued.status is DocumentStatus.QUEUED
    assert job.kind == Kind.FORMS == "forms" and job.state == QUEUED
    assert job.wedding_id == wedding.id and job.photo_id is None
    assert job.payload == {"document_id": done.document_id}
    assert job.sla == "next-day"
    assert job.deadline == clock() + settings.sla_delay("next-day")
    _work(catalog, settings)
    with catalog.begin() as conn:
        read = get_document(conn, done.document_id, tenant_id=wedding.tenant_id)
        (job,) = list_jobs(conn)
    assert job.state == DONE
    assert read is not None and read.status is DocumentStatus.DONE and read.error is None
    assert read.result is not None and read.result["file"] == "questionnaire.pdf"
    assert read.result["sha256"] == done.sha256 and read.result["form"] == "acroform"
    fields = {f["name"]: f for f in read.result["fields"]}
    assert fields and all({"page", "rect", "type", "label"} <= set(f) for f in fields.values())
    assert read.finished_at is not None


def test_a_damaged_pdf_fails_with_its_one_line_and_is_kept(
    catalog, vault, settings, wedding, clock
):
    data = make_form()[:400]  # a PDF header, then nothing qpdf can rebuild a document from
    done = submit_document(
        data,
        name="truncated.pdf",
        catalog=catalog,
        vault=vault,
        settings=settings,
        wedding=wedding,
        clock=clock,
    )
    _work(catalog, settings)
    with catalog.begin() as conn:
        failed = get_document(conn, done.document_id, tenant_id=wedding.tenant_id)
        (job,) = list_jobs(conn)
    assert job.state == DEAD and job.attempts == 1  # permanent: dead letter at once
    assert failed is not None and failed.status is DocumentStatus.FAILED
    assert failed.error is not None and failed.error.startswith("truncated.pdf ")
    assert "\n" not in failed.error and failed.error in (job.last_error or "")
    assert failed.result is None
    assert vault.get_bytes(done.sha256) == data  # kept for inspection


def test_an_encrypted_pdf_fails_asking_for_its_password(catalog, vault, settings, wedding, clock):
    import pikepdf

    data = make_form(encryption=pikepdf.Encryption(owner="o", user="secret"))
    done = submit_document(
        data,
        name="locked.pdf",
        catalog=catalog,
        vault=vault,
        settings=settings,
        wedding=wedding,
        clock=clock,
    )
    _work(catalog, settings)
    with catalog.begin() as conn:
        failed = get_document(conn, done.document_id, tenant_id=wedding.tenant_id)
    assert failed is not None and failed.status is DocumentStatus.FAILED
    assert failed.error is not None and "locked.pdf" in failed.error
    assert "password" in failed.error


def test_a_reader_bug_retries_then_fails_the_document_on_its_last_attempt(
    catalog, vault, settings, wedding, clock, monkeypatch
):
    from trousseau.kinds import forms as kind

    def broken(data, name, limits):
        raise RuntimeError("a bug in the reader")

    monkeypatch.setattr(kind, "analyse", broken)
    once = settings.model_copy(
        update={"jobs": settings.jobs.model_copy(update={"max_attempts": 1})}
    )
    done = submit_document(
        make_form(),
        name="form.pdf",
        catalog=catalog,
        vault=vault,
        settings=once,
        wedding=wedding,
        clock=clock,
    )
    _work(catalog, once)
    with catalog.begin() as conn:
        failed = get_document(conn, done.document_id, tenant_id=wedding.tenant_id)
        (job,) = list_jobs(conn)
    assert job.state == DEAD
    assert failed is not None and failed.status is DocumentStatus.FAILED
    assert failed.error == "form.pdf could not be read (a bug in the reader)"
