"""Loaded by the job-process server alone (multiprocessing's forkserver, through its preload
list: `trousseau.jobserver`), so that it ends without the interpreter's teardown.

A command closes its server as it ends and waits for it (the job processes' CPU is then the
command's); finalising the server's imports took 0.1-0.15 s of every `work --until-idle`,
measured. The server holds nothing to write: its job processes have ended by then. The
command marks the server's environment (`SERVER_MARK`) so that importing this module
anywhere else does nothing.
"""

from __future__ import annotations

import atexit
import os

from trousseau.jobserver import SERVER_MARK
from trousseau.processes import exit_now

__all__ = ["SERVER_MARK"]

if os.environ.pop(SERVER_MARK, None) == "1":
    atexit.register(exit_now, 0)
