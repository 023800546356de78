"""Capacity planning: scaling policies compared on a generated peak-season month.

Run `.venv/bin/python -m bench.planning [--seed 1] [--seconds-per-photo 3 12]`. The month is
`trousseau plan sample`'s: a peak Saturday of 64 weddings, other Saturdays of 30, four a day
otherwise, in six regions (London, Paris, New York, Kolkata, Lagos, Sydney), 2,000-4,000
photos each, the culture mix of issue 16, same-day/next-day/standard promises 35/25/40%.
Photos arrive by the arrival profile in card dumps (bursts), each worker pod takes the
configured seconds per photo (lognormal, CV 0.2), pods start in 60-180 s and fail at 2% an
hour. Every policy runs the same draw of the month. The peer is `reactive`: KEDA's PostgreSQL
trigger on queued and running work with the HPA's default behaviour; the floor is
`clairvoyant`: the plan made on the arrivals that happened, plus a pod start per added pod.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.planning")

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np

from bench.harness import DOCS, recipe, say, write_section
from trousseau.planning import Cluster, compare_policies
from trousseau.planning.sample import peak_month
from trousseau.planning.sources import load_factors
from trousseau.settings import DEFAULT_SLA_CLASSES

START = "<!-- bench:planning:start -->"
END = "<!-- bench:planning:end -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds-per-photo", type=float, nargs="+", default=[3.0, 12.0])
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    weddings = peak_month(date(2027, 6, 1), rng=np.random.default_rng(args.seed))
    start, end = datetime(2027, 6, 1, tzinfo=UTC), datetime(2027, 7, 2, tzinfo=UTC)
    cluster = Cluster(failures_per_hour=0.02, price_per_hour=0.10, spot_price_per_hour=0.03)
    lines = [
        START,
        f"Recipe: `{recipe('bench.planning', sys.argv[1:])}`; {len(weddings)} weddings in June "
        "2027 (64 on the peak Saturday), 6 regions; replicas 5-50, pods start in 60-180 s, "
        "2% fail an hour, spot pods taken back at 5% an hour; on-demand 0.10, spot 0.03 per "
        "worker-hour.",
        "",
        "| s/photo | policy | same-day met | next-day met | standard met | p99 late s | "
        "worker-hours | vs clairvoyant | cost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    checks: list[str] = []
    for spp in args.seconds_per_photo:
        factors = replace(load_factors(), seconds_per_photo=spp)
        say(f"simulating the month at {spp:g} s per photo")
        began = time.perf_counter()
        result = compare_policies(
            weddings, factors, DEFAULT_SLA_CLASSES, start, end, seed=args.seed, cluster=cluster
        )
        say(f"  {time.perf_counter() - began:.0f} s; {sum(result.photos.values()):,} photos, "
            f"{result.work_hours:,.0f} worker-hours of work")  # fmt: skip
        by_name = {o.name: o for o in result.outcomes}
        floor = by_name["clairvoyant"].worker_hours
        for o in result.outcomes:
            lines.append(
                f"| {spp:g} | {o.name} | {o.met['same-day']:.4%} | {o.met['next-day']:.4%} | "
                f"{o.met['standard']:.4%} | {o.p99_lateness_s:.0f} | {o.worker_hours:,.0f} | "
                f"{o.worker_hours / floor:.2f}x | {o.cost:,.2f} |"
            )
        p, r = by_name["predictive"], by_name["reactive"]
        spot = by_name.get("predictive+spot")
        checks += [
            _check(f"{spp:g} s: predictive same-day met >= 99.9%", p.met["same-day"] >= 0.999,
                   f"{p.met['same-day']:.4%}"),
            _check(f"{spp:g} s: predictive next-day all met", p.misses["next-day"] == 0,
                   f"{p.misses['next-day']} missed"),
            _check(f"{spp:g} s: same-day misses 10x fewer than reactive (or none)",
                   p.misses["same-day"] * 10 <= r.misses["same-day"] or p.misses["same-day"] == 0,
                   f"predictive {p.misses['same-day']}, reactive {r.misses['same-day']}"),
            _check(f"{spp:g} s: worker-hours at most 1.25x clairvoyant",
                   p.worker_hours <= 1.25 * floor, f"{p.worker_hours / floor:.2f}x"),
        ]  # fmt: skip
        if spot is not None:
            saved = 1 - spot.cost / p.cost
            checks.append(
                _check(
                    f"{spp:g} s: spot for standard work costs >= 50% less, no extra misses",
                    saved >= 0.5 and sum(spot.misses.values()) <= sum(p.misses.values()),
                    f"{saved:.0%} less, {spot.spot_hours:,.0f} spot hours",
                )
            )
    lines += ["", *checks, END]
    text = "\n".join(lines)
    print(text)
    if not args.no_docs:
        write_section(DOCS, text, start=START, end=END, heading="## Capacity planning")
    return 0


def _check(name: str, ok: bool, detail: str) -> str:
    return f"- {'PASS' if ok else 'MISS'}: {name} ({detail})"


if __name__ == "__main__":
    raise SystemExit(main())
