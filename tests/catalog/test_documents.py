"""Form documents: recorded queued, finished done or failed, read only by their tenant, named
among the blobs the catalog refers to, and erased with their wedding."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from trousseau.catalog import (
    DocumentStatus,
    ReferencedBlob,
    count_documents_by_wedding,
    create_wedding,
    ensure_tenant,
    erase_wedding_rows,
    find_document,
    finish_document,
    get_document,
    insert_document,
    page_documents,
    referenced_blobs,
)


def _wedding(conn, tenant_slug: str, slug: str, now):
    tenant = ensure_tenant(conn, tenant_slug, now=now)
    return create_wedding(
        conn,
        tenant.id,
        slug,
        on=date(2026, 6, 13),
        timezone="UTC",
        delivery_sla="standard",
        now=now,
    )


def _document(conn, wedding, sha: str, now) -> int:
    return insert_document(
        conn,
        tenant_id=wedding.tenant_id,
        wedding_id=wedding.id,
        sha256=sha * 64,
        filename=f"{sha}.pdf",
        size=100,
        now=now,
    )


def test_a_document_is_queued_then_done_with_its_report(catalog, clock):
    with catalog.begin() as conn:
        wedding = _wedding(conn, "studio", "w", clock())
        doc_id = _document(conn, wedding, "a", clock())
        queued = get_document(conn, doc_id, tenant_id=wedding.tenant_id)
        assert queued is not None
        assert queued.status is DocumentStatus.QUEUED
        assert (queued.result, queued.error, queued.finished_at) == (None, None, None)
        report = {"file": "a.pdf", "fields": [{"name": "bride", "rect": [1.5, 2, 3, 4]}]}
        finish_document(
            conn, doc_id, tenant_id=wedding.tenant_id, now=clock.advance(seconds=3), result=report
        )
        done = get_document(conn, doc_id, tenant_id=wedding.tenant_id)
    assert done is not None
    assert done.status is DocumentStatus.DONE and done.result == report
    assert done.finished_at == clock() and done.created_at < done.finished_at
    assert (done.filename, done.bytes, done.sha256) == ("a.pdf", 100, "a" * 64)


def test_a_failed_document_keeps_its_error(catalog, clock):
    with catalog.begin() as conn:
        wedding = _wedding(conn, "studio", "w", clock())
        doc_id = _document(conn, wedding, "b", clock())
        finish_document(
            conn, doc_id, tenant_id=wedding.tenant_id, now=clock(), error="b.pdf is damaged"
        )
        failed = get_document(conn, doc_id, tenant_id=wedding.tenant_id)
    assert failed is not None
    assert failed.status is DocumentStatus.FAILED and failed.error == "b.pdf is damaged"
    assert failed.result is None


def test_another_tenant_reads_and_writes_nothing(catalog, clock):
    with catalog.begin() as conn:
        mine = _wedding(conn, "studio", "w", clock())
        theirs = _wedding(conn, "other", "w", clock())
        doc_id = _document(conn, mine, "c", clock())
        assert get_document(conn, doc_id, tenant_id=theirs.tenant_id) is None
        assert (
            find_document(conn, tenant_id=theirs.tenant_id, wedding_id=mine.id, sha256="c" * 64)
            is None
        )
        assert page_documents(conn, tenant_id=theirs.tenant_id, wedding_id=mine.id) == []
        finish_document(conn, doc_id, tenant_id=theirs.tenant_id, now=clock(), error="no")
        still = get_document(conn, doc_id, tenant_id=mine.tenant_id)
        counts = count_documents_by_wedding(conn, [mine.id], tenant_id=theirs.tenant_id)
    assert still is not None and still.status is DocumentStatus.QUEUED
    assert counts == {mine.id: {}}


def test_documents_page_by_id_and_count_by_status(catalog, clock):
    with catalog.begin() as conn:
        w1 = _wedding(conn, "studio", "w1", clock())
        w2 = _wedding(conn, "studio", "w2", clock())
        ids = [_document(conn, w1, sha, clock()) for sha in "abc"]
        _document(conn, w2, "d", clock())
        finish_document(conn, ids[0], tenant_id=w1.tenant_id, now=clock(), result={})
        finish_document(conn, ids[1], tenant_id=w1.tenant_id, now=clock(), error="x")
        first = page_documents(conn, tenant_id=w1.tenant_id, wedding_id=w1.id, limit=2)
        rest = page_documents(conn, tenant_id=w1.tenant_id, wedding_id=w1.id, after=first[-1].id)
        counts = count_documents_by_wedding(conn, [w1.id, w2.id, 999], tenant_id=w1.tenant_id)
    assert [d.id for d in first + rest] == ids
    assert counts[w1.id] == {
        DocumentStatus.DONE: 1,
        DocumentStatus.FAILED: 1,
        DocumentStatus.QUEUED: 1,
    }
    assert counts[w2.id] == {DocumentStatus.QUEUED: 1} and counts[999] == {}


def test_the_same_bytes_are_one_document_per_wedding(catalog, clock):
    with catalog.begin() as conn:
        wedding = _wedding(conn, "studio", "w", clock())
        _document(conn, wedding, "e", clock())
    with pytest.raises(IntegrityError), catalog.begin() as conn:
        _document(conn, wedding, "e", clock())


def test_a_documents_pdf_is_a_referenced_blob_and_goes_with_its_wedding(catalog, clock):
    with catalog.begin() as conn:
        wedding = _wedding(conn, "studio", "w", clock())
        kept = _wedding(conn, "studio", "kept", clock())
        doc_id = _document(conn, wedding, "f", clock())
        _document(conn, wedding, "g", clock())
        _document(conn, kept, "g", clock())
        assert ReferencedBlob("f" * 64, f"form f.pdf (document {doc_id})") in referenced_blobs(conn)
        erased = erase_wedding_rows(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id)
        assert get_document(conn, doc_id, tenant_id=wedding.tenant_id) is None
        left = page_documents(conn, tenant_id=kept.tenant_id, wedding_id=kept.id)
    assert erased.unreferenced == ("f" * 64,) and erased.shared == 1
    assert [d.sha256 for d in left] == ["g" * 64]
