"""Schemathesis drives every documented operation with generated requests: no 5xx, ever.

Requests go over real HTTP to the app behind uvicorn, with a tenant key, on both catalog
backends. The tenant has a wedding, a processed photo and a job, so generated ids and slugs
sometimes hit real rows; everything else exercises validation and the 404 paths.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import Processed

pytestmark = pytest.mark.slow

EXAMPLES = 12

# A tus chunk is raw bytes under its own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture
def served(serve, processed: Processed, studio: dict[str, str]) -> tuple[str, dict]:
    # A generated request may name the real wedding's progress stream: keep it short.
    return serve(progress_lifetime_seconds=1.0).url, studio


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(served: tuple[str, dict], mode: GenerationMode) -> None:
    base, headers = served
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", headers=headers)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the schema lost its operations"
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case) -> None:
            case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

        try:
            exercise()
        except Unsatisfiable:
            continue  # nothing to break: an operation without inputs has no negative cases
        except (Exception, BaseExceptionGroup) as exc:  # report every failing operation
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert not failures, "\n\n".join(f"{label}\n{error}" for label, error in failures.items())
