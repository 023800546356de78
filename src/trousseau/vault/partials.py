"""Partial writes: the temp files a local put fills before it publishes, named after their writer.

A put that dies midway (SIGKILL, the OOM killer, a crashed container) leaves its temp file
behind, and only its writer could ever finish it. Each temp file's name carries the writer's
identity (PID, start time, boot and PID namespace: `trousseau.processes`), so whoever finds
one can tell at once whether its writer still runs: a dead writer's partial is removed at
once, a live writer's is never touched, and only one whose writer cannot be told (another
host or container sharing the vault, or a name from before writers were recorded) waits for
an age limit.

    put.<pid>.<boot id>.<PID namespace>.<start time>.<random>.part
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trousseau.processes import Liveness, identity_token, token_liveness

PARTIAL_SUFFIX = ".part"
_NAMED = "put."
"""The prefix of a partial whose name carries its writer."""
_ANONYMOUS = "put-"
"""The prefix where this process's identity cannot be read (no /proc), as before."""

_tokens: dict[int, str | None] = {}


def _token() -> str | None:
    pid = os.getpid()
    if pid not in _tokens:
        _tokens[pid] = identity_token(pid)
    return _tokens[pid]


def partial_prefix() -> str:
    """The prefix of this process's next partial file (its identity, read once per PID)."""
    token = _token()
    return f"{_NAMED}{token}." if token else _ANONYMOUS


def is_partial(name: str) -> bool:
    """Whether a file name in the vault's tmp/ is a partial write."""
    return name.endswith(PARTIAL_SUFFIX)


def writer_of(name: str) -> Liveness:
    """Whether the writer a partial's name records still runs (UNKNOWN if none is recorded)."""
    if not name.startswith(_NAMED) or not is_partial(name):
        return Liveness.UNKNOWN
    token, _, _random = name[len(_NAMED) : -len(PARTIAL_SUFFIX)].rpartition(".")
    return token_liveness(token)


@dataclass(frozen=True, slots=True)
class PartialWrite:
    """A partial write found in a vault: where, how large, when last written, and its writer."""

    path: Path
    size: int
    modified: datetime
    writer: Liveness
    """ALIVE: still being written. GONE: its writer died, nothing will finish it. UNKNOWN:
    another host's or container's, or unnamed; removed by age."""
