"""A hostile run against a real server: every kind of input an attacker or an unlucky client
sends, on SQLite and on PostgreSQL, and what each got back.

Run `.venv/bin/python -m bench.hostile [--quick] [--no-postgres] [--no-docs]`. For each
catalog it starts `trousseau serve --no-worker` in a subprocess (fresh data directory; a
fresh PostgreSQL database, dropped at the end), makes two tenants (studio-a with two
weddings' photos rendered by `trousseau work`, studio-b with its own), then sends ~400
requests over raw sockets (so any byte can be sent: invalid UTF-8, Unicode digits, NULs,
malformed HTTP), of these kinds:

- **cross-tenant**: studio-b's key (and cookie, and no key, and a revoked key) against every
  route and every id of studio-a: weddings, photo ids 1..N, variants of every profile (with
  Range and If-None-Match), progress streams, tus uploads, jobs, the dashboard; listings
  must not name studio-a's wedding;
- **headers**: oversized and numerous headers, malformed X-Filename and checksum headers,
  lying Content-Length, duplicate and odd framing;
- **range**: Range edge cases on a real variant (Unicode digits, reversed, huge, 1,000
  ranges, odd units, If-Range);
- **tus**: protocol abuse (wrong or missing Tus-Resumable, bad and huge Upload-Length, bad
  Upload-Metadata base64, Unicode, duplicate keys, wrong offsets, bad checksums, a chunk past
  the length, odd upload ids); every tus answer must carry Tus-Resumable;
- **json**: NUL bytes, lone surrogates and huge strings in every wedding field, deep
  nesting, invalid JSON, invalid UTF-8;
- **content-type**: wrong media types on JSON, upload and chunk routes;
- **utf8**: invalid UTF-8 and odd digits in paths and query parameters;
- **traversal**: path traversal in file names, upload ids, slugs and static paths;
- **keys**: malformed keys (`tr_02_<secret>`, missing parts, Unicode digits, huge ids),
  keys in cookies and query strings on API routes;
- **bodies**: unauthenticated large bodies (10 x 150 MB at once; 3 x 20 MB with --quick)
  and oversized authenticated ones, with the server's memory sampled meanwhile;
- **images**: every file of ../shared/data/photos/bad and generated odd files
  (tests/imaging/odd.py) through the single upload route.

Each answer is judged: a 5xx; no answer within the time limit; a 4xx from an API route whose
body is not `{"error": {"code", "message"}}` with a message naming the cause; a leak (a 2xx
where 401, 403 or 404 was due, or a listing naming the other tenant's wedding); a wrong
answer (a probe's own check, e.g. a recorded file name holding a path, a tus answer without
Tus-Resumable); a slow answer (over SLOW_SECONDS); and, over the whole run, a key in the
server's log or server memory growing more than MEMORY_MB over idle. The table per kind goes
to stdout and between the `bench:hostile` markers of docs/hostile.md; the exit status is 1
when any problem was found.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.hostile")

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import REPO, recipe, say, write_section

DOCS = REPO / "docs" / "hostile.md"
START_MARK = "<!-- bench:hostile:start -->"
END_MARK = "<!-- bench:hostile:end -->"
SECTION_HEADING = "## Latest run"
PREAMBLE = (
    "# Hostile run\n\n"
    "`python -m bench.hostile` starts a real server on SQLite and on PostgreSQL and sends it "
    "every kind of input an attacker or an unlucky client sends (see the module's docstring "
    "and bench/README.md). Every answer must be a 2xx, 3xx or 4xx; every 4xx of the API a "
    "JSON error naming its cause; no 2xx where another tenant's data was asked for.\n"
)
POSTGRES_ADMIN = os.environ.get(
    "TROUSSEAU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
A_WEDDING, B_WEDDING, ODD_WEDDING = "smith-jones", "rival-wedding", "odd-files"
MAX_UPLOAD = 8_000_000
"""web.max_upload_bytes of the server under test (bodies past it must get 413)."""
SLOW_SECONDS = 10.0
ANSWER_SECONDS = 30.0
PATIENT_SECONDS = 3.0
STREAM_SECONDS = 1.5
"""How long a streaming answer (progress) is read before the connection is closed."""
MEMORY_MB = 50.0
KINDS = (
    "cross-tenant",
    "headers",
    "range",
    "tus",
    "json",
    "content-type",
    "utf8",
    "traversal",
    "keys",
    "bodies",
    "images",
)


# ---------------------------------------------------------------------------------------------
# Raw HTTP: any bytes out, whatever comes back.


@dataclass
class Answer:
    """What came back: status (None: no answer), headers (lower-case names), body, time."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def text(self, limit: int = 160) -> str:
        return self.body[:limit].decode("utf-8", "replace").replace("\n", " ")


Body = bytes | Callable[[], Iterator[bytes]]


