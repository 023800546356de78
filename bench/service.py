"""Load test of the HTTP service on loopback: concurrent uploads of real-size JPEGs, then reads.

Run `.venv/bin/python -m bench.service [--uploads 200] [--reads 2000] [--quick]`. For each
target it starts a real server in a subprocess and drives it with httpx from this process:

- **trousseau** on the SQLite catalog and on PostgreSQL (when reachable): the real command,
  `trousseau serve --no-worker`, so uploads are hashed, checked, stored in the vault (fsync'd
  and re-hashed) and recorded with their job, as in production minus the rendering.
- **baseline, bare Starlette** under the same uvicorn: an upload route that streams the body
  to a file while hashing it and fsyncs it (the least any durable upload must do), and a read
  route answering a small JSON document from memory.

Phase 1 sends all uploads at once (each 24-megapixel JPEG made distinct by a comment
segment, with its SHA-256 announced); phase 2 runs the reads at a fixed concurrency, cycling
over listing a page of photos, reading one photo and reading the wedding. Afterwards every
upload must be found by listing the wedding (no error, none lost, every hash right). The
table gives p50/p99 latency and throughput, and ratios to the baseline measured in the same
run; it is written between the `bench:service` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.service")

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import os
import platform
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import DOCS, REPO, recipe, say, write_section

CACHE = REPO / ".bench" / "service"
START_MARK = "<!-- bench:service:start -->"
END_MARK = "<!-- bench:service:end -->"
SECTION_HEADING = "## HTTP service under load"
POSTGRES_ADMIN = os.environ.get("TROUSSEAU_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
WEDDING = "load"
READ_CONCURRENCY = 16
TUS_CHUNK = 4 * 1024 * 1024
SEED = 2026


# ---------------------------------------------------------------------------------------------
# The photos: one real-size JPEG, made into N distinct files by a JPEG comment segment.


def base_photo(megapixels: float) -> bytes:
    from trousseau.demo.samples import generate_photo

    path = CACHE / f"base-{megapixels:g}mp.jpg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        when = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)
        data = generate_photo(1, seed=SEED, megapixels=megapixels, when=when)
        path.with_suffix(".part").write_bytes(data)
        path.with_suffix(".part").replace(path)
    return path.read_bytes()


def distinct(photo: bytes, index: int) -> bytes:
    """The same image with a COM segment after SOI: a different file, still a valid JPEG."""
    comment = f"trousseau load test {index}".encode()
    return photo[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + photo[2:]


# ---------------------------------------------------------------------------------------------
# The servers


BASELINE_APP = """
import hashlib, json, os, sys, uuid
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = sys.argv[2]
DOC = {"id": 1, "slug": "load", "photos": 200, "state": "stored"}

async def upload(request):
    path = os.path.join(ROOT, uuid.uuid4().hex)
    hasher = hashlib.sha256()
    size = 0
    with open(path, "wb") as out:
        async for chunk in request.stream():
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return JSONResponse({"sha256": hasher.hexdigest(), "bytes": size}, status_code=201)

async def read(request):
    return JSONResponse(DOC)

