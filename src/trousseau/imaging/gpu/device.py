"""Whether this process can use a GPU, and why not, without importing torch needlessly.

The probe goes from cheapest to dearest and stops at the first missing piece: the extra's
packages (found by `importlib.util.find_spec`, which imports nothing), then the NVIDIA
driver (`cuInit` and `cuDeviceGetCount` through ctypes), and only then torch itself. So
`imaging.backend = auto` on a machine without the extra or without a GPU costs
microseconds and never loads torch into a job process.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

EXTRA_MODULES = ("torch", "torchvision")
NVIMGCODEC_MODULE = "nvidia.nvimgcodec"
INSTALL_HINT = "pip install 'trousseau[gpu]'"


@dataclass(frozen=True)
class GpuProbe:
    """`usable`, and in `detail` the device (when usable) or the reason it is not."""

    usable: bool
    detail: str
    nvimgcodec: bool = False


def probe_gpu() -> GpuProbe:
    """This process's verdict, computed once (the driver does not change under a worker)."""
    return _cached_probe()


@functools.cache
def _cached_probe() -> GpuProbe:
    return probe(
        find_spec=_has_module, driver_devices=driver_device_count, torch_device=_torch_device
    )


def probe(
    *,
    find_spec: Callable[[str], bool],
    driver_devices: Callable[[], tuple[int, str | None]],
    torch_device: Callable[[], tuple[str | None, str | None]],
) -> GpuProbe:
    """The verdict from the three checks, each injected (tests pass doubles).

    `driver_devices` returns (count, error); `torch_device` returns (description, error).
    """
    missing = [name for name in EXTRA_MODULES if not find_spec(name)]
    if missing:
        return GpuProbe(
            False, f"the gpu extra is not installed ({', '.join(missing)} missing): {INSTALL_HINT}"
        )
    count, error = driver_devices()
    if error is not None:
        return GpuProbe(False, error)
    if count < 1:
        return GpuProbe(
            False,
            "the NVIDIA driver reports no CUDA device (check CUDA_VISIBLE_DEVICES and the "
            "container's GPU access)",
        )
    name, error = torch_device()
    if error is not None or name is None:
        return GpuProbe(False, error or "torch sees no CUDA device")
    has_nvimgcodec = find_spec(NVIMGCODEC_MODULE)
    decoder = "nvImageCodec" if has_nvimgcodec else "torchvision nvJPEG (nvImageCodec missing)"
    return GpuProbe(True, f"{name}; decode: {decoder}", nvimgcodec=has_nvimgcodec)


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def driver_device_count() -> tuple[int, str | None]:
    """CUDA devices the driver exposes, asked through libcuda without any CUDA toolkit."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0, "no NVIDIA driver here (libcuda.so.1 cannot be loaded)"
    status = cuda.cuInit(0)
    if status != 0:
        return 0, f"the NVIDIA driver failed to initialise (cuInit error {status})"
    count = ctypes.c_int(0)
    status = cuda.cuDeviceGetCount(ctypes.byref(count))
    if status != 0:
        return 0, f"the NVIDIA driver cannot count devices (cuDeviceGetCount error {status})"
    return count.value, None


def _torch_device() -> tuple[str | None, str | None]:
    try:
        import torch

        if not torch.cuda.is_available():
            return None, f"torch {torch.__version__} cannot use CUDA (a CPU-only build?)"
        name = torch.cuda.get_device_name(0)
        return f"{name} (torch {torch.__version__}, CUDA {torch.version.cuda})", None
    except Exception as exc:  # a broken driver or build: say so, never crash the probe
        return None, f"torch could not open the GPU: {type(exc).__name__}: {exc}"
