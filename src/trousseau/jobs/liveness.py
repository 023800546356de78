"""Whether a process that left a heartbeat is still running: the fast path of crash recovery.

The identity and liveness logic lives in `trousseau.processes`, below every package, so the
vault can name its partial writes after their writer too; this module keeps the queue's
name for it.
"""

from __future__ import annotations

from trousseau.processes import Liveness, identity, liveness

__all__ = ["Liveness", "identity", "liveness"]
