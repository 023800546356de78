"""The batch pipeline's plumbing, without torch: pixel-budget chunks and a prefetch thread.

GPU memory is bounded by splitting a batch into chunks whose decoded pixels fit a budget,
and by decoding at most one chunk ahead of the one being resized and encoded: at any time
the GPU holds the chunk in work, the chunk decoded ahead, and the chunk being decoded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_POLL_SECONDS = 0.1


def chunk_by_pixels(pixels: Sequence[int], budget: int) -> list[list[int]]:
    """Consecutive index groups whose pixel sums stay within `budget` (pure).

    Order is kept (the caller sorted by deadline); an image larger than the budget on its
    own gets a chunk of its own rather than being refused.
    """
    if budget < 1:
        raise ValueError(f"pixel budget must be positive, not {budget}")
    chunks: list[list[int]] = []
    current: list[int] = []
    total = 0
    for index, count in enumerate(pixels):
        if current and total + count > budget:
            chunks.append(current)
            current, total = [], 0
        current.append(index)
        total += count
    if current:
        chunks.append(current)
    return chunks


class Prefetch(Generic[T, R]):
    """Runs `work` on each item in a background thread, `depth` items ahead of the consumer.

    Used as a context manager and iterated: yields (item, result) in order. An exception in
    `work` is raised in the consumer at that item; leaving the block early (an exception in
    the consumer) stops the thread after the item it is on.
    """

    def __init__(self, work: Callable[[T], R], items: Sequence[T], *, depth: int = 1) -> None:
        if depth < 1:
            raise ValueError("prefetch depth must be at least 1")
        self._work = work
        self._items = list(items)
        self._queue: queue.Queue[tuple[T, R | None, BaseException | None]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="trousseau-prefetch", daemon=True)

    def __enter__(self) -> Prefetch[T, R]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(_POLL_SECONDS)

    def __iter__(self) -> Iterator[tuple[T, R]]:
        for _ in self._items:
            item, result, error = self._queue.get()
            if error is not None:
                raise error
            yield item, result  # type: ignore[misc]

    def _run(self) -> None:
        for item in self._items:
            if self._stop.is_set():
                return
            try:
                entry: tuple[T, R | None, BaseException | None] = (item, self._work(item), None)
            except BaseException as exc:  # handed to the consumer, raised there
                entry = (item, None, exc)
            while not self._stop.is_set():
                try:
                    self._queue.put(entry, timeout=_POLL_SECONDS)
                    break
                except queue.Full:
                    continue
            if entry[2] is not None:
                return


class Recycler(Generic[T]):
    """Buffers handed back after use, each with the event that says when it is free again.

    nvImageCodec allocates a device image per decoded photo and frees it when the tensor over
    it dies; each of those cudaMalloc/cudaFree pairs synchronises the whole device, so the
    decode of the next chunk and the resize of this one stop waiting for each other only if
    the buffers come back. `take(n)` gives n buffers (with their events, which the decode
    stream waits for before overwriting them) or None when fewer are free: the caller then
    allocates new ones, which join the pool when given back. Thread-safe: the prefetch thread
    takes, the thread that drives the GPU gives back.
    """

    def __init__(self) -> None:
        self._free: list[tuple[T, object | None]] = []
        self._lock = threading.Lock()

    def take(self, count: int) -> list[tuple[T, object | None]] | None:
        with self._lock:
            if count < 1 or len(self._free) < count:
                return None
            taken, self._free = self._free[:count], self._free[count:]
            return taken

    def give(self, buffers: Sequence[T], ready: object | None) -> None:
        with self._lock:
            self._free.extend((buffer, ready) for buffer in buffers)

    def clear(self) -> None:
        with self._lock:
            self._free.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._free)
