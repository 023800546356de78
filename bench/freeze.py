"""Deploy protection: how long `freeze check` takes with a busy calendar.

Run `.venv/bin/python -m bench.freeze [--weddings 5000]`. A seeded calendar of weddings over
the next year, spread over the default policy's regions (ceremonies at 13:00-18:00 local),
then `decide` (the work of `trousseau freeze check`: the level, every reason and the next
allowed instant over a one-year horizon) at random instants, for one region and for all of
them, and a one-year `timeline` of one region. Issue 15's floor: a check in under 100 ms of
its own work with 5,000 weddings. The peer is the oracle a test writes in a few lines:
evaluating every minute of the year with it is what the timeline replaces.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.freeze")

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.harness import DOCS, recipe, say, write_section
from trousseau.freeze import CalendarWedding, Evaluator, decide, load_policy

START = "<!-- bench:freeze:start -->"
END = "<!-- bench:freeze:end -->"


def calendar(count: int, seed: int, first: datetime) -> list[CalendarWedding]:
    policy = load_policy()
    rng = random.Random(seed)
    regions = sorted(policy.regions)
    weddings = []
    for i in range(count):
        region = rng.choice(regions)
        zone = ZoneInfo(policy.regions[region])
        day = (first + timedelta(days=rng.randrange(365))).astimezone(zone).date()
        local = datetime(day.year, day.month, day.day, rng.randint(13, 18), 0, tzinfo=zone)
        weddings.append(CalendarWedding(f"w{i}", local, region))
    return weddings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--weddings", type=int, default=5000)
    parser.add_argument("--checks", type=int, default=40)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    policy = load_policy().with_weddings(calendar(args.weddings, 1, first))
    rng = random.Random(2)
    instants = [first + timedelta(seconds=rng.randrange(300 * 86400)) for _ in range(args.checks)]
    rows = []
    for label, region in (("one region (uk)", "uk"), ("all regions", None)):
        say(f"decide, {label}")
        times = []
        for at in instants:
            fresh = policy.with_weddings(policy.weddings)  # a new policy: nothing cached
            started = time.perf_counter()
            decide(fresh, at, region=region, environment="production", service="api")
            times.append(time.perf_counter() - started)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        rows.append((f"check, {label}", statistics.median(times) * 1000, p95 * 1000))
    started = time.perf_counter()
    pieces = Evaluator(policy, "uk").timeline(first, first + timedelta(days=365))
    timeline_ms = (time.perf_counter() - started) * 1000
    rows.append((f"timeline, uk, one year ({len(pieces)} intervals)", timeline_ms, timeline_ms))
    lines = [
        START,
        f"Recipe: `{recipe('bench.freeze', sys.argv[1:])}`; {args.weddings:,} weddings over a "
        f"year in {len(policy.regions)} regions, {args.checks} random instants; one process. "
        "Floor (issue 15): a check under 100 ms of its own work.",
        "",
        "| question | median ms | p95 ms |",
        "|---|---|---|",
        *(f"| {name} | {median:.1f} | {p95:.1f} |" for name, median, p95 in rows),
        END,
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_docs:
        write_section(DOCS, text, start=START, end=END, heading="## Deploy protection")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