def build_request(
    method: str, path: str | bytes, headers: Sequence[tuple[str | bytes, str | bytes]], body: Body
) -> bytes:
    """The request head as bytes; Host, Connection: close and Content-Length added unless set."""

    def raw(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode("utf-8")

    names = {raw(name).lower() for name, _ in headers}
    lines = [raw(method) + b" " + raw(path) + b" HTTP/1.1"]
    if b"host" not in names:
        lines.append(b"Host: 127.0.0.1")
    lines.append(b"Connection: close")
    if (
        isinstance(body, bytes)
        and b"content-length" not in names
        and b"transfer-encoding" not in names
    ) and (body or method in ("POST", "PATCH", "PUT")):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines += [raw(name) + b": " + raw(value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def exchange(
    port: int, head: bytes, body: Body = b"", *, timeout: float = ANSWER_SECONDS
) -> Answer:
    """Send `head` then `body` (stopping early if the server answers first); read the answer
    until the server closes, its Content-Length is read, or a stream has run STREAM_SECONDS."""
    started = time.monotonic()
    received = bytearray()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as exc:
        return Answer(None, {}, b"", 0.0, f"connect: {exc}")
    with sock:
        try:
            sock.sendall(head)
            chunks = [body] if isinstance(body, bytes) else body()
            for chunk in chunks:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # answered before the body was sent: refused early, as it should
                sock.sendall(chunk)
        except OSError:
            pass  # the server closed while we sent: read what it answered
        stream_until = None
        while True:
            left = started + timeout - time.monotonic()
            if stream_until is not None:
                left = min(left, stream_until - time.monotonic())
            if left <= 0:
                break
            readable, _, _ = select.select([sock], [], [], left)
            if not readable:
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            received += data
            parsed = _parse(bytes(received))
            if parsed is None:
                continue
            status, headers, payload = parsed
            if "text/event-stream" in headers.get("content-type", "") and stream_until is None:
                stream_until = time.monotonic() + STREAM_SECONDS
            length = headers.get("content-length")
            if (
                length is not None
                and length.isascii()
                and length.isdigit()
                and len(payload) >= int(length)
            ):
                break
    seconds = time.monotonic() - started
    parsed = _parse(bytes(received))
    if parsed is None:
        why = "timed out" if seconds >= timeout else "closed without an answer"
        return Answer(None, {}, bytes(received), seconds, why)
    status, headers, payload = parsed
    if headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _unchunk(payload)
    return Answer(status, headers, payload, seconds)


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers and body so far of the final answer (interim 1xx answers skipped)."""
    while True:
        end = data.find(b"\r\n\r\n")
        if end == -1:
            return None
        lines = data[:end].decode("latin-1").split("\r\n")
        match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if match is None:
            return None
        status = int(match.group(1))
        if 100 <= status < 200:
            data = data[end + 4 :]
            continue
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, data[end + 4 :]


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, sep, rest = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            return bytes(out + data)
        if not sep or size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Probes and how their answers are judged.

Check = Callable[[Answer], str | None]


@dataclass
class Probe:
    """One hostile request and what its answer must not be."""

    kind: str
    label: str
    method: str
    path: str | bytes
    headers: list[tuple[str | bytes, str | bytes]] = field(default_factory=list)
    body: Body = b""
    foreign: bool = False
    """Another tenant's (or nobody's) request for studio-a's data: a 2xx is a leak."""
    wire: bool = False
    """Malformed at the HTTP level: the server's own plain-text 400 is a fair answer."""
    check: Check | None = None
    patient: bool = False
    """The server may rightly wait for bytes the request promised: no answer within
    PATIENT_SECONDS is fair (the connection is then closed)."""


@dataclass
class Outcome:
    probe: Probe
    answer: Answer
    problems: list[tuple[str, str]]
    """(category, detail): 5xx, no answer, bad 4xx, leak, wrong, slow."""


CATEGORIES = ("5xx", "no answer", "bad 4xx", "leak", "wrong", "slow")
_GENERIC = re.compile(
    r"^(bad request|not found|forbidden|unauthorized|method not allowed|error)\.?$", re.I
)


def judge(probe: Probe, answer: Answer) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if answer.status is None:
        return [] if probe.patient else [("no answer", answer.error)]
    if answer.status >= 500:
        problems.append(("5xx", f"{answer.status}: {answer.text()}"))
    path = probe.path.decode("latin-1") if isinstance(probe.path, bytes) else probe.path
    api = path.startswith("/api/")
    if 400 <= answer.status < 500 and api and not probe.wire and probe.method != "HEAD":
        why = error_body_problem(answer)
        if why:
            problems.append(("bad 4xx", f"{answer.status}: {why}"))
    if probe.foreign and 200 <= answer.status < 300:
        problems.append(("leak", f"{answer.status}: {answer.text()}"))
    if probe.check is not None and answer.status < 500:
        wrong = probe.check(answer)
        if wrong:
            problems.append(("wrong", wrong))
    if answer.seconds > SLOW_SECONDS and "text/event-stream" not in answer.headers.get(
        "content-type", ""
    ):
        problems.append(("slow", f"{answer.seconds:.1f} s"))
    return problems


def error_body_problem(answer: Answer) -> str | None:
    """Why a 4xx body is not `{"error": {"code", "message", ...}}` naming its cause."""
    body = answer.json()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"not a JSON error: {answer.headers.get('content-type', '?')} {answer.text(100)!r}"
    message = error.get("message")
    if not isinstance(error.get("code"), str) or not isinstance(message, str):
        return f"error without code or message: {answer.text(100)!r}"
    if len(message.strip()) < 12 or _GENERIC.match(message.strip()):
        return f"the message names no cause: {message!r}"
    return None


# ---------------------------------------------------------------------------------------------
# The world under test: two tenants, their weddings, photos, variants, uploads and jobs.


@dataclass
class World:
    port: int
    a: str
    a_admin: str
    b: str
    revoked: str
    a_photos: list[int]
    b_photos: list[int]
    a_upload: str
    a_upload_offset: int
    a_spare_upload: str
    b_upload: str
    a_jobs: list[int]
    profiles: list[str]
    jpeg: bytes

    def bearer(self, key: str) -> list[tuple[str | bytes, str | bytes]]:
        return [("Authorization", f"Bearer {key}")]

    def key_id(self, key: str) -> str:
        return key.split("_")[1]

    def secret(self, key: str) -> str:
        return key.split("_", 2)[2]


def _not_naming(*texts: str) -> Check:
    def check(answer: Answer) -> str | None:
        body = answer.body.decode("utf-8", "replace")
        named = [text for text in texts if text in body]
        return f"the answer names {named}" if named else None

    return check


def _answers_like(w: World, method: str, path: str, headers: list) -> Check:
    """The same status as the same request for something that does not exist."""

    def check(answer: Answer) -> str | None:
        twin = exchange(w.port, build_request(method, path, headers, b""))
        if twin.status != answer.status:
            return f"{answer.status}, while {path} answers {twin.status}: it tells what exists"
        return None

    return check


def _with_tus_header(answer: Answer) -> str | None:
    if "tus-resumable" not in answer.headers:
        return f"{answer.status} without Tus-Resumable"
    return None


def _safe_recorded_name(answer: Answer) -> str | None:
    body = answer.json()
    if answer.status in (200, 201) and isinstance(body, dict):
        name = str(body.get("original_name", ""))
        if "/" in name or "\\" in name or name in ("", ".", "..") or "\x00" in name:
            return f"recorded name {name!r}"
    return None


def _status_in(*allowed: int) -> Check:
    def check(answer: Answer) -> str | None:
        return None if answer.status in allowed else f"{answer.status}, expected one of {allowed}"

    return check


def _all(*checks: Check) -> Check:
    def check(answer: Answer) -> str | None:
        found = [c(answer) for c in checks]
        return "; ".join(f for f in found if f) or None

    return check


_distinct = iter(range(10**9))


def distinct(jpeg: bytes) -> bytes:
    """The same JPEG with a comment segment of its own: another file, so it is recorded under
    the name it is sent with rather than found as a duplicate of an earlier one."""
    comment = f"hostile {next(_distinct)}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def jpeg_bytes(seed: int, size: tuple[int, int] = (96, 64)) -> bytes:
    import pyvips

    image = pyvips.Image.gaussnoise(*size, mean=128, sigma=40, seed=seed).cast("uchar")
    image = image.bandjoin([image.rot180(), image.flip("horizontal")]).copy(interpretation="srgb")
    return bytes(image.jpegsave_buffer(Q=85))


# ---------------------------------------------------------------------------------------------
# The probes, by kind


def cross_tenant(w: World) -> Iterator[Probe]:
    kind = "cross-tenant"
    b, a = w.bearer(w.b), w.bearer(w.a)
    tus = [("Tus-Resumable", "1.0.0")]
    who = {
        "studio-b's key": b,
        "no key": [],
        "a revoked key": w.bearer(w.revoked),
    }
    routes: list[tuple[str, str, list, Body]] = [
        ("GET", f"/api/v1/weddings/{A_WEDDING}", [], b""),
        ("GET", f"/api/v1/weddings/{A_WEDDING}/photos", [], b""),
        ("GET", f"/api/v1/weddings/{A_WEDDING}/photos?limit=1&state=stored", [], b""),
        ("GET", f"/api/v1/weddings/{A_WEDDING}/progress", [], b""),
        (
            "POST",
            f"/api/v1/weddings/{A_WEDDING}/photos",
            [("Content-Type", "image/jpeg"), ("X-Filename", "x.jpg")],
            distinct(w.jpeg),
        ),
        (
            "POST",
            f"/api/v1/weddings/{A_WEDDING}/uploads",
            [*tus, ("Upload-Length", "100"), ("Upload-Metadata", "filename eC5qcGc=")],
            b"",
        ),
        ("OPTIONS", f"/api/v1/weddings/{A_WEDDING}/uploads", tus, b""),
        ("HEAD", f"/api/v1/uploads/{w.a_upload}", tus, b""),
        (
            "PATCH",
            f"/api/v1/uploads/{w.a_upload}",
            [
                *tus,
                ("Content-Type", "application/offset+octet-stream"),
                ("Upload-Offset", str(w.a_upload_offset)),
            ],
            b"x" * 10,
        ),
        ("DELETE", f"/api/v1/uploads/{w.a_upload}", tus, b""),
        ("OPTIONS", f"/api/v1/uploads/{w.a_upload}", tus, b""),
        ("GET", "/api/v1/jobs", [], b""),
        ("GET", "/api/v1/jobs/stats", [], b""),
        ("GET", "/api/v1/workers", [], b""),
        *[("GET", f"/api/v1/jobs/{job}", [], b"") for job in w.a_jobs[:2]],
        *[("POST", f"/api/v1/jobs/{job}/retry", [], b"") for job in w.a_jobs[:1]],
    ]
    for photo in w.a_photos:
        routes.append(("GET", f"/api/v1/photos/{photo}", [], b""))
        for profile in w.profiles:
            routes.append(("GET", f"/api/v1/photos/{photo}/variants/{profile}", [], b""))
        routes.append(
            (
                "GET",
                f"/api/v1/photos/{photo}/variants/{w.profiles[0]}",
                [("Range", "bytes=0-9")],
                b"",
            )
        )
        routes.append(
            (
                "GET",
                f"/api/v1/photos/{photo}/variants/{w.profiles[0]}",
                [("If-None-Match", "*")],
                b"",
            )
        )
    for label, auth in who.items():
        for method, path, headers, body in routes:
            if label != "studio-b's key" and "/variants/" in path and "Range" not in str(headers):
                continue  # the unauthenticated rows take one variant per photo, not all
            if method == "OPTIONS":
                # tus discovery: the server's capabilities, the same for any id or slug;
                # it must tell nothing more about studio-a's than about a missing one.
                missing = path.replace(A_WEDDING, "no-such-wedding").replace(w.a_upload, "A" * 24)
                yield Probe(
                    kind,
                    f"{label}: {method} {path}",
                    method,
                    path,
                    [*auth, *headers],
                    check=_answers_like(w, method, missing, [*auth, *headers]),
                )
                continue
            yield Probe(
                kind,
                f"{label}: {method} {path}",
                method,
                path,
                [*auth, *headers],
                body,
                foreign=True,
                check=_with_tus_header if "/uploads" in path else None,
            )
    # Every photo id there is, and a few past them, by studio-b: only its own answer 200.
    for photo in range(1, max(w.a_photos + w.b_photos) + 3):
        own = photo in w.b_photos
        yield Probe(
            kind,
            f"studio-b's key: photo id {photo}{' (its own)' if own else ''}",
            "GET",
            f"/api/v1/photos/{photo}",
            b,
            foreign=not own,
        )
    # Listings and the dashboard never name the other tenant's wedding.
    names_a = _not_naming(A_WEDDING, ODD_WEDDING)
    yield Probe(kind, "studio-b's key: list weddings", "GET", "/api/v1/weddings", b, check=names_a)
    cookie = [("Cookie", f"trousseau_key={w.b}")]
    yield Probe(kind, "studio-b's cookie: dashboard", "GET", "/dashboard", cookie, check=names_a)
    yield Probe(
        kind,
        "studio-b's cookie: today's progress stream",
        "GET",
        "/dashboard/progress",
        cookie,
        check=names_a,
    )
    yield Probe(
        kind,
        "studio-b's cookie: studio-a's gallery",
        "GET",
        f"/dashboard/weddings/{A_WEDDING}",
        cookie,
        foreign=True,
    )
    for photo in w.a_photos:
        for profile in w.profiles[:2]:
            yield Probe(
                kind,
                f"studio-b's cookie: dashboard variant {photo}/{profile}",
                "GET",
                f"/dashboard/photos/{photo}/variants/{profile}",
                cookie,
                foreign=True,
            )
    # studio-a's key on studio-b's own things, the other way round.
    yield Probe(
        kind,
        "studio-a's key: studio-b's wedding",
        "GET",
        f"/api/v1/weddings/{B_WEDDING}",
        a,
        foreign=True,
    )
    yield Probe(
        kind,
        "studio-a's key: studio-b's upload",
        "HEAD",
        f"/api/v1/uploads/{w.b_upload}",
        [*a, *tus],
        foreign=True,
    )
    for photo in w.b_photos:
        yield Probe(
            kind,
            f"studio-a's key: studio-b's photo {photo}",
            "GET",
            f"/api/v1/photos/{photo}",
            a,
            foreign=True,
        )


def headers_kind(w: World) -> Iterator[Probe]:
    kind = "headers"
    a = w.bearer(w.a)
    upload = f"/api/v1/weddings/{A_WEDDING}/photos"
    jpeg = [("Content-Type", "image/jpeg")]
    names: dict[str, str | bytes] = {
        "8 KB name": "n" * 8000 + ".jpg",
        "percent NUL": "IMG%00.jpg",
        "bad percent": "IMG%ZZ%.jpg",
        "RFC 5987 invalid UTF-8": "UTF-8''%ff%fe.jpg",
        "RFC 5987 unknown charset": "KOI8-R''%ff.jpg",
        "raw invalid UTF-8": b"IMG_\xff\xfe.jpg",
        "raw UTF-8": "mari\u00e9e.jpg".encode(),
        "empty": "",
        "blanks": "   ",
        "dot": ".",
        "dot dot": "..",
        "control characters": "IMG\x01\x1b[31m.jpg",
        "bidi override": "IMG_\u202egpj.exe",
    }
    for label, name in names.items():
        yield Probe(
            kind,
            f"X-Filename: {label}",
            "POST",
            upload,
            [*a, *jpeg, ("X-Filename", name)],
            distinct(w.jpeg),
            check=_safe_recorded_name,
        )
    checksums = {
        "X-Checksum-SHA256 not hex": ("X-Checksum-SHA256", "zz"),
        "X-Checksum-SHA256 63 hex": ("X-Checksum-SHA256", "a" * 63),
        "X-Checksum-SHA256 superscript": ("X-Checksum-SHA256", b"\xc2\xb2" * 32),
        "X-Checksum-SHA256 wrong": ("X-Checksum-SHA256", "0" * 64),
        "Digest bad base64": ("Digest", "sha-256=!!!"),
        "Digest wrong": ("Digest", "sha-256=" + base64.b64encode(b"\x00" * 32).decode()),
        "Repr-Digest bad": ("Repr-Digest", "sha-256=:abc:"),
        "Digest 10 KB": ("Digest", "sha-256=" + "A" * 10_000),
    }
    for label, header in checksums.items():
        yield Probe(
            kind,
            label,
            "POST",
            upload,
            [*a, *jpeg, ("X-Filename", "c.jpg"), header],
            distinct(w.jpeg),
        )
    weddings = "/api/v1/weddings"
    yield Probe(
        kind,
        "Authorization of 10 KB",
        "GET",
        weddings,
        [("Authorization", "Bearer " + "x" * 10_000)],
    )
    yield Probe(
        kind, "one header of 100 KB", "GET", weddings, [*a, ("X-Big", "x" * 100_000)], wire=True
    )
    yield Probe(
        kind,
        "300 headers",
        "GET",
        weddings,
        [*a, *[(f"X-H{i}", "v" * 50) for i in range(300)]],
        wire=True,
    )
    yield Probe(kind, "header name with a space", "GET", weddings, [*a, ("X Bad", "1")], wire=True)
    yield Probe(
        kind, "NUL in a header value", "GET", weddings, [*a, ("X-Nul", b"a\x00b")], wire=True
    )
    yield Probe(
        kind,
        "two different Content-Lengths",
        "POST",
        weddings,
        [
            *a,
            ("Content-Type", "application/json"),
            ("Content-Length", "2"),
            ("Content-Length", "5"),
        ],
        b"{}",
        wire=True,
    )
    yield Probe(
        kind, "Content-Length: -1", "POST", weddings, [*a, ("Content-Length", "-1")], b"", wire=True
    )
    yield Probe(
        kind,
        "Content-Length in Unicode digits",
        "POST",
        weddings,
        [*a, ("Content-Length", b"\xc2\xb2")],
        b"{}",
        wire=True,
    )
    yield Probe(
        kind,
        "Content-Length and chunked",
        "POST",
        weddings,
        [*a, ("Content-Length", "2"), ("Transfer-Encoding", "chunked")],
        b"0\r\n\r\n",
        wire=True,
    )
    yield Probe(
        kind,
        "Content-Length larger than the body",
        "POST",
        weddings,
        [*a, ("Content-Type", "application/json"), ("Content-Length", "100")],
        b"{}",
        wire=True,
        patient=True,
    )
    yield Probe(kind, "no Host", "GET", weddings, [*a, ("Host", "")], wire=True)
    yield Probe(
        kind,
        "Expect: 100-continue",
        "POST",
        upload,
        [*a, *jpeg, ("X-Filename", "e.jpg"), ("Expect", "100-continue")],
        distinct(w.jpeg),
    )
    yield Probe(kind, "unknown method", "BREW", weddings, a)
    yield Probe(kind, "method TRACE", "TRACE", weddings, a)


def range_kind(w: World) -> Iterator[Probe]:
    kind = "range"
    a = w.bearer(w.a)
    photo, profile = w.a_photos[0], w.profiles[-1]
    path = f"/api/v1/photos/{photo}/variants/{profile}"
    values: dict[str, str | bytes] = {
        "superscript two": b"bytes=\xc2\xb2-",
        "raw byte 0xb2": b"bytes=\xb2-",
        "Arabic-Indic digits": "bytes=\u0663-".encode(),
        "full-width digits": "bytes=\uff10-\uff11".encode(),
        "0-0": "bytes=0-0",
        "-0": "bytes=-0",
        "reversed": "bytes=5-2",
        "open": "bytes=0-",
        "last byte": "bytes=-1",
        "past the end": "bytes=99999999999-",
        "huge end": "bytes=0-99999999999999999999999999",
        "5000 digits": "bytes=" + "9" * 5000 + "-",
        "two ranges": "bytes=0-1,2-3",
        "1000 ranges": "bytes=" + ",".join(["0-1"] * 1000),
        "empty set": "bytes=",
        "unit only": "bytes",
        "other unit": "items=0-1",
        "dash only": "bytes=-",
        "spaces": "bytes = 0 - 1",
        "hex": "bytes=0x10-",
        "underscore": "bytes=1_0-",
        "plus sign": "bytes=+1-",
        "negative": "bytes=-5-",
    }
    for label, value in values.items():
        yield Probe(
            kind, f"Range {label}", "GET", path, [*a, ("Range", value)], check=_content_range
        )
    yield Probe(
        kind,
        "If-Range garbage",
        "GET",
        path,
        [*a, ("Range", "bytes=0-1"), ("If-Range", "\u00b2garbage")],
        check=_content_range,
    )
    yield Probe(
        kind,
        "If-Range old date",
        "GET",
        path,
        [*a, ("Range", "bytes=0-1"), ("If-Range", "Mon, 01 Jan 1990 00:00:00 GMT")],
        check=_content_range,
    )
    yield Probe(
        kind, "If-None-Match 10 KB", "GET", path, [*a, ("If-None-Match", '"' + "x" * 10_000 + '"')]
    )
    cookie = [("Cookie", f"trousseau_key={w.a}")]
    yield Probe(
        kind,
        "dashboard Range superscript",
        "GET",
        f"/dashboard/photos/{photo}/variants/{profile}",
        [*cookie, ("Range", b"bytes=\xc2\xb2-")],
    )
    yield Probe(
        kind,
        "dashboard 1000 ranges",
        "GET",
        f"/dashboard/photos/{photo}/variants/{profile}",
        [*cookie, ("Range", "bytes=" + ",".join(["0-1"] * 1000))],
    )


def _content_range(answer: Answer) -> str | None:
    if answer.status == 206 and "content-range" not in answer.headers:
        return "206 without Content-Range"
    if answer.status == 416 and not answer.headers.get("content-range", "").startswith("bytes */"):
        return "416 without Content-Range: bytes */size"
    return None


def tus_kind(w: World) -> Iterator[Probe]:
    kind = "tus"
    a = w.bearer(w.a)
    tus = ("Tus-Resumable", "1.0.0")
    create = f"/api/v1/weddings/{A_WEDDING}/uploads"
    name = ("Upload-Metadata", "filename " + base64.b64encode(b"t.jpg").decode())
    creations: dict[str, list] = {
        "no Tus-Resumable": [("Upload-Length", "100"), name],
        "Tus-Resumable 0.2.2": [("Tus-Resumable", "0.2.2"), ("Upload-Length", "100"), name],
        "Tus-Resumable superscript": [
            ("Tus-Resumable", b"\xc2\xb2.0.0"),
            ("Upload-Length", "100"),
            name,
        ],
        "no Upload-Length": [tus, name],
        "Upload-Length empty": [tus, ("Upload-Length", ""), name],
        "Upload-Length -1": [tus, ("Upload-Length", "-1"), name],
        "Upload-Length superscript": [tus, ("Upload-Length", b"\xc2\xb2"), name],
        "Upload-Length 1e3": [tus, ("Upload-Length", "1e3"), name],
        "Upload-Length 1_000": [tus, ("Upload-Length", "1_000"), name],
        "Upload-Length 2^63": [tus, ("Upload-Length", str(2**63)), name],
        "Upload-Length 2^64": [tus, ("Upload-Length", str(2**64)), name],
        "Upload-Length 5000 digits": [tus, ("Upload-Length", "9" * 5000), name],
        "Upload-Length 0": [tus, ("Upload-Length", "0"), name],
        "Upload-Length past the limit": [tus, ("Upload-Length", str(MAX_UPLOAD + 1)), name],
        "Upload-Defer-Length": [tus, ("Upload-Defer-Length", "1"), name],
        "metadata not base64": [tus, ("Upload-Length", "100"), ("Upload-Metadata", "filename !!!")],
        "metadata key only": [tus, ("Upload-Length", "100"), ("Upload-Metadata", "filename")],
        "metadata twice": [
            tus,
            ("Upload-Length", "100"),
            ("Upload-Metadata", "filename eA==,filename eQ=="),
        ],
        "metadata Unicode key": [
            tus,
            ("Upload-Length", "100"),
            ("Upload-Metadata", "f\u00edlename eA==".encode()),
        ],
        "metadata 5000 characters": [
            tus,
            ("Upload-Length", "100"),
            ("Upload-Metadata", "filename " + "A" * 5000),
        ],
        "metadata name invalid UTF-8": [
            tus,
            ("Upload-Length", "100"),
            ("Upload-Metadata", "filename " + base64.b64encode(b"\xff\xfe.jpg").decode()),
        ],
        "metadata name traversal": [
            tus,
            ("Upload-Length", "100"),
            ("Upload-Metadata", "filename " + base64.b64encode(b"../../etc/passwd").decode()),
        ],
        "metadata name NUL": [
            tus,
            ("Upload-Length", "100"),
            ("Upload-Metadata", "filename " + base64.b64encode(b"a\x00.jpg").decode()),
        ],
        "metadata checksum md5": [
            tus,
            ("Upload-Length", "100"),
            (
                "Upload-Metadata",
                "filename eA==,checksum "
                + base64.b64encode(b"md5 " + base64.b64encode(b"x" * 16)).decode(),
            ),
        ],
        "metadata checksum short": [
            tus,
            ("Upload-Length", "100"),
            (
                "Upload-Metadata",
                "filename eA==,checksum " + base64.b64encode(b"sha256 AAAA").decode(),
            ),
        ],
        "creation-with-upload, wrong type": [
            tus,
            ("Upload-Length", "10"),
            name,
            ("Content-Type", "image/jpeg"),
        ],
        "creation-with-upload, bad checksum": [
            tus,
            ("Upload-Length", "10"),
            name,
            ("Content-Type", "application/offset+octet-stream"),
            ("Upload-Checksum", "sha256 " + base64.b64encode(b"\x00" * 32).decode()),
        ],
    }
    for label, headers in creations.items():
        body = b"0123456789" if "creation-with-upload" in label else b""
        yield Probe(
            kind, f"create: {label}", "POST", create, [*a, *headers], body, check=_with_tus_header
        )
    patch = f"/api/v1/uploads/{w.a_upload}"
    chunk = ("Content-Type", "application/offset+octet-stream")
    offset = str(w.a_upload_offset)
    patches: dict[str, tuple[list, bytes]] = {
        "no Tus-Resumable": ([chunk, ("Upload-Offset", offset)], b"abc"),
        "wrong Content-Type": (
            [tus, ("Content-Type", "image/jpeg"), ("Upload-Offset", offset)],
            b"abc",
        ),
        "no Upload-Offset": ([tus, chunk], b"abc"),
        "Upload-Offset superscript": ([tus, chunk, ("Upload-Offset", b"\xc2\xb2")], b"abc"),
        "Upload-Offset -1": ([tus, chunk, ("Upload-Offset", "-1")], b"abc"),
        "Upload-Offset ahead": (
            [tus, chunk, ("Upload-Offset", str(w.a_upload_offset + 10))],
            b"abc",
        ),
        "Upload-Offset behind": ([tus, chunk, ("Upload-Offset", "0")], b"abc"),
        "Upload-Offset 2^64": ([tus, chunk, ("Upload-Offset", str(2**64))], b"abc"),
        "chunk past the length": ([tus, chunk, ("Upload-Offset", offset)], b"x" * 5000),
        "Upload-Checksum wrong": (
            [
                tus,
                chunk,
                ("Upload-Offset", offset),
                ("Upload-Checksum", "sha256 " + base64.b64encode(b"\x00" * 32).decode()),
            ],
            b"abc",
        ),
        "Upload-Checksum md5": (
            [
                tus,
                chunk,
                ("Upload-Offset", offset),
                ("Upload-Checksum", "md5 " + base64.b64encode(b"x" * 16).decode()),
            ],
            b"abc",
        ),
        "Upload-Checksum not base64": (
            [tus, chunk, ("Upload-Offset", offset), ("Upload-Checksum", "sha256 !!!")],
            b"abc",
        ),
        "Upload-Checksum superscript": (
            [tus, chunk, ("Upload-Offset", offset), ("Upload-Checksum", "sha256 \u00b2".encode())],
            b"abc",
        ),
        "empty chunk": ([tus, chunk, ("Upload-Offset", offset)], b""),
    }
    for label, (headers, body) in patches.items():
        yield Probe(
            kind, f"PATCH: {label}", "PATCH", patch, [*a, *headers], body, check=_with_tus_header
        )
    ids = {
        "unknown": "0" * 32,
        "traversal": "..%2f..%2f..%2fetc%2fpasswd",
        "300 characters": "a" * 300,
        "superscript": "%C2%B2",
        "NUL": "abc%00def",
        "invalid UTF-8": "%ff%fe",
    }
    for label, upload_id in ids.items():
        for method in ("HEAD", "PATCH", "DELETE"):
            headers = [tus, chunk, ("Upload-Offset", "0")] if method == "PATCH" else [tus]
            yield Probe(
                kind,
                f"{method} upload id {label}",
                method,
                f"/api/v1/uploads/{upload_id}",
                [*a, *headers],
                b"abc" if method == "PATCH" else b"",
                check=_with_tus_header,
            )
    spare = f"/api/v1/uploads/{w.a_spare_upload}"
    yield Probe(
        kind,
        "DELETE an upload",
        "DELETE",
        spare,
        [*a, tus],
        check=_all(_with_tus_header, _status_in(204)),
    )
    yield Probe(
        kind,
        "DELETE it again",
        "DELETE",
        spare,
        [*a, tus],
        check=_all(_with_tus_header, _status_in(404, 410)),
    )
    yield Probe(
        kind,
        "PATCH the deleted upload",
        "PATCH",
        spare,
        [*a, tus, chunk, ("Upload-Offset", "0")],
        b"abc",
        check=_with_tus_header,
    )
    yield Probe(kind, "OPTIONS discovery", "OPTIONS", "/api/v1/uploads", a)
    yield Probe(kind, "GET an upload (not a tus method)", "GET", patch, [*a, tus])


def json_kind(w: World) -> Iterator[Probe]:
    kind = "json"
    a = [*w.bearer(w.a), ("Content-Type", "application/json")]
    path = "/api/v1/weddings"

    def wedding(**fields: Any) -> bytes:
        body = {"slug": "hostile-json", "date": "2026-06-13", "timezone": "Europe/Paris", **fields}
        return json.dumps(body).encode()

    bodies: dict[str, bytes] = {
        "NUL in title": wedding(title="a\x00b"),
        "NUL in region": wedding(region="eu\x00west"),
        "NUL in slug": wedding(slug="a\x00b"),
        "NUL in timezone": wedding(timezone="Europe/Paris\x00"),
        "NUL in sla": wedding(sla="standard\x00"),
        "lone surrogate in title": wedding(title="\ud800"),
        "lone surrogate in region": wedding(region="\udfff"),
        "title of 600 characters": wedding(title="t" * 600),
        "title of 900 KB": wedding(title="t" * 900_000),
        "title of 3 MB": wedding(title="t" * 3_000_000),
        "slug Smith/Jones": wedding(slug="Smith/Jones 2026"),
        "slug ..": wedding(slug=".."),
        "slug of 129": wedding(slug="a" * 129),
        "slug a number": wedding(slug=1),
        "slug Unicode digit": wedding(slug="\u00b2"),
        "date 2026-02-30": wedding(date="2026-02-30"),
        "date with superscript": wedding(date="\u00b2026-01-01"),
        "date huge": wedding(date=10**30),
        "timezone Europe/Pari": wedding(timezone="Europe/Pari"),
        "timezone traversal": wedding(timezone="../../../etc/localtime"),
        "timezone absolute path": wedding(timezone="/etc/passwd"),
        "unknown sla": wedding(sla="yesterday"),
        "extra field": wedding(tenant_id=1),
        "invalid JSON": b"{",
        "single quotes": b"{'slug': 'x'}",
        "empty": b"",
        "null": b"null",
        "an array": b"[]",
        "1e999": b'{"slug": 1e999}',
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
        "invalid UTF-8": b'{"slug": "x", "title": "\xff\xfe"}',
        "UTF-8 BOM": b"\xef\xbb\xbf" + wedding(slug="hostile-bom"),
        "duplicate keys": b'{"slug": "a", "slug": "b", "date": "2026-06-13", "timezone": "UTC"}',
        "escaped NUL key": b'{"\\u0000": 1}',
    }
    for label, body in bodies.items():
        yield Probe(kind, label, "POST", path, a, body)


def content_type_kind(w: World) -> Iterator[Probe]:
    kind = "content-type"
    a = w.bearer(w.a)
    path = "/api/v1/weddings"
    body = json.dumps({"slug": "hostile-type", "date": "2026-06-13", "timezone": "UTC"}).encode()
    types = {
        "text/plain": "text/plain",
        "form": "application/x-www-form-urlencoded",
        "multipart": "multipart/form-data; boundary=xyz",
        "none": None,
        "json with latin-1 charset": "application/json; charset=latin-1",
        "application/xml": "application/xml",
    }
    for label, media in types.items():
        headers = [*a] + ([("Content-Type", media)] if media else [])
        yield Probe(
            kind,
            f"wedding as {label}",
            "POST",
            path,
            headers,
            body if label != "form" else b"slug=x&date=2026-06-13",
        )
    yield Probe(
        kind,
        "wedding gzip-encoded garbage",
        "POST",
        path,
        [*a, ("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        b"\x1f\x8bnot gzip",
    )
    upload = f"/api/v1/weddings/{A_WEDDING}/photos"
    for label, media in {
        "text/html": "text/html",
        "application/json": "application/json",
        "none": None,
        "multipart": "multipart/form-data; boundary=xyz",
    }.items():
        headers = [*a, ("X-Filename", "ct.jpg")] + ([("Content-Type", media)] if media else [])
        yield Probe(kind, f"photo as {label}", "POST", upload, headers, distinct(w.jpeg))
    yield Probe(
        kind,
        "photo: text declared image/jpeg",
        "POST",
        upload,
        [*a, ("X-Filename", "t.jpg"), ("Content-Type", "image/jpeg")],
        b"hello, this is not a photo",
    )
    yield Probe(
        kind,
        "photo: empty",
        "POST",
        upload,
        [*a, ("X-Filename", "e.jpg"), ("Content-Type", "image/jpeg")],
        b"",
    )


def utf8_kind(w: World) -> Iterator[Probe]:
    kind = "utf8"
    a = w.bearer(w.a)
    paths: dict[str, str | bytes] = {
        "slug %ff": "/api/v1/weddings/%ff",
        "slug %00": "/api/v1/weddings/%00",
        "slug superscript": "/api/v1/weddings/%C2%B2",
        "slug encoded surrogate": "/api/v1/weddings/%ED%A0%80",
        "photo id superscript": "/api/v1/photos/%C2%B2",
        "photo id with NUL": "/api/v1/photos/1%00",
        "photo id 30 digits": "/api/v1/photos/" + "9" * 30,
        "photo id -1": "/api/v1/photos/-1",
        "photo id 0x1": "/api/v1/photos/0x1",
        "profile %ff": f"/api/v1/photos/{w.a_photos[0]}/variants/%ff",
        "cursor %ff": f"/api/v1/weddings/{A_WEDDING}/photos?cursor=%ff",
        "cursor superscript": f"/api/v1/weddings/{A_WEDDING}/photos?cursor=%C2%B2",
        "cursor 5000 digits": f"/api/v1/weddings/{A_WEDDING}/photos?cursor=" + "9" * 5000,
        "limit superscript": f"/api/v1/weddings/{A_WEDDING}/photos?limit=%C2%B2",
        "limit 30 digits": f"/api/v1/weddings/{A_WEDDING}/photos?limit=" + "9" * 30,
        "state NUL": f"/api/v1/weddings/{A_WEDDING}/photos?state=%00",
        "since superscript": f"/api/v1/weddings/{A_WEDDING}/photos?since=%C2%B2026-01-01",
        "job id superscript": "/api/v1/jobs/%C2%B2",
    }
    for label, path in paths.items():
        headers = w.bearer(w.a_admin) if "/jobs" in str(path) else a
        yield Probe(kind, label, "GET", path, headers)
    yield Probe(
        kind, "raw invalid UTF-8 in the path", "GET", b"/api/v1/weddings/\xff\xfe", a, wire=True
    )
    yield Probe(
        kind,
        "raw invalid UTF-8 in the query",
        "GET",
        f"/api/v1/weddings/{A_WEDDING}/photos?cursor=".encode() + b"\xff",
        a,
        wire=True,
    )


def traversal_kind(w: World) -> Iterator[Probe]:
    kind = "traversal"
    a = w.bearer(w.a)
    upload = f"/api/v1/weddings/{A_WEDDING}/photos"
    names = [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/etc/passwd",
        "%2e%2e%2fx.jpg",
        "C:\\DCIM\\x.jpg",
        "....//x.jpg",
        "..%c0%afx.jpg",
    ]
    for name in names:
        yield Probe(
            kind,
            f"X-Filename {name}",
            "POST",
            upload,
            [*a, ("Content-Type", "image/jpeg"), ("X-Filename", name)],
            distinct(w.jpeg),
            check=_safe_recorded_name,
        )
    leaks = _not_naming("root:x:", "[project]", "trousseau.toml")
    paths = [
        "/dashboard/static/../../../../etc/passwd",
        "/dashboard/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/dashboard/static/%2e%2e/%2e%2e/pyproject.toml",
        "/dashboard/static/....//....//pyproject.toml",
        "/api/v1/weddings/..%2fsmith-jones",
        f"/api/v1/photos/{w.a_photos[0]}/variants/..%2f..%2fpasswd",
        "/api/v1/uploads/..%2f..%2f..%2fcatalog.sqlite3",
        "/api/v1/../../etc/passwd",
    ]
    for path in paths:
        yield Probe(
            kind,
            f"GET {path}",
            "GET",
            path,
            a,
            check=_all(leaks, _status_in(400, 401, 404, 405, 422)),
        )


def keys_kind(w: World) -> Iterator[Probe]:
    kind = "keys"
    key_id, secret = w.key_id(w.a), w.secret(w.a)
    values: dict[str, str | bytes] = {
        "leading zero in the id": f"Bearer tr_0{key_id}_{secret}",
        "id only": f"Bearer tr_{key_id}",
        "id and no secret": f"Bearer tr_{key_id}_",
        "no id": f"Bearer tr__{secret}",
        "secret one character longer": f"Bearer tr_{key_id}_{secret}x",
        "secret one character shorter": f"Bearer tr_{key_id}_{secret[:-1]}",
        "upper-case prefix": f"Bearer TR_{key_id}_{secret}",
        "superscript id": f"Bearer tr_\u00b2_{secret}".encode(),
        "full-width id": f"Bearer tr_\uff11_{secret}".encode(),
        "id of 30 digits": f"Bearer tr_{'9' * 30}_{secret}",
        "negative id": f"Bearer tr_-{key_id}_{secret}",
        "plus sign": f"Bearer tr_+{key_id}_{secret}",
        "another key's id": f"Bearer tr_{w.key_id(w.b)}_{secret}",
        "Bearer only": "Bearer",
        "Basic": "Basic " + base64.b64encode(f"tr_{key_id}:{secret}".encode()).decode(),
        "lower-case scheme": f"bearer tr_{key_id}_{secret}",
        "two spaces": f"Bearer  tr_{key_id}_{secret}",
        "trailing garbage": f"Bearer tr_{key_id}_{secret} extra",
        "invalid UTF-8": b"Bearer tr_1_\xff\xfe",
        "secret of 10 KB": f"Bearer tr_{key_id}_" + "A" * 10_000,
    }
    accepted = {"lower-case scheme", "two spaces"}  # RFC 7235: the scheme is case-insensitive
    for label, value in values.items():
        yield Probe(
            kind,
            f"Authorization: {label}",
            "GET",
            "/api/v1/weddings",
            [("Authorization", value)],
            foreign=label not in accepted,
        )
    yield Probe(
        kind,
        "key as a cookie on the API",
        "GET",
        "/api/v1/weddings",
        [("Cookie", f"trousseau_key={w.a}")],
        foreign=True,
    )
    yield Probe(
        kind, "key in the query string", "GET", f"/api/v1/weddings?key={w.a}", [], foreign=True
    )
    yield Probe(
        kind,
        "two Authorization headers",
        "GET",
        "/api/v1/weddings",
        [("Authorization", f"Bearer {w.b}"), ("Authorization", f"Bearer {w.a}")],
        check=_not_naming(A_WEDDING),
    )
    yield Probe(
        kind,
        "tenant key on an admin route",
        "GET",
        "/api/v1/jobs",
        w.bearer(w.a),
        check=_status_in(403),
    )


def bodies_kind(w: World, *, size: int, concurrent: int) -> Iterator[Probe]:
    kind = "bodies"

    def stream(total: int) -> Callable[[], Iterator[bytes]]:
        def chunks() -> Iterator[bytes]:
            block = b"{" + b" " * (1024 * 1024 - 1)
            for _ in range(total // len(block)):
                yield block
                block = b" " * len(block)

        return chunks

    json_type = ("Content-Type", "application/json")
    megabytes = size // 1_000_000
    for index in range(concurrent):
        yield Probe(
            kind,
            f"unauthenticated {megabytes} MB JSON #{index + 1}",
            "POST",
            "/api/v1/weddings",
            [json_type, ("Content-Length", str(size))],
            stream(size),
            check=_status_in(401, 413),
        )
    yield Probe(
        kind,
        f"unauthenticated {megabytes} MB photo",
        "POST",
        f"/api/v1/weddings/{A_WEDDING}/photos",
        [("Content-Type", "image/jpeg"), ("X-Filename", "big.jpg"), ("Content-Length", str(size))],
        stream(size),
        check=_status_in(401, 413),
    )
    yield Probe(
        kind,
        f"unauthenticated {megabytes} MB tus chunk",
        "PATCH",
        f"/api/v1/uploads/{w.a_upload}",
        [
            ("Tus-Resumable", "1.0.0"),
            ("Content-Type", "application/offset+octet-stream"),
            ("Upload-Offset", str(w.a_upload_offset)),
            ("Content-Length", str(size)),
        ],
        stream(size),
        check=_status_in(401, 413),
    )

    def chunked() -> Iterator[bytes]:
        for _ in range(20):
            yield b"100000\r\n" + b" " * 0x100000 + b"\r\n"
        yield b"0\r\n\r\n"

    yield Probe(
        kind,
        "unauthenticated 20 MB chunked JSON",
        "POST",
        "/api/v1/weddings",
        [json_type, ("Transfer-Encoding", "chunked")],
        chunked,
        check=_status_in(401, 413),
    )
    a = w.bearer(w.a)
    yield Probe(
        kind,
        "authenticated 5 MB JSON",
        "POST",
        "/api/v1/weddings",
        [*a, json_type, ("Content-Length", str(5_000_000))],
        stream(5_000_000),
        check=_status_in(413),
    )
    yield Probe(
        kind,
        "authenticated photo past the upload limit",
        "POST",
        f"/api/v1/weddings/{A_WEDDING}/photos",
        [
            *a,
            ("Content-Type", "image/jpeg"),
            ("X-Filename", "huge.jpg"),
            ("Content-Length", str(MAX_UPLOAD + 1_000_000)),
        ],
        stream(MAX_UPLOAD + 1_000_000),
        check=_status_in(413),
    )


def images_kind(w: World, files: dict[str, bytes]) -> Iterator[Probe]:
    kind = "images"
    a = w.bearer(w.a)
    for name, data in files.items():
        yield Probe(
            kind,
            name,
            "POST",
            f"/api/v1/weddings/{ODD_WEDDING}/photos",
            [*a, ("Content-Type", "application/octet-stream"), ("X-Filename", name)],
            data,
            check=_status_in(200, 201, 400, 413, 415, 422),
        )


def image_files(quick: bool) -> dict[str, bytes]:
    """The bad corpus (when ../shared is there) and the generated odd files (a sample)."""
    files: dict[str, bytes] = {}
    bad = REPO.parent / "shared" / "data" / "photos" / "bad"
    if bad.is_dir():
        files.update((p.name, p.read_bytes()) for p in sorted(bad.iterdir()) if p.is_file())
    else:
        say(f"{bad} is absent: the images kind sends the generated odd files only")
    sys.path.insert(0, str(REPO))
    from tests.imaging.odd import odd_files

    odd = odd_files(per_tag=False)
    keep = 12 if quick else 60
    step = max(1, len(odd) // keep)
    names = sorted(odd)[::step]
    must = [
        n
        for n in odd
        if n.startswith(
            (
                "subifds-40000",
                "jpeg-sof-65535x65535",
                "png-ihdr-65535",
                "exif-every-tag-dated-superscript",
            )
        )
    ]
    for name in dict.fromkeys(must + names):
        files[name] = odd[name]
    return files


# ---------------------------------------------------------------------------------------------
# The server and the world it holds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(catalog_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
    env.update(
        TROUSSEAU_WEB__MAX_UPLOAD_BYTES=str(MAX_UPLOAD),
        TROUSSEAU_WEB__PROGRESS_LIFETIME_SECONDS="2",
        TROUSSEAU_WEB__PROGRESS_INTERVAL_SECONDS="0.5",
        TROUSSEAU_WORKERS="1",
    )
    if catalog_url:
        env["TROUSSEAU_CATALOG_URL"] = catalog_url
    return env


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def rss_mb(self) -> float:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


@contextlib.contextmanager
def serving(work: Path, catalog_url: str | None) -> Iterator[tuple[Server, list[str]]]:
    """`trousseau serve --no-worker` on a fresh data directory, and the CLI to reach it."""
    env = _environment(catalog_url)
    cli = [sys.executable, "-m", "trousseau", "--data-dir", str(work / "data")]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = work / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*cli, "serve", "--no-worker", "--port", str(port), "--log-level", "info"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    try:
        _wait_ready(server)
        yield server, cli
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"the server exited before it was ready: {server.log.read_text()[-2000:]}"
            )
        answer = exchange(server.port, build_request("GET", "/readyz", [], b""), timeout=2)
        if answer.status == 200:
            return
        time.sleep(0.1)
    raise SystemExit("the server was not ready within 60 s")


def _cli(cli: list[str], env: dict[str, str], *args: str) -> str:
    result = subprocess.run([*cli, *args], env=env, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def _api(
    port: int, method: str, path: str, key: str, headers: list | None = None, body: bytes = b""
) -> Answer:
    answer = exchange(
        port,
        build_request(method, path, [("Authorization", f"Bearer {key}"), *(headers or [])], body),
        body,
    )
    if answer.status is None or answer.status >= 300:
        raise SystemExit(
            f"setting up: {method} {path} answered {answer.status}: {answer.text(300)}"
        )
    return answer


def make_world(server: Server, cli: list[str], env: dict[str, str]) -> World:
    """Two tenants with weddings, rendered photos, open tus uploads and jobs."""
    a = _cli(cli, env, "keys", "create", "--tenant", "studio-a")
    a_admin = _cli(cli, env, "keys", "create", "--tenant", "studio-a", "--admin")
    b = _cli(cli, env, "keys", "create", "--tenant", "studio-b")
    revoked = _cli(cli, env, "keys", "create", "--tenant", "studio-b")
    _cli(cli, env, "keys", "revoke", revoked.split("_")[1])
    port = server.port
    json_type = [("Content-Type", "application/json")]
    for key, slug in ((a, A_WEDDING), (a, ODD_WEDDING), (b, B_WEDDING)):
        body = json.dumps({"slug": slug, "date": "2026-06-13", "timezone": "Europe/Paris"}).encode()
        _api(port, "POST", "/api/v1/weddings", key, json_type, body)

    def upload(key: str, slug: str, seed: int) -> int:
        data = jpeg_bytes(seed)
        headers = [("Content-Type", "image/jpeg"), ("X-Filename", f"IMG_{seed:04d}.JPG")]
        return int(
            _api(port, "POST", f"/api/v1/weddings/{slug}/photos", key, headers, data).json()["id"]
        )

    a_photos = [upload(a, A_WEDDING, seed) for seed in (1, 2, 3)]
    b_photos = [upload(b, B_WEDDING, 4)]

    def tus_upload(key: str, slug: str, sent: int) -> str:
        headers = [
            ("Tus-Resumable", "1.0.0"),
            ("Upload-Length", "1000"),
            ("Upload-Metadata", "filename " + base64.b64encode(b"partial.jpg").decode()),
        ]
        created = _api(port, "POST", f"/api/v1/weddings/{slug}/uploads", key, headers)
        upload_id = created.headers["location"].rstrip("/").rsplit("/", 1)[1]
        if sent:
            chunk = [
                ("Tus-Resumable", "1.0.0"),
                ("Content-Type", "application/offset+octet-stream"),
                ("Upload-Offset", "0"),
            ]
            _api(port, "PATCH", f"/api/v1/uploads/{upload_id}", key, chunk, b"\xff" * sent)
        return upload_id

    a_upload = tus_upload(a, A_WEDDING, 100)
    a_spare = tus_upload(a, A_WEDDING, 0)
    b_upload = tus_upload(b, B_WEDDING, 10)
    subprocess.run(
        [*cli, "work", "--until-idle", "--workers", "1"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    photo = _api(port, "GET", f"/api/v1/photos/{a_photos[0]}", a).json()
    profiles = [v["profile"] for v in photo.get("variants", [])] or ["social"]
    jobs = _api(port, "GET", "/api/v1/jobs?limit=5", a_admin).json().get("items", [])
    return World(
        port=port,
        a=a,
        a_admin=a_admin,
        b=b,
        revoked=revoked,
        a_photos=a_photos,
        b_photos=b_photos,
        a_upload=a_upload,
        a_upload_offset=100,
        a_spare_upload=a_spare,
        b_upload=b_upload,
        a_jobs=[int(j["id"]) for j in jobs],
        profiles=profiles,
        jpeg=jpeg_bytes(9),
    )


def probes(w: World, kinds: Iterable[str], *, quick: bool) -> list[Probe]:
    chosen = set(kinds)
    found: list[Probe] = []
    makers: dict[str, Callable[[], Iterable[Probe]]] = {
        "cross-tenant": lambda: cross_tenant(w),
        "headers": lambda: headers_kind(w),
        "range": lambda: range_kind(w),
        "tus": lambda: tus_kind(w),
        "json": lambda: json_kind(w),
        "content-type": lambda: content_type_kind(w),
        "utf8": lambda: utf8_kind(w),
        "traversal": lambda: traversal_kind(w),
        "keys": lambda: keys_kind(w),
        "images": lambda: images_kind(w, image_files(quick)),
    }
    for kind, make in makers.items():
        if kind in chosen:
            found.extend(make())
    return found


# ---------------------------------------------------------------------------------------------
# A run on one catalog


@dataclass
class Run:
    backend: str
    outcomes: list[Outcome] = field(default_factory=list)
    extra: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, category, detail) found over the whole run: keys in the log, memory."""
    rss_idle_mb: float = float("nan")
    rss_peak_mb: float = float("nan")
    seconds: float = 0.0

    @property
    def problems(self) -> list[tuple[str, str, str, str]]:
        """(kind, category, request, detail) of everything found."""
        found = [
            (
                o.probe.kind,
                category,
                f"{o.probe.method} {_show(o.probe.path)} [{o.probe.label}]",
                detail,
            )
            for o in self.outcomes
            for category, detail in o.problems
        ]
        return found + [(kind, category, "-", detail) for kind, category, detail in self.extra]


def _show(path: str | bytes, limit: int = 90) -> str:
    text = path.decode("latin-1") if isinstance(path, bytes) else path
    return text if len(text) <= limit else text[:limit] + "…"


def run_backend(
    backend: str,
    catalog_url: str | None,
    work: Path,
    *,
    kinds: Sequence[str] = KINDS,
    quick: bool = False,
) -> Run:
    """Start a server on `catalog_url` (None: SQLite in `work`), make the world, send every
    probe of `kinds`, judge the answers."""
    run = Run(backend)
    started = time.monotonic()
    env = _environment(catalog_url)
    with serving(work, catalog_url) as (server, cli):
        say(f"{backend}: setting up two tenants on port {server.port}")
        try:
            world = make_world(server, cli, env)
        except (SystemExit, subprocess.CalledProcessError) as exc:
            log = server.log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{backend}: {exc}\nthe server's log ends:\n{log}") from None
        run.rss_idle_mb = server.rss_mb()
        chosen = probes(world, kinds, quick=quick)
        say(f"{backend}: {len(chosen)} probes")
        for probe in chosen:
            answer = exchange(
                server.port,
                build_request(probe.method, probe.path, probe.headers, probe.body),
                probe.body,
                timeout=PATIENT_SECONDS if probe.patient else ANSWER_SECONDS,
            )
            run.outcomes.append(Outcome(probe, answer, judge(probe, answer)))
        if "bodies" in kinds:
            size, concurrent = (20_000_000, 3) if quick else (150_000_000, 10)
            run.outcomes.extend(
                _send_together(
                    server, list(bodies_kind(world, size=size, concurrent=concurrent)), run
                )
            )
        log = server.log.read_text(errors="replace")
        keys = [world.a, world.a_admin, world.b, world.revoked]
        for key in keys:
            if world.secret(key) in log:
                run.extra.append(
                    (
                        "log",
                        "wrong",
                        f"a key's secret is in the server log (tr_{world.key_id(key)}_…)",
                    )
                )
        tracebacks = log.count("Traceback (most recent call last)")
        if tracebacks:
            run.extra.append(("log", "5xx", f"{tracebacks} traceback(s) in the server log"))
    run.seconds = time.monotonic() - started
    return run


def _send_together(server: Server, chosen: list[Probe], run: Run) -> list[Outcome]:
    """Send large-body probes at once while sampling the server's memory."""
    peak = [server.rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.rss_mb())
            time.sleep(0.05)

    outcomes: list[Outcome | None] = [None] * len(chosen)

    def send(index: int, probe: Probe) -> None:
        answer = exchange(
            server.port,
            build_request(probe.method, probe.path, probe.headers, probe.body),
            probe.body,
            timeout=120,
        )
        outcomes[index] = Outcome(probe, answer, judge(probe, answer))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=send, args=(i, p)) for i, p in enumerate(chosen)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    sampler.join()
    run.rss_peak_mb = peak[0]
    growth = peak[0] - run.rss_idle_mb
    if growth > MEMORY_MB:
        run.extra.append(
            (
                "bodies",
                "wrong",
                f"server memory grew {growth:.0f} MB over idle ({run.rss_idle_mb:.0f} MB) "
                "while large bodies were refused",
            )
        )
    return [o for o in outcomes if o is not None]


# ---------------------------------------------------------------------------------------------
# PostgreSQL database of the run


def _admin_url() -> str:
    return POSTGRES_ADMIN.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_database() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    name = f"trousseau_hostile_{os.getpid()}"
    try:
        with psycopg.connect(_admin_url(), autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        say(f"PostgreSQL not reachable ({exc}); SQLite only")
        return None
    base = _admin_url().rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(_admin_url(), autocommit=True) as admin,
    ):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# The report


def table(runs: Sequence[Run]) -> str:
    lines = [
        "| kind | catalog | requests | statuses | 5xx | no answer | bad 4xx | leaks | wrong "
        "| slow |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        by_kind: dict[str, list[Outcome]] = {}
        for outcome in run.outcomes:
            by_kind.setdefault(outcome.probe.kind, []).append(outcome)
        for kind in [k for k in KINDS if k in by_kind]:
            outcomes = by_kind[kind]
            statuses = Counter(str(o.answer.status or "none") for o in outcomes)
            shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
            counts = Counter(category for o in outcomes for category, _ in o.problems)
            cells = " | ".join(str(counts.get(c, 0)) for c in CATEGORIES)
            lines.append(f"| {kind} | {run.backend} | {len(outcomes)} | {shown} | {cells} |")
        total = Counter(category for _, category, _, _ in run.problems)
        cells = " | ".join(f"**{total.get(c, 0)}**" for c in CATEGORIES)
        lines.append(f"| **all** | {run.backend} | **{len(run.outcomes)}** | | {cells} |")
    return "\n".join(lines)


def details(runs: Sequence[Run], limit: int = 60) -> list[str]:
    lines = []
    for run in runs:
        for kind, category, request, detail in run.problems[:limit]:
            lines.append(f"- {run.backend}, {kind}, **{category}**: `{request}` → {detail[:200]}")
        if len(run.problems) > limit:
            lines.append(f"- {run.backend}: {len(run.problems) - limit} more")
    return lines


def markdown(runs: Sequence[Run], command: str, date: str) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    memory = "; ".join(
        f"{r.backend}: idle {r.rss_idle_mb:.0f} MB, peak {r.rss_peak_mb:.0f} MB while large "
        "bodies were refused"
        for r in runs
    )
    found = details(runs)
    body = [
        START_MARK,
        f"{date}, {machine}: `{command}`",
        "",
        table(runs),
        "",
        f"Server memory: {memory}.",
        "",
        "Problems found:" if found else "No problem found.",
        *(["", *found] if found else []),
        END_MARK,
    ]
    return "\n".join(body)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 x 20 MB bodies, 12 odd images")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to send")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/hostile.md")
    parser.add_argument(
        "--verbose", action="store_true", help="every request's label and status on stderr"
    )
    parser.add_argument("--date", default=dt.date.today().isoformat())
    args = parser.parse_args(argv)
    unknown = set(args.kinds.split(",")) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}: use {', '.join(KINDS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO)
    kinds = [k for k in KINDS if k in args.kinds.split(",")]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(
        prefix="hostile-", dir=REPO / ".bench" if (REPO / ".bench").is_dir() else None
    ) as tmp:
        (Path(tmp) / "sqlite").mkdir()
        runs.append(
            run_backend("SQLite", None, Path(tmp) / "sqlite", kinds=kinds, quick=args.quick)
        )
        postgres = None if args.no_postgres else postgres_database()
        if postgres:
            try:
                (Path(tmp) / "postgresql").mkdir()
                runs.append(
                    run_backend(
                        "PostgreSQL",
                        postgres,
                        Path(tmp) / "postgresql",
                        kinds=kinds,
                        quick=args.quick,
                    )
                )
            finally:
                drop_postgres(postgres)
    if args.verbose:
        for run in runs:
            for o in run.outcomes:
                status = o.answer.status or o.answer.error
                say(
                    f"{run.backend} {o.probe.kind}: {o.probe.label} -> {status} {o.answer.text(80)}"
                )
    print(table(runs))
    for run in runs:
        print(
            f"{run.backend}: server memory idle {run.rss_idle_mb:.0f} MB, peak "
            f"{run.rss_peak_mb:.0f} MB while large bodies were refused; {run.seconds:.0f} s"
        )
    for line in details(runs, limit=200):
        print(line)
    if not args.no_docs:
        command = recipe(
            "bench.hostile", list(sys.argv[1:] if argv is None else argv), flags=("--no-docs",)
        )
        write_docs(markdown(runs, command, args.date))
        say(f"written to {DOCS.relative_to(REPO)}")
    return 1 if any(run.problems for run in runs) else 0


def write_docs(section: str) -> None:
    if not DOCS.exists():
        DOCS.write_text(PREAMBLE, encoding="utf-8")
    write_section(DOCS, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)


if __name__ == "__main__":
    sys.exit(main())