app = Starlette(routes=[Route("/upload", upload, methods=["POST"]), Route("/read", read)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
    env.update(extra)
    return env


@dataclass(frozen=True)
class Target:
    """A server under test: the baseline, or trousseau on a catalog (None: SQLite default)."""

    name: str
    baseline: bool = False
    catalog_url: str | None = None
    tus: bool = False


@contextlib.contextmanager
def running(target: Target, work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Start the target's server; yield its base URL and the headers a client sends."""
    port = _free_port()
    headers: dict[str, str] = {}
    if target.baseline:
        (work / "blobs").mkdir(parents=True)
        command = [sys.executable, "-c", BASELINE_APP, str(port), str(work / "blobs")]
        env = _environment()
    else:
        env = _environment()
        if target.catalog_url:
            env["TROUSSEAU_CATALOG_URL"] = target.catalog_url
        cli = [sys.executable, "-m", "trousseau", "--data-dir", str(work / "data")]
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        key = subprocess.run(
            [*cli, "keys", "create", "--tenant", "loadtest"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        headers = {"Authorization": f"Bearer {key}"}
        command = [*cli, "serve", "--no-worker", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base, "/read" if target.baseline else "/readyz")
        yield base, headers
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen, base: str, path: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"the server exited before it was ready: {stderr[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(base + path, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"the server at {base} was not ready within 60 s")


def _postgres_database() -> str | None:
    """A fresh database on the PostgreSQL server, or None when there is none to reach."""
    try:
        import psycopg
    except ImportError:
        return None
    name = f"trousseau_bench_service_{os.getpid()}"
    admin_url = POSTGRES_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        say(f"PostgreSQL not reachable ({exc}); measuring SQLite only")
        return None
    base = admin_url.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _drop_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(
            POSTGRES_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        ) as admin,
    ):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# The load


@dataclass
class Phase:
    """Latencies (seconds) and failures of one phase against one target."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ok: int = 0
    seconds: float = 0.0
    bytes: int = 0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    target: Target
    uploads: Phase
    reads: Phase
    sent: list[str] = field(default_factory=list)
    lost: int = 0
    wrong_hash: int = 0


async def _upload_all(
    base: str, headers: dict[str, str], photos: list[bytes], target: Target
) -> tuple[Phase, dict[str, int]]:
    import httpx

    phase = Phase()
    found: dict[str, int] = {}
    limits = httpx.Limits(max_connections=len(photos), max_keepalive_connections=len(photos))
    timeout = httpx.Timeout(600.0, connect=60.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

        async def single(index: int, data: bytes, digest: str) -> tuple[int, Any]:
            url = "/upload" if target.baseline else f"/api/v1/weddings/{WEDDING}/photos"
            upload_headers = {
                **headers,
                "Content-Type": "image/jpeg",
                "X-Filename": f"IMG_{index:04d}.JPG",
                "X-Checksum-SHA256": digest,
            }
            response = await client.post(url, content=data, headers=upload_headers)
            if response.status_code != 201:
                return response.status_code, response.text[:200]
            return 201, response.json()

        async def resumable(index: int, data: bytes, digest: str) -> tuple[int, Any]:
            """tus: create, then PATCH chunks, each with its own SHA-256."""
            tus = {**headers, "Tus-Resumable": "1.0.0"}
            name = base64.b64encode(f"IMG_{index:04d}.JPG".encode()).decode()
            metadata = (
                f"filename {name},checksum {base64.b64encode(bytes.fromhex(digest)).decode()}"
            )
            created = await client.post(
                f"/api/v1/weddings/{WEDDING}/uploads",
                headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata},
            )
            if created.status_code != 201:
                return created.status_code, created.text[:200]
            location, offset, response = created.headers["Location"], 0, created
            while offset < len(data):
                chunk = data[offset : offset + TUS_CHUNK]
                response = await client.patch(
                    location,
                    content=chunk,
                    headers={
                        **tus,
                        "Content-Type": "application/offset+octet-stream",
                        "Upload-Offset": str(offset),
                        "Upload-Checksum": "sha256 "
                        + base64.b64encode(hashlib.sha256(chunk).digest()).decode(),
                    },
                )
                if response.status_code != 204:
                    return response.status_code, response.text[:200]
                offset = int(response.headers["Upload-Offset"])
            photo = await client.get(response.headers["X-Photo-Location"], headers=headers)
            return 201, photo.json()

        async def one(index: int, data: bytes) -> None:
            digest = hashlib.sha256(data).hexdigest()
            send = resumable if target.tus else single
            began = time.perf_counter()
            try:
                status, body = await send(index, data, digest)
            except httpx.HTTPError as exc:
                phase.errors.append(f"upload {index}: {type(exc).__name__}: {exc}")
                return
            phase.latencies.append(time.perf_counter() - began)
            if status != 201:
                phase.errors.append(f"upload {index}: {status} {body}")
                return
            if body["sha256"] != digest:
                phase.errors.append(f"upload {index}: the server recorded another hash")
                return
            phase.ok += 1
            found[digest] = body.get("id", index)

        began = time.perf_counter()
        await asyncio.gather(*(one(i, data) for i, data in enumerate(photos)))
        phase.seconds = time.perf_counter() - began
        phase.bytes = sum(len(p) for p in photos)
    return phase, found


async def _read_all(
    base: str, headers: dict[str, str], photo_ids: list[int], reads: int, target: Target
) -> Phase:
    import httpx

    phase = Phase()
    if target.baseline:
        paths = ["/read"]
    else:
        prefix = "/api/v1"
        paths = [f"{prefix}/weddings/{WEDDING}/photos?limit=50", f"{prefix}/weddings/{WEDDING}"]
        paths += [f"{prefix}/photos/{photo_id}" for photo_id in photo_ids]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(reads):
        queue.put_nowait(paths[i % len(paths)] if i % 3 else paths[0])
    limits = httpx.Limits(max_connections=READ_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as client:

        async def reader() -> None:
            while not queue.empty():
                path = queue.get_nowait()
                began = time.perf_counter()
                try:
                    response = await client.get(path, headers=headers)
                except httpx.HTTPError as exc:
                    phase.errors.append(f"GET {path}: {type(exc).__name__}: {exc}")
                    continue
                phase.latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    phase.errors.append(f"GET {path}: {response.status_code}")
                else:
                    phase.ok += 1

        began = time.perf_counter()
        await asyncio.gather(*(reader() for _ in range(READ_CONCURRENCY)))
        phase.seconds = time.perf_counter() - began
    return phase


def _listed(base: str, headers: dict[str, str]) -> dict[str, int]:
    """Every photo of the wedding, walked page by page: SHA-256 → id."""
    import httpx

    listed: dict[str, int] = {}
    cursor: str | None = None
    with httpx.Client(base_url=base, headers=headers, timeout=60.0) as client:
        while True:
            params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"/api/v1/weddings/{WEDDING}/photos", params=params).json()
            listed.update({item["sha256"]: item["id"] for item in page["items"]})
            cursor = page["next_cursor"]
            if cursor is None:
                return listed


def measure(target: Target, photos: list[bytes], reads: int) -> Result:
    import httpx

    with tempfile.TemporaryDirectory(prefix="trousseau-bench-service-") as tmp:
        work = Path(tmp)
        with running(target, work) as (base, headers):
            if not target.baseline:
                body = {"slug": WEDDING, "date": "2026-06-13", "timezone": "Europe/Paris"}
                created = httpx.post(f"{base}/api/v1/weddings", json=body, headers=headers)
                created.raise_for_status()
            say(f"{target.name}: {len(photos)} concurrent uploads")
            uploads, found = asyncio.run(_upload_all(base, headers, photos, target))
            ids = sorted(found.values())
            say(f"{target.name}: {reads} reads at concurrency {READ_CONCURRENCY}")
            read_phase = asyncio.run(_read_all(base, headers, ids, reads, target))
            sent = [hashlib.sha256(p).hexdigest() for p in photos]
            result = Result(target, uploads, read_phase, sent)
            if not target.baseline:
                listed = _listed(base, headers)
                result.lost = len(set(sent) - set(listed))
                result.wrong_hash = len(set(listed) - set(sent))
    return result


# ---------------------------------------------------------------------------------------------
# The report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    baseline = next(r for r in results if r.target.baseline)
    table = []
    for r in results:
        up, rd = r.uploads, r.reads
        up_ratio = up.percentile(0.5) / baseline.uploads.percentile(0.5)
        rd_ratio = rd.percentile(0.5) / baseline.reads.percentile(0.5)
        table.append(
            (
                r.target.name,
                f"{up.ok}/{len(r.sent)}",
                _ms(up.percentile(0.5)),
                _ms(up.percentile(0.99)),
                f"{up.bytes / up.seconds / 1e6:,.0f} MB/s" if up.seconds else "-",
                "-" if r.target.baseline else f"{up_ratio:.2f}x",
                _ms(rd.percentile(0.5)),
                _ms(rd.percentile(0.99)),
                f"{rd.per_second:,.0f}/s",
                "-" if r.target.baseline else f"{rd_ratio:.2f}x",
                str(len(up.errors) + len(rd.errors)),
                "-" if r.target.baseline else str(r.lost + r.wrong_hash),
            )
        )
    return table


HEADERS = (
    "server",
    "uploads ok",
    "upload p50",
    "upload p99",
    "upload rate",
    "p50 vs baseline",
    "read p50",
    "read p99",
    "reads",
    "p50 vs baseline",
    "errors",
    "lost",
)


def markdown(results: list[Result], args: argparse.Namespace, size: int, command: str) -> str:
    table = rows(results)
    lines = [
        START_MARK,
        SECTION_HEADING,
        "",
        f"Measured {dt.date.today().isoformat()} with `{command}` on {_describe_machine()}.",
        f"{args.uploads} concurrent uploads of {args.megapixels:g}-megapixel JPEGs "
        f"({size / 1e6:.1f} MB each, SHA-256 announced), then {args.reads} reads at "
        f"concurrency {READ_CONCURRENCY} (a page of 50 photos, one photo, the wedding). "
        "Server and client share the machine's cores; ratios compare with the bare Starlette "
        "baseline measured in the same run.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
        *("| " + " | ".join(row) + " |" for row in table),
        "",
        "- **trousseau**: `trousseau serve --no-worker`, every upload hashed while received, "
        "checked (checksum, format), stored in the local vault (fsync, re-read and re-hashed) "
        "and recorded with its job in one transaction; reads are authenticated and "
        "tenant-scoped queries.",
        "- **tus**: the same photos as resumable uploads: creation with the file's SHA-256 in "
        "Upload-Metadata, then 4 MB PATCH chunks each with its Upload-Checksum, then a GET of "
        "the photo the last chunk names; the latency is the whole sequence.",
        "- **baseline**: bare Starlette under the same uvicorn; the upload streams to a file "
        "while hashing and fsyncs it, the read answers a fixed JSON document from memory.",
        "- **lost**: uploads answered 201 but not found (or found with another hash) when the "
        "wedding is listed afterwards; must be 0. **errors**: any non-2xx or transport error.",
        END_MARK,
    ]
    return "\n".join(lines)


def _describe_machine() -> str:
    return (
        f"{os.cpu_count()} CPU cores; {platform.system()} {platform.machine()}; "
        f"Python {platform.python_version()}; loopback HTTP/1.1, one uvicorn process"
    )


def print_table(results: list[Result]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="HTTP service under load")
    for header in HEADERS:
        table.add_column(header, justify="left" if header == "server" else "right")
    for row in rows(results):
        table.add_row(*row)
    Console(stderr=True, width=220).print(table)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=200, help="concurrent uploads (200)")
    parser.add_argument("--reads", type=int, default=2000, help="API reads (2,000)")
    parser.add_argument("--megapixels", type=float, default=24.0, help="photo size (24)")
    parser.add_argument("--quick", action="store_true", help="20 uploads of 6 MP, 200 reads")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite catalog only")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.uploads, args.reads, args.megapixels = 20, 200, 6.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO)
    photo = base_photo(args.megapixels)
    photos = [distinct(photo, i) for i in range(args.uploads)]
    targets = [
        Target("baseline (bare Starlette)", baseline=True),
        Target("trousseau, SQLite"),
        Target("trousseau tus (4 MB chunks), SQLite", tus=True),
    ]
    postgres = None if args.no_postgres else _postgres_database()
    if postgres:
        targets.append(Target("trousseau, PostgreSQL", catalog_url=postgres))
    results = []
    try:
        for target in targets:
            results.append(measure(target, photos, args.reads))
    finally:
        if postgres:
            _drop_postgres(postgres)
    print_table(results)
    failed = [r for r in results if r.uploads.errors or r.reads.errors or r.lost or r.wrong_hash]
    for r in failed:
        for error in (r.uploads.errors + r.reads.errors)[:10]:
            say(f"{r.target.name}: {error}")
    if not args.no_write:
        command = recipe("bench.service", list(sys.argv[1:] if argv is None else argv))
        section = markdown(results, args, len(photos[0]), command)
        write_section(DOCS, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"written to {DOCS.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
