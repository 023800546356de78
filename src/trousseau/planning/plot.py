"""A picture of the busiest day of a simulated month: photos arriving, each policy's pods, and
the least deadline slack in its queue (matplotlib, drawn to a PNG file; the one part of
planning that writes, kept apart from the pure core)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import numpy as np

from trousseau.errors import InvalidValue
from trousseau.planning.compare import Comparison


def busiest_day(result: Comparison) -> int:
    """The index (days from the grid's start) of the day with the most arrivals."""
    per_day = int(86400 // result.arrivals.tick)
    counts = result.arrivals.counts.sum(axis=0)
    days = len(counts) // per_day or 1
    totals = [counts[d * per_day : (d + 1) * per_day].sum() for d in range(days)]
    return int(np.argmax(totals))


def plot_busiest_day(result: Comparison, path: Path) -> Path:
    """Draw the busiest day to `path` (PNG); InvalidValue when matplotlib is missing or no
    policy was traced."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InvalidValue(
            "drawing the plot needs matplotlib: pip install 'trousseau[plot]'"
        ) from None
    traced = [o for o in result.outcomes if o.trace is not None]
    if not traced:
        raise InvalidValue("no policy was traced: simulate with trace=True")
    tick = result.arrivals.tick
    day = busiest_day(result)
    lo, hi = day * 86400.0, (day + 1) * 86400.0
    start = result.planned.grid.start + timedelta(days=day)
    fig, (load, pods, slack) = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    per_bin = int(600 // tick)
    counts = result.arrivals.counts.sum(axis=0)
    first, last = int(lo // tick), int(hi // tick)
    binned = counts[first:last].reshape(-1, per_bin).sum(axis=1)
    hours = np.arange(len(binned)) * per_bin * tick / 3600
    load.bar(hours, binned, width=per_bin * tick / 3600, align="edge", color="#8a6d3b")
    load.set_ylabel("photos / 10 min")
    load.set_title(f"busiest day of the simulation: {start:%Y-%m-%d} (UTC)")
    for o in traced:
        assert o.trace is not None
        at = np.array(o.trace.at)
        keep = (at >= lo) & (at < hi)
        x = (at[keep] - lo) / 3600
        pods.step(x, np.array(o.trace.pods)[keep], where="post", label=o.name)
        least = np.array(o.trace.slack)[keep] / 60
        edges = np.arange(0, 24 + 1 / 6, 1 / 6)
        lows = [
            np.nanmin(least[(x >= a) & (x < b)]) if np.isfinite(least[(x >= a) & (x < b)]).any()
            else np.nan
            for a, b in itertools.pairwise(edges)
        ]  # fmt: skip
        slack.step(edges[:-1], lows, where="post", label=o.name, linewidth=0.9)
    pods.set_ylabel("pods")
    pods.legend(loc="upper left")
    slack.axhline(0, color="red", linewidth=0.8)
    slack.set_ylabel("least slack in 10 min (min)")
    slack.set_yscale("symlog", linthresh=30)
    slack.set_xlabel("hour (UTC)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
