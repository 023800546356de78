"""Choosing the rendering backend from settings: libvips on the CPU, or a GPU when usable.

`choose` is the rule (pure: the setting and the GPU probe's verdict in, a choice out);
`backend_choice` asks the probe, which imports nothing from torch unless the gpu extra is
installed and the NVIDIA driver reports a device; `select_backend` builds the backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pillow_heif

from trousseau.errors import SettingsError
from trousseau.imaging.backend import Backend
from trousseau.imaging.gpu.device import GpuProbe, probe_gpu
from trousseau.imaging.vipsconfig import configure_vips
from trousseau.settings import ImagingSettings


@dataclass(frozen=True)
class BackendChoice:
    """Which backend a setting gives here, and why (shown by `trousseau status`).

    `usable` is False only for `backend = gpu` without a usable GPU: selecting it raises.
    """

    setting: str
    name: str
    reason: str
    usable: bool = True

    def describe(self) -> str:
        """One line: "gpu (auto: NVIDIA H200 ...)" or "cpu (auto: no usable GPU: ...)"."""
        state = "" if self.usable else "unusable: "
        return f"{self.name} ({self.setting}: {state}{self.reason})"


def choose(setting: str, probe: GpuProbe) -> BackendChoice:
    """The backend for `imaging.backend = setting` given the GPU probe's verdict."""
    if setting == "cpu":
        return BackendChoice(setting, "cpu", "libvips, as configured")
    if probe.usable:
        return BackendChoice(setting, "gpu", probe.detail)
    if setting == "gpu":
        return BackendChoice(setting, "gpu", probe.detail, usable=False)
    return BackendChoice(setting, "cpu", f"no usable GPU, libvips instead: {probe.detail}")


def backend_choice(settings: ImagingSettings) -> BackendChoice:
    """What `select_backend(settings)` would pick on this machine, without building it."""
    if settings.backend == "cpu":
        return choose("cpu", GpuProbe(False, "not probed"))
    return choose(settings.backend, probe_gpu())


def select_backend(settings: ImagingSettings) -> Backend:
    """The backend `settings.backend` asks for; `auto` falls back to the CPU.

    Decoder threads follow `vips_concurrency` too (LibRaw's OpenMP, libheif), so N job
    processes on N cores do not each start a thread per core. Raises SettingsError for
    `gpu` on a machine where no GPU is usable, saying why.
    """
    threads = settings.vips_concurrency or os.cpu_count() or 1
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    pillow_heif.options.DECODE_THREADS = threads
    configure_vips(
        cache_max_mem_mb=settings.vips_cache_mb,
        concurrency=settings.vips_concurrency or None,
    )
    choice = backend_choice(settings)
    if not choice.usable:
        raise SettingsError(
            f"imaging.backend is 'gpu' but this machine cannot use a GPU: {choice.reason}; "
            "fix that, or set imaging.backend = auto (the CPU when no GPU is usable) or cpu"
        )
    if choice.name == "gpu":
        from trousseau.imaging.gpu.backend import GpuBackend

        return GpuBackend(
            max_pixels=settings.max_pixels,
            raw_policy=settings.raw_policy,
            batch_megapixels=settings.gpu_batch_megapixels,
            cpu_threads=settings.gpu_cpu_threads,
            memory_mb=settings.gpu_memory_mb,
        )
    return cpu_backend(settings)


def cpu_backend(settings: ImagingSettings) -> Backend:
    """The libvips backend: the default, and the fallback of the GPU one."""
    from trousseau.imaging.vips import VipsBackend

    return VipsBackend(max_pixels=settings.max_pixels, raw_policy=settings.raw_policy)
