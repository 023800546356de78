"""Telling a GPU failure (out of memory, driver error) from a bad photo, without torch.

A bad photo is an ImagingError and fails its own job; a GPU failure says nothing about the
photos, so the batch is rendered again on the CPU. Exceptions are recognised by type name
and message, so this module never imports torch to classify them.
"""

from __future__ import annotations

from trousseau.errors import TrousseauError

_GPU_WORDS = ("cuda", "cublas", "cudnn", "nvjpeg", "nvimgcodec", "device-side assert", "gpu")
# nvImageCodec's Python module reports failures by number: cudaErrorMemoryAllocation (2) from
# its own buffer allocation, NVIMGCODEC_STATUS_ALLOCATOR_FAILURE (5) from the library
_NVIMGCODEC_OOM = ("cuda runtime failure: '#2'", "nvimagecodec failure: '#5'")


class GpuFailure(TrousseauError):
    """The GPU could not render a batch; its photos are fine and go to the CPU backend."""

    def __init__(self, message: str, *, out_of_memory: bool = False) -> None:
        super().__init__(message)
        self.out_of_memory = out_of_memory


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA out of memory: transient, the next (or a smaller) batch may fit."""
    if isinstance(exc, GpuFailure):
        return exc.out_of_memory
    text = str(exc).lower()
    if any(code in text for code in _NVIMGCODEC_OOM):
        return True
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in text


def is_gpu_failure(exc: BaseException) -> bool:
    """Whether `exc` came from the GPU stack rather than from the photo being rendered."""
    if isinstance(exc, GpuFailure):
        return True
    if not isinstance(exc, RuntimeError | MemoryError | OSError):
        return False
    if type(exc).__name__ in ("OutOfMemoryError", "AcceleratorError", "CudaError"):
        return True
    text = str(exc).lower()
    return any(word in text for word in _GPU_WORDS)


def describe_gpu_failure(exc: BaseException) -> str:
    """One line: what failed, without a multi-line CUDA traceback."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__
