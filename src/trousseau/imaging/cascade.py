"""Planning one decode and a cascade of resizes for all of a photo's variants (pure).

Decoding dominates the cost of a variant, so a photo is decoded once, shrunk on load to the
largest size any profile needs, and every smaller variant is resized from the smallest
already-resized image that still has enough pixels for it: 3000 → 2048 → 1080 → 400
instead of four resizes from the decoded original.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Sized(Protocol):
    """What the planner needs from a profile."""

    @property
    def name(self) -> str: ...
    @property
    def long_edge(self) -> int: ...
    @property
    def fit(self) -> str: ...
    @property
    def aspect(self) -> tuple[int, int] | None: ...

    def target_size(self, width: int, height: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Step:
    """Resize `source` (None: the decoded image; else an earlier step's profile) to w x h."""

    profile: str
    width: int
    height: int
    source: str | None
    cover: bool


@dataclass(frozen=True)
class Plan:
    """Decode the original so its long edge is `decode_long_edge`, then run the steps in order."""

    decode_long_edge: int
    steps: tuple[Step, ...]


def needed_scale(profile: Sized, width: int, height: int) -> float:
    """The fraction of the upright source size the profile's output needs (at most 1)."""
    out_w, out_h = profile.target_size(width, height)
    return min(1.0, max(out_w / width, out_h / height))


def plan(width: int, height: int, profiles: Sequence[Sized]) -> Plan:
    """The decode size and resize order for an upright `width` x `height` source."""
    if width < 1 or height < 1:
        raise ValueError(f"source size must be positive, got {width}x{height}")
    if not profiles:
        raise ValueError("at least one profile is needed")
    long_side = max(width, height)
    scales = {p.name: needed_scale(p, width, height) for p in profiles}
    ordered = sorted(profiles, key=lambda p: (-scales[p.name], p.name))
    decode_scale = scales[ordered[0].name]
    decode_long = max(1, min(long_side, math.ceil(long_side * decode_scale)))
    steps: list[Step] = []
    available: list[tuple[str | None, float]] = [(None, decode_long / long_side)]
    for profile in ordered:
        out_w, out_h = profile.target_size(width, height)
        need = scales[profile.name]
        usable = [
            (scale, -position, name)
            for position, (name, scale) in enumerate(available)
            if scale >= need - 1e-9
        ]
        source = min(usable)[2]
        steps.append(Step(profile.name, out_w, out_h, source, profile.fit == "cover"))
        if profile.fit == "contain":
            available.append((profile.name, min(out_w / width, out_h / height)))
    return Plan(decode_long_edge=decode_long, steps=tuple(steps))
