"""Accepting originals: files and folders in, durable blobs, photo records and jobs out."""

from trousseau.ingest.documents import DOCUMENT_KIND, Submitted, check_pdf, submit_document
from trousseau.ingest.pacing import BackupPacer, followed_behind
from trousseau.ingest.pipeline import (
    PROCESS_KIND,
    Accepted,
    IngestEvent,
    IngestOutcome,
    IngestSummary,
    WeddingSpec,
    accept,
    ingest,
    prepare_wedding,
    sweep,
)
from trousseau.ingest.sources import collect

__all__ = [
    "DOCUMENT_KIND",
    "PROCESS_KIND",
    "Accepted",
    "BackupPacer",
    "IngestEvent",
    "IngestOutcome",
    "IngestSummary",
    "Submitted",
    "WeddingSpec",
    "accept",
    "check_pdf",
    "collect",
    "followed_behind",
    "ingest",
    "prepare_wedding",
    "submit_document",
    "sweep",
]
