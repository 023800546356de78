"""A restore drill on a 2,000-photo vault: RTO and RPO against the product's targets.

`python -m bench.drill [--photos 2000] [--weddings 4] [--megapixels 2]`. It generates the
photos (seeded, `trousseau demo`'s scenes; cached under .bench/drill-<N>-<MP>mp/), ingests
them as same-day weddings with `trousseau ingest --work` into a fresh data directory,
backs the vault and catalog up (`backup init`, `backup run`), ingests one more photo while
`backup run --follow` runs (so the drill's RPO is that of a continuously backed-up system),
then runs `trousseau dr drill` over every wedding (the whole vault restored, from the
catalog to the last blob, every hash verified). It reports the drill's RTO per stage and
its RPO against the targets (RTO under 5 minutes, RPO under 1 second for originals) and
writes them between the `bench:drill` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.drill")

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.harness import DOCS, REPO, recipe, say, write_section

START, END = "<!-- bench:drill:start -->", "<!-- bench:drill:end -->"
SEED = 1919
WHEN = dt.datetime(2027, 6, 19, 14, tzinfo=dt.UTC)
RTO_TARGET = 300.0
RPO_TARGET = 1.0


def _photo(args: tuple[Path, int, float]) -> None:
    from trousseau.demo.samples import generate_photo

    folder, index, megapixels = args
    path = folder / f"IMG_{index:05d}.JPG"
    if not path.exists():
        path.write_bytes(generate_photo(index, seed=SEED, megapixels=megapixels, when=WHEN))


def cards(photos: int, weddings: int, megapixels: float) -> list[Path]:
    from concurrent.futures import ProcessPoolExecutor

    root = REPO / ".bench" / f"drill-{photos}-{megapixels:g}mp"
    folders = [root / f"wedding-{w}" for w in range(weddings)]
    jobs = []
    for index in range(1, photos + 1):
        folder = folders[index % weddings]
        folder.mkdir(parents=True, exist_ok=True)
        jobs.append((folder, index, megapixels))
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(_photo, jobs, chunksize=16))
    return folders


def failover_line() -> str:
    """The failover test's figures (two real PostgreSQL clusters, the primary SIGKILLed
    mid-ingest, its synchronous replica promoted), run now."""
    import re

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "tests/recovery/test_failover.py",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    found = re.search(r"failover: ([0-9.]+) s .*?; (\d+) upload", done.stdout)
    if done.returncode != 0 or found is None:
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        return f"- MISS: failover test did not pass ({tail[0]})"
    seconds, refused = float(found.group(1)), int(found.group(2))
    return (
        f"- {'PASS' if seconds < 60 else 'MISS'}: failover (tests/recovery/test_failover.py: "
        "primary SIGKILLed mid-ingest, synchronous replica promoted, trousseau repointed): "
        f"0 acknowledged photos lost, {seconds:.2f} s from the kill to the first upload "
        f"acknowledged on the promoted replica with an immediate promote ({refused} upload(s) "
        "refused meanwhile, retried by the client); an orchestrator's failure detection "
        "(CloudNativePG, Patroni: docs/recovery.md) adds its own delay (target < 60 s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--weddings", type=int, default=4)
    parser.add_argument("--megapixels", type=float, default=2.0)
    parser.add_argument("--date")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)

    say(f"preparing {args.photos} photos of {args.megapixels:g} MP ...")
    folders = cards(args.photos, args.weddings, args.megapixels)
    work = Path(tempfile.mkdtemp(prefix="drill-", dir=REPO / ".bench"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
    env.update(
        TROUSSEAU_DATA_DIR=str(work / "data"),
        TROUSSEAU_BACKUP__PASSPHRASE="drill bench passphrase",
        TROUSSEAU_BACKUP__TARGETS=json.dumps([str(work / "repo")]),
    )

    def trousseau(*command: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "trousseau", *command], env=env, capture_output=True, text=True
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"trousseau {' '.join(command)} failed:\n{done.stderr}")
        return done

    try:
        started = time.perf_counter()
        for number, folder in enumerate(folders):
            say(f"ingesting and rendering wedding {number + 1}/{len(folders)} ...")
            trousseau(
                "ingest",
                str(folder),
                "--wedding",
                f"wedding-{number}",
                "--sla",
                "same-day",
                "--work",
            )
        prepared = time.perf_counter() - started
        say("backing up ...")
        trousseau("backup", "init")
        began = time.perf_counter()
        trousseau("backup", "run")
        backup_seconds = time.perf_counter() - began
        say("one more photo while backup run --follow runs ...")
        follow = subprocess.Popen(
            [sys.executable, "-m", "trousseau", "backup", "run", "--follow"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        late = work / "late"
        late.mkdir()
        _photo((late, args.photos + 1, args.megapixels))
        trousseau("ingest", str(late), "--wedding", "wedding-0")
        time.sleep(3)
        say("drill: every wedding restored and verified ...")
        drill = trousseau("dr", "drill", "--weddings", str(args.weddings), "--json", "--seed", "1")
        follow.terminate()
        follow.wait(30)
        report = json.loads(drill.stdout)
        vault_bytes = sum(
            p.stat().st_size for p in (work / "data" / "vault").rglob("*") if p.is_file()
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def seconds(key: str) -> str:
        value = report.get(key)
        return "-" if value is None else f"{value:.1f} s"

    rto_all, rpo = report["rto_all_seconds"], report["rpo_seconds"]
    checks = [
        (report["ok"], f"the drill verified every blob it restored ({report['error'] or 'ok'})"),
        (
            rto_all is not None and rto_all < RTO_TARGET,
            f"RTO, all restored: {seconds('rto_all_seconds')} (target < {RTO_TARGET:.0f} s)",
        ),
        (
            rpo is not None and rpo < RPO_TARGET,
            f"RPO: {seconds('rpo_seconds')} (target < {RPO_TARGET:g} s for originals)",
        ),
    ]
    date = args.date or dt.date.today().isoformat()
    command = recipe("bench.drill", list(sys.argv[1:] if argv is None else argv)).strip()
    mb = vault_bytes / 1e6
    row = [
        f"`trousseau dr drill --weddings {args.weddings}`",
        str(len(report["weddings"])),
        str(report["blobs"]),
        f"{report['bytes'] / 1e6:.0f}",
        seconds("rto_catalog_seconds"),
        seconds("rto_first_gallery_seconds"),
        seconds("rto_all_seconds"),
        seconds("rpo_seconds"),
        "yes" if report["ok"] else "NO",
    ]
    section = "\n".join(
        [
            START,
            f"_Generated by `python -m bench.drill` on {date}; rerun it (or `make bench`) "
            "to refresh._",
            "",
            f"- Command: `{command}`",
            f"- Machine: {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
            "SQLite catalog; the vault, the repository and the scratch restore in local "
            "directories on one disk",
            f"- Vault: {args.photos + 1} photos of {args.megapixels:g} MP in {args.weddings} "
            f"same-day weddings with their four variants each ({mb:.0f} MB; ingested and "
            f"rendered in {prepared:.0f} s); first backup {backup_seconds:.1f} s; one more "
            "photo ingested while `backup run --follow` ran",
            "",
            "| drill | weddings | blobs | MB | catalog usable | first gallery served "
            "| all restored | RPO | passed |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
            "| " + " | ".join(row) + " |",
            "",
            *[f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in checks],
            failover_line(),
            END,
        ]
    )
    print(section)
    if not args.no_docs:
        write_section(
            args.docs, section, start=START, end=END, heading="## Disaster recovery drill"
        )
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
