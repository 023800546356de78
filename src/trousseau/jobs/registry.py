"""Job kinds: a name mapped to the function that runs it.

Kinds are registered by import path ("package.module:function") so that a worker process
imports only what it runs, and later packages (variants, analysis, backup) add kinds
without touching the queue.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from trousseau.errors import UnknownJobKind

if TYPE_CHECKING:
    from trousseau.jobs.context import JobContext

Handler = Callable[["JobContext", dict[str, Any]], None]
BatchHandler = Callable[
    [Sequence["JobContext"], Sequence[dict[str, Any]]], list[BaseException | None]
]
"""Runs several jobs of one kind together; returns each job's exception, or None if it ran."""

_KINDS: dict[str, str] = {
    "noop": "trousseau.jobs.builtin:noop",
    "sleep": "trousseau.jobs.builtin:sleep",
    "fail": "trousseau.jobs.builtin:fail",
}
_FOLLOWS: dict[str, str] = {}
"""kind -> the kind after which it runs, about the same subject."""
_WHEN: dict[str, str] = {}
"""kind -> the predicate ("module:function") deciding whether a follow-on is wanted."""
Wanted = Callable[[Any, "JobContext"], bool]
"""(connection, the finishing job's context) -> whether the follow-on is enqueued."""
_RESOLVED: dict[str, Handler] = {}
_BATCH_KINDS: dict[str, str] = {}
_RESOLVED_BATCH: dict[str, BatchHandler] = {}


def _check_target(target: str) -> None:
    module, sep, name = target.partition(":")
    if not sep or not module or not name:
        raise ValueError(
            f"job kind target must look like 'package.module:function', got {target!r}"
        )


def register(
    kind: str, target: str, *, follows: str | None = None, when: str | None = None
) -> None:
    """Make `kind` run the function at `target` ("module:function").

    With `follows`, a job of `kind` is enqueued about the same subject when a job of the
    kind it follows records its work (`enqueue_follow_ons`, in that job's transaction);
    with `when` too, only if that predicate ("module:function", given the connection and the
    finishing job's context) says so: a photo of a wedding that did not opt in to faces gets
    no face job at all.
    """
    _check_target(target)
    if when is not None:
        _check_target(when)
        if follows is None:
            raise ValueError(f"job kind {kind!r}: `when` applies to a follow-on kind only")
        _WHEN[str(kind)] = when
    previous = _KINDS.get(kind)
    if previous is not None and previous != target:
        raise ValueError(f"job kind {kind!r} is already registered to {previous}")
    if follows is not None:
        if follows == kind:
            raise ValueError(f"job kind {kind!r} cannot follow itself")
        before = _FOLLOWS.get(kind)
        if before is not None and before != follows:
            raise ValueError(f"job kind {kind!r} already follows {before!r}")
        _FOLLOWS[kind] = str(follows)
    _KINDS[str(kind)] = target


def unregister(kind: str) -> None:
    """Forget `kind` (tests that register a kind of their own)."""
    for table in (_KINDS, _FOLLOWS, _WHEN, _RESOLVED, _BATCH_KINDS, _RESOLVED_BATCH):
        table.pop(kind, None)


def follow_ons(kind: str) -> list[str]:
    """The kinds that run after `kind` about the same subject, by name."""
    return sorted(k for k, before in _FOLLOWS.items() if before == kind)


def follow_on_wanted(kind: str) -> Wanted | None:
    """The predicate a follow-on `kind` is enqueued under, or None (always)."""
    target = _WHEN.get(kind)
    if target is None:
        return None
    module, _, name = target.partition(":")
    wanted: Wanted = getattr(importlib.import_module(module), name)
    return wanted


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
    loaded: Handler = getattr(importlib.import_module(module), name)
    _RESOLVED[kind] = loaded
    return loaded


def register_batch(kind: str, target: str) -> None:
    """Let a batched worker run many `kind` jobs at once with the function at `target`.

    The kind keeps its one-job handler (`register`) for ordinary workers; the batch handler
    takes the jobs' contexts and payloads and returns one exception or None per job.
    """
    _check_target(target)
    if kind not in _KINDS:
        raise ValueError(f"register job kind {kind!r} before its batch handler")
    previous = _BATCH_KINDS.get(kind)
    if previous is not None and previous != target:
        raise ValueError(f"job kind {kind!r} already has the batch handler {previous}")
    _BATCH_KINDS[kind] = target


def resolve_batch(kind: str) -> BatchHandler | None:
    """The batch handler of `kind`, or None when it has none (jobs then run one by one)."""
    handler = _RESOLVED_BATCH.get(kind)
    if handler is not None:
        return handler
    target = _BATCH_KINDS.get(kind)
    if target is None:
        return None
    module, _, name = target.partition(":")
    loaded: BatchHandler = getattr(importlib.import_module(module), name)
    _RESOLVED_BATCH[kind] = loaded
    return loaded
