"""The hostile run (`python -m bench.hostile`) as a test, on both catalogs: ~400 hostile
requests of every kind against a real `trousseau serve`, none answered 5xx, every 4xx of the
API a JSON error naming its cause, no 2xx where another tenant's data was asked for, no key
in the server's log, memory flat while large unauthenticated bodies are refused.

The quick variant (3 x 20 MB bodies, a sample of the odd images): ~20 s per catalog on 2
cores. `python -m bench.hostile` runs the whole (10 x 150 MB bodies, ~95 images) and writes
its table to docs/hostile.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import hostile

pytestmark = pytest.mark.slow


def test_a_hostile_run_finds_nothing(catalog_url: str, tmp_path: Path) -> None:
    backend = "SQLite" if catalog_url.startswith("sqlite") else "PostgreSQL"
    url = None if backend == "SQLite" else catalog_url

    run = hostile.run_backend(backend, url, tmp_path, quick=True)

    assert len(run.outcomes) >= 300
    kinds = {outcome.probe.kind for outcome in run.outcomes}
    assert kinds == set(hostile.KINDS)
    problems = hostile.details([run], limit=100)
    assert not problems, "\n" + "\n".join(problems)
