"""Job kinds: a name mapped to the function that runs it.

Kinds are registered by import path ("package.module:function") so that a worker process
imports only what it runs, and later packages (variants, analysis, backup) add kinds
without touching the queue.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trousseau.errors import UnknownJobKind

if TYPE_CHECKING:
    from trousseau.jobs.context import JobContext

Handler = Callable[["JobContext", dict[str, Any]], None]

_KINDS: dict[str, str] = {
    "noop": "trousseau.jobs.builtin:noop",
    "sleep": "trousseau.jobs.builtin:sleep",
    "fail": "trousseau.jobs.builtin:fail",
}
_RESOLVED: dict[str, Handler] = {}


def register(kind: str, target: str) -> None:
    """Make `kind` run the function at `target` ("module:function")."""
    module, sep, name = target.partition(":")
    if not sep or not module or not name:
        raise ValueError(
            f"job kind target must look like 'package.module:function', got {target!r}"
        )
    previous = _KINDS.get(kind)
    if previous is not None and previous != target:
        raise ValueError(f"job kind {kind!r} is already registered to {previous}")
    _KINDS[kind] = target


def kinds() -> dict[str, str]:
    """Every registered kind and its target."""
    return dict(_KINDS)


def resolve(kind: str) -> Handler:
    """The function for `kind`, imported on first use."""
    handler = _RESOLVED.get(kind)
    if handler is not None:
        return handler
    target = _KINDS.get(kind)
    if target is None:
        known = ", ".join(sorted(_KINDS))
        raise UnknownJobKind(
            f"no job kind {kind!r} is registered (known: {known}): "
            "is the module that registers it listed in the worker's kind modules?"
        )
    module, _, name = target.partition(":")
    handler = getattr(importlib.import_module(module), name)
    _RESOLVED[kind] = handler
    return handler
