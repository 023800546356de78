"""The `forms` job: one vendor's PDF read into fields, its report recorded on its document.

The PDF is read from the vault (verified), analysed by the forms package within the
`forms` settings' limits, and the report stored as the document's result. A PDF that cannot
be read (not a PDF, encrypted, damaged beyond repair, over a limit) is a FormError, which is
permanent: the document is marked failed with the error's one line, the job goes to dead
letter at once, and the original stays in the vault for inspection. Re-running the job is
harmless: the same bytes give the same report, written over the same row.
"""

from __future__ import annotations

from typing import Any

from trousseau.catalog import DocumentStatus, FormDocument, finish_document, get_document
from trousseau.errors import FormError, PermanentJobError
from trousseau.forms import read_form
from trousseau.jobs import JobContext
from trousseau.settings import FormsSettings


def analyse(data: bytes, name: str, limits: FormsSettings) -> dict[str, Any]:
    """The forms package's report of one PDF, as JSON-ready values; FormError if unreadable.

    The one place the job calls the forms package."""
    return read_form(data, name=name, limits=limits).to_dict()


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Read `payload["document_id"]` and record its report (or why it cannot be read)."""
    document = _document(ctx, int(payload["document_id"]))
    if document.status is DocumentStatus.DONE:
        return
    data = ctx.vault.get_bytes(document.sha256)
    try:
        result = analyse(data, document.filename, ctx.settings.forms)
    except FormError as exc:
        _finish(ctx, document, error=str(exc))
        raise
    except Exception as exc:
        if ctx.last_attempt:  # a reader's bug must not leave the document queued for ever
            _finish(ctx, document, error=f"{document.filename} could not be read ({exc})")
        raise
    _finish(ctx, document, result=result)


def _document(ctx: JobContext, document_id: int) -> FormDocument:
    if ctx.tenant_id is None:
        raise PermanentJobError(f"forms job {ctx.job_id} names no tenant: nothing to read")
    with ctx.catalog.begin() as conn:
        document = get_document(conn, document_id, tenant_id=ctx.tenant_id)
    if document is None:
        raise PermanentJobError(
            f"form document {document_id} is not in the catalog: nothing to read"
        )
    return document


def _finish(
    ctx: JobContext,
    document: FormDocument,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with ctx.catalog.begin() as conn:
        finish_document(
            conn,
            document.id,
            tenant_id=document.tenant_id,
            now=ctx.clock(),
            result=result,
            error=error,
        )
