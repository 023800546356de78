"""The GPU rendering backend (optional extra `trousseau[gpu]`).

Nothing here imports torch, torchvision or nvImageCodec at import time: `device` probes
for a usable GPU through the driver first, and `backend` (which needs the extra) is only
imported once a GPU backend is actually built.
"""

from trousseau.imaging.gpu.device import GpuProbe, probe_gpu
from trousseau.imaging.gpu.failure import GpuFailure, is_gpu_failure, is_out_of_memory

__all__ = ["GpuFailure", "GpuProbe", "is_gpu_failure", "is_out_of_memory", "probe_gpu"]
