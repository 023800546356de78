"""The rendering backend protocol: decode a batch, resize, encode.

Profiles, the cascade planner, jobs and the catalog talk only to this protocol, so a GPU
backend (batched hardware decode, resize and encode) plugs in beside the libvips one without
touching them. Images are the backend's own type (a pyvips.Image on the CPU); the renderer
only passes them back to the backend that made them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from trousseau.errors import ImagingError


@dataclass(frozen=True)
class DecodeRequest:
    """One original to decode, shrunk on load so its long edge is `long_edge`."""

    data: bytes
    fmt: str
    name: str
    long_edge: int


@dataclass(frozen=True)
class BackendImage:
    """A decoded, upright, sRGB image in the backend's own representation."""

    image: Any
    width: int
    height: int
    source_width: int
    source_height: int
    exif: bytes | None
    path: str


class Backend(Protocol):
    """What the renderer needs from a CPU or GPU implementation."""

    name: str

    def source_size(self, data: bytes, *, fmt: str, name: str) -> tuple[int, int]:
        """Upright full size from the headers, to plan the decode."""
        ...

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[BackendImage | ImagingError]:
        """Decode every request; a bad input yields its error in place, not an exception."""
        ...

    def resize(self, image: Any, width: int, height: int, *, cover: bool, crop: str) -> Any:
        """A decoded or resized image scaled to exactly width x height (cropped when cover)."""
        ...

    def size(self, image: Any) -> tuple[int, int]:
        """Width and height of a backend image."""
        ...

    def encode(self, image: Any, profile: Any, *, exif: bytes | None) -> bytes:
        """The image encoded as the profile says, with the metadata its policy allows."""
        ...


class BatchBackend(Backend, Protocol):
    """A backend that renders a whole batch through its own pipeline (the GPU's overlaps
    decode, resize and encode across the batch); `render.render_batch` hands it the batch."""

    def render_many(self, originals: Sequence[Any], profiles: Sequence[Any]) -> list[Any]:
        """One Rendering or ImagingError per original, in order."""
        ...
