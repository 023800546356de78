"""Keeping libvips inside a worker's memory and CPU share.

libvips caches recent operations and their pixels (by default up to 100 operations and
1 GiB) and starts one thread per core. A worker process renders one photo at a time next to
its siblings, so both are bounded here, once, at start. Loaders marked untrusted (ones that
read formats a photo studio never sends, and that have not been fuzzed) are blocked.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pyvips

_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas, which libvips' worker threads otherwise multiply.

    Each thread that allocates under contention gets its own arena that is rarely given back;
    with libvips that was half of a worker's peak memory (a 50 MP render: 453 MB with the
    defaults, 202 MB with 2 arenas and no operation cache, at the same speed). Returns False
    where there is no glibc (macOS, musl).
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def configure_vips(cache_max_mem_mb: int = 100, concurrency: int | None = None) -> None:
    """Bound libvips' operation cache to `cache_max_mem_mb` and its thread pool to `concurrency`.

    `concurrency=None` keeps libvips' choice (VIPS_CONCURRENCY, else the number of cores).
    Calling it again replaces the earlier limits.
    """
    if cache_max_mem_mb < 0:
        raise ValueError(f"cache_max_mem_mb must be >= 0, not {cache_max_mem_mb}")
    if concurrency is not None and concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, not {concurrency}")
    limit_malloc_arenas()
    pyvips.cache_set_max_mem(cache_max_mem_mb * 1024 * 1024)
    if cache_max_mem_mb == 0:
        pyvips.cache_set_max(0)
    if concurrency is not None:
        pyvips.concurrency_set(concurrency)
    pyvips.block_untrusted_set(True)
