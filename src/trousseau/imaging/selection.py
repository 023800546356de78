"""Choosing the rendering backend from settings: libvips on the CPU, or a GPU when usable."""

from __future__ import annotations

import os

import pillow_heif

from trousseau.errors import SettingsError
from trousseau.imaging.backend import Backend
from trousseau.imaging.vipsconfig import configure_vips
from trousseau.settings import ImagingSettings


def select_backend(settings: ImagingSettings) -> Backend:
    """The backend `settings.backend` asks for; `auto` falls back to the CPU.

    Decoder threads follow `vips_concurrency` too (LibRaw's OpenMP, libheif), so N job
    processes on N cores do not each start a thread per core.
    """
    threads = settings.vips_concurrency or os.cpu_count() or 1
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    pillow_heif.options.DECODE_THREADS = threads
    configure_vips(
        cache_max_mem_mb=settings.vips_cache_mb,
        concurrency=settings.vips_concurrency or None,
    )
    from trousseau.imaging.vips import VipsBackend

    if settings.backend == "gpu":
        raise SettingsError(
            "imaging.backend is 'gpu' but no GPU backend is installed here: "
            "install trousseau[gpu] on a machine with a CUDA GPU, or set imaging.backend = auto"
        )
    return VipsBackend(max_pixels=settings.max_pixels, raw_policy=settings.raw_policy)
