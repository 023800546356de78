"""Schemathesis in its stateful mode: sequences of calls that follow the API's OpenAPI links.

A stateless run sends each operation generated requests on its own; this one chains them as
a client would (create a wedding, upload to it, list and read its photos, download a
variant; create a resumable upload, HEAD its offset, PATCH it there, delete it; list jobs,
read one, retry it), each later request built from an earlier answer, and mutates the
chained requests too. Over real HTTP with an admin key of the tenant that owns a processed
photo, on both catalog backends. The checks: no 5xx, and every answer conforms to the
schema (its status code documented, its content type and body as declared).

Bounded in time: a fixed number of scenarios of up to ten steps each (~20 s per backend on
2 cores). The server keeps what earlier scenarios created, so Hypothesis cannot replay one
faithfully: failures are recorded as they happen (each with its curl line) rather than
shrunk, and a run Hypothesis calls flaky is followed by a fresh one, as Schemathesis' own
runner does.
"""

from __future__ import annotations

import base64
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import Api, Processed

pytestmark = pytest.mark.slow

SCENARIOS = 60
STEPS = 10
RUN_SECONDS = 25.0
"""No new run starts after this; the scenarios done by then are the sample."""
BUDGET_SECONDS = 90.0
"""The whole run on one backend; a run past it is a regression in speed or in bounds."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# A tus chunk is raw bytes under its own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture
def served(serve, api: Api, processed: Processed, studio: dict[str, str]) -> tuple[str, dict]:
    # An admin key of the tenant that owns the photo: every route is reachable, jobs too.
    # A generated request may name the real wedding's progress stream: keep it short.
    return serve(progress_lifetime_seconds=0.2).url, api.key("studio-a", admin=True)


TRANSPORT_HEADERS = frozenset(
    {"transfer-encoding", "content-length", "connection", "host", "te", "upgrade", "expect"}
)
"""Headers that frame the request on the wire, written by the HTTP client itself."""

ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC", "Pacific/Chatham"]


def realistic(schema, api: Api) -> None:
    """Beside what Schemathesis generates from the schema, requests a client would send: a
    wedding with a real zone (the schema cannot list zones), a real JPEG with a file name,
    a tus creation with a length and a file name. Without them a chain rarely gets past
    its first 422, and the links from a created wedding, photo or upload are never taken."""
    photos = [api.jpeg(seed=seed, size=(64, 48)) for seed in range(100, 104)]
    text = st.text(max_size=20)
    weddings = st.fixed_dictionaries(
        {
            "slug": st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
            "date": st.dates().map(lambda day: day.isoformat()),
            "timezone": st.sampled_from(ZONES),
        },
        optional={"title": text, "region": text, "sla": st.sampled_from(["same-day", "x"])},
    )
    # A header value the HTTP client can send: latin-1 without control characters (C0, DEL
    # and C1 alike) and without leading or trailing whitespace, which requests refuses to send.
    header_text = st.text(
        st.characters(min_codepoint=32, max_codepoint=255, exclude_categories=("Cc",))
    ).map(str.strip)
    name = st.one_of(
        st.just("IMG_0001.JPG"), header_text.map(lambda t: t[:20].strip()).filter(bool)
    )
    tus_headers = st.fixed_dictionaries(
        {
            "tus-resumable": st.just("1.0.0"),
            "upload-length": st.integers(1, 5000).map(str),
            "upload-metadata": st.one_of(name, st.text(max_size=20)).map(
                lambda n: "filename " + base64.b64encode(n.encode("utf-8", "replace")).decode()
            ),
        }
    )
    alternatives = {
        ("POST", "/weddings", "body"): weddings,
        ("POST", "/weddings/{slug}/photos", "body"): st.sampled_from(photos),
        ("POST", "/weddings/{slug}/photos", "headers"): st.fixed_dictionaries({"x-filename": name}),
        ("POST", "/weddings/{slug}/uploads", "headers"): tus_headers,
        ("PATCH", "/uploads/{upload_id}", "headers"): st.fixed_dictionaries(
            {"tus-resumable": st.just("1.0.0"), "upload-offset": st.just("0")}
        ),
    }

    def widen(part: str):
        def hook(context, strategy):
            operation = context.operation
            path = operation.path.removeprefix("/api/v1")
            extra = alternatives.get((operation.method.upper(), path, part))
            return strategy if extra is None else st.one_of(strategy, extra)

        hook.__name__ = f"before_generate_{part}"
        return hook

    def map_headers(context, headers):
        """Framing and hop-by-hop headers are the HTTP client's to write, not the API's
        input: a generated `Transfer-Encoding: .chunk` is refused by the HTTP server (400,
        "Invalid HTTP request") before any route runs, so it says nothing of the API."""
        if not headers:
            return headers
        return {k: v for k, v in headers.items() if k.lower() not in TRANSPORT_HEADERS}

    schema.hook(widen("body"))
    schema.hook(widen("headers"))
    schema.hook(map_headers)


def test_chained_calls_never_get_a_server_error_and_conform(
    served: tuple[str, dict], api: Api
) -> None:
    base, headers = served
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", headers=headers)
    realistic(schema, api)
    assert schema.statistic.transitions.total >= 15, "the schema lost its links"
    calls: list[str] = []
    failures: dict[str, str] = {}
    scenarios = [0]

    class Chained(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"base_url": base, "headers": headers, "timeout": 30}

        def teardown(self) -> None:
            scenarios[0] += 1

        def after_call(self, response, case) -> None:
            calls.append(f"{case.method} {case.path} -> {response.status_code}")

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            # Recorded, not raised: Hypothesis would replay a failing scenario against a
            # server whose state has moved on (weddings, photos, uploads created since) and
            # report "flaky data" instead of the failure itself.
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except (Exception, BaseExceptionGroup) as exc:
                failures.setdefault(f"{case.method} {case.path}", str(exc)[:3000])

    started = time.monotonic()
    runs = 0
    while scenarios[0] < SCENARIOS and time.monotonic() - started < RUN_SECONDS and runs < 20:
        runs += 1
        try:
            Chained.run(
                settings=settings(
                    max_examples=SCENARIOS - scenarios[0],
                    stateful_step_count=STEPS,
                    phases=[Phase.generate],
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
        except Flaky:
            # The server remembers earlier scenarios (weddings, photos, uploads), so a
            # rule's precondition can change under Hypothesis, which then calls its data
            # flaky. As Schemathesis' own runner does: the failures are already recorded;
            # start a fresh run for the scenarios left.
            continue
    elapsed = time.monotonic() - started

    assert not failures, "\n\n".join(f"{label}\n{error}" for label, error in failures.items())
    assert elapsed < BUDGET_SECONDS, f"{len(calls)} calls took {elapsed:.0f} s"
    chained = {call.split(" -> ")[0] for call in calls}
    assert len(chained) >= 8, f"the run reached only {sorted(chained)}"
