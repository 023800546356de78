"""configure_vips bounds libvips' cache and threads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import pyvips

from trousseau.imaging import configure_vips


@pytest.fixture
def restore_vips() -> Iterator[None]:
    memory, threads = pyvips.cache_get_max_mem(), pyvips.concurrency_get()
    yield
    pyvips.cache_set_max_mem(memory)
    pyvips.concurrency_set(threads)


@pytest.mark.usefixtures("restore_vips")
def test_limits_are_applied_and_can_be_changed() -> None:
    configure_vips(cache_max_mem_mb=50, concurrency=1)
    assert (pyvips.cache_get_max_mem(), pyvips.concurrency_get()) == (50 * 1024 * 1024, 1)

    configure_vips(cache_max_mem_mb=20)
    assert (pyvips.cache_get_max_mem(), pyvips.concurrency_get()) == (20 * 1024 * 1024, 1)


@pytest.mark.usefixtures("restore_vips")
@pytest.mark.parametrize(("memory", "threads"), [(-1, None), (10, 0)])
def test_nonsense_limits_are_refused(memory: int, threads: int | None) -> None:
    with pytest.raises(ValueError):
        configure_vips(cache_max_mem_mb=memory, concurrency=threads)


def test_malloc_arenas_are_capped_on_glibc() -> None:
    import sys

    from trousseau.imaging.vipsconfig import limit_malloc_arenas

    assert limit_malloc_arenas(2) is sys.platform.startswith("linux")
