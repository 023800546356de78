"""What the job kinds' tests share: the settings' vault, and a card ingested then worked."""

from __future__ import annotations

from pathlib import Path

import pytest

from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
from trousseau.jobs import InlinePool, Worker
from trousseau.vault import open_vault


@pytest.fixture
def vault(settings):
    v = open_vault(settings.vault_url)
    yield v
    v.close()


def ingest_and_work(files: list[Path], catalog, vault, settings, clock) -> int:
    """Ingest `files` into wedding "w" and run every job to the end; the wedding's id."""
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
    summary = IngestSummary()
    for event in ingest(
        files, catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        summary.add(event)
    assert summary.accepted == len(files)
    Worker(catalog, InlinePool(settings, ["trousseau.kinds"]), settings.jobs).run(until_idle=True)
    return wedding.id
