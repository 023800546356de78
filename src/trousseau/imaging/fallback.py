"""Rendering on the chosen backend, and on the CPU when the GPU fails.

A GPU failure (CUDA out of memory, a driver error) says nothing about the photos, so the
same batch is rendered again by libvips and no job is lost or failed for it. One log line
says so. Out of memory is transient: the next batch tries the GPU again. Any other GPU
error leaves the CUDA context unusable, so this process renders on the CPU from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from trousseau.errors import ImagingError
from trousseau.imaging.backend import Backend
from trousseau.imaging.gpu.failure import describe_gpu_failure, is_gpu_failure, is_out_of_memory
from trousseau.imaging.profiles import Profile
from trousseau.imaging.render import Original, Rendering, render_batch

log = logging.getLogger("trousseau.imaging")


class FallbackRenderer:
    """`render(originals, profiles)` on `primary`, falling back to `fallback()` on GPU failure."""

    def __init__(self, primary: Backend, fallback: Callable[[], Backend] | None = None) -> None:
        self.primary = primary
        self._fallback_factory = fallback
        self._fallback: Backend | None = None
        self.disabled: str | None = None
        self.fallbacks = 0

    @property
    def backend_name(self) -> str:
        """The backend the next batch will use."""
        return "cpu" if self.disabled else self.primary.name

    def render(
        self, originals: Sequence[Original], profiles: Sequence[Profile]
    ) -> list[Rendering | ImagingError]:
        """One Rendering or ImagingError per original; GPU failures never reach the caller."""
        if self.disabled is None or self._fallback_factory is None:
            try:
                return render_batch(originals, profiles, self.primary)
            except Exception as exc:
                if self._fallback_factory is None or not is_gpu_failure(exc):
                    raise
                self._note(exc, len(originals))
        return render_batch(originals, profiles, self._cpu())

    def _note(self, exc: BaseException, count: int) -> None:
        self.fallbacks += 1
        why = describe_gpu_failure(exc.__cause__ or exc)
        if is_out_of_memory(exc):
            then = "the next batch tries the GPU again"
        else:
            self.disabled = why
            then = "this process stays on the CPU (restart the worker once the GPU is fixed)"
        log.warning(
            "GPU backend failed (%s): rendering these %d photo(s) on the CPU backend instead; %s",
            why,
            count,
            then,
        )

    def _cpu(self) -> Backend:
        if self._fallback is None:
            assert self._fallback_factory is not None
            self._fallback = self._fallback_factory()
        return self._fallback


def renderer_for(backend: Backend, cpu: Callable[[], Backend]) -> FallbackRenderer:
    """A renderer that falls back to `cpu()` when `backend` is not already the CPU one."""
    return FallbackRenderer(backend, None if backend.name == "cpu" else cpu)
