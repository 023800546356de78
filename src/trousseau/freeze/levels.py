"""The vocabulary of protection: levels, the reasons a level applies, decisions, intervals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trousseau.freeze.overrides import Override


class Level(IntEnum):
    """How protected a region is at an instant; the highest that applies wins."""

    NORMAL = 0
    """Deploys allowed."""
    HIGH = 1
    """Deploys need an approval."""
    MAXIMUM = 2
    """Deploys denied."""

    @property
    def verdict(self) -> str:
        return {0: "allow", 1: "needs-approval", 2: "deny"}[self.value]


@dataclass(frozen=True, order=True)
class Reason:
    """One rule that applies: its level and what it says ("Saturday 10:00-22:00 (Europe/London)",
    "wedding 42 ceremony 2026-06-13 15:00 Europe/Paris", "freeze: release of 4.0")."""

    level: Level
    text: str


@dataclass(frozen=True)
class Decision:
    """The level at an instant and every reason for it (highest first)."""

    at: datetime
    level: Level
    reasons: tuple[Reason, ...]
    next_allowed: datetime | None = None
    """The first instant from `at` on at which the level is NORMAL (None: not within the
    horizon looked at)."""
    override: Override | None = None
    """The approved, unexpired override that lets this deploy through despite the level."""

    @property
    def verdict(self) -> str:
        """allow, needs-approval or deny: the level's, unless an override allows."""
        return "allow" if self.override is not None else self.level.verdict


@dataclass(frozen=True)
class Interval:
    """`[start, end)` at one level for the same reasons."""

    start: datetime
    end: datetime
    level: Level
    reasons: tuple[Reason, ...]
