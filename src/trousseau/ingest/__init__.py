"""Accepting originals: files and folders in, durable blobs, photo records and jobs out."""

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
    "PROCESS_KIND",
    "Accepted",
    "IngestEvent",
    "IngestOutcome",
    "IngestSummary",
    "WeddingSpec",
    "accept",
    "collect",
    "ingest",
    "prepare_wedding",
    "sweep",
]
