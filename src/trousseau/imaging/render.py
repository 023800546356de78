"""Rendering a photo's variants: plan, decode once, cascade, encode — on any backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trousseau.errors import ImagingError
from trousseau.imaging.backend import Backend, BackendImage, DecodeRequest
from trousseau.imaging.cascade import plan
from trousseau.imaging.profiles import Profile


@dataclass(frozen=True)
class Original:
    """An original to render: its bytes, sniffed format and a name for error messages."""

    data: bytes
    fmt: str
    name: str


@dataclass(frozen=True)
class RenderedVariant:
    """One encoded output."""

    profile: str
    format: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Rendering:
    """Every variant of one original, and what the decode learnt about it."""

    variants: tuple[RenderedVariant, ...]
    source_width: int
    source_height: int
    decode_path: str

    @property
    def smallest(self) -> RenderedVariant:
        return min(self.variants, key=lambda v: v.width * v.height)


def render_batch(
    originals: Sequence[Original], profiles: Sequence[Profile], backend: Backend
) -> list[Rendering | ImagingError]:
    """Render each original to every profile; a bad original yields its error in place.

    A backend with a batch pipeline of its own (`render_many`, the GPU's) renders the whole
    batch itself; the others decode the batch, then cascade and encode photo by photo.
    """
    if not profiles:
        raise ValueError("no profile is enabled: enable at least one in the profiles settings")
    render_many = getattr(backend, "render_many", None)
    if render_many is not None:
        rendered: list[Rendering | ImagingError] = render_many(originals, profiles)
        return rendered
    requests = [
        DecodeRequest(
            data=original.data,
            fmt=original.fmt,
            name=original.name,
            long_edge=decode_long_edge(original, profiles, backend),
        )
        for original in originals
    ]
    results: list[Rendering | ImagingError] = []
    for image in backend.decode_batch(requests):
        if isinstance(image, ImagingError):
            results.append(image)
            continue
        try:
            results.append(_cascade(image, profiles, backend))
        except ImagingError as exc:
            results.append(exc)
    return results


def decode_long_edge(original: Original, profiles: Sequence[Profile], backend: Backend) -> int:
    """The long edge to decode at; headers that cannot be read are left for decode to judge."""
    try:
        width, height = backend.source_size(original.data, fmt=original.fmt, name=original.name)
    except ImagingError:
        return max(p.long_edge for p in profiles)
    return plan(width, height, profiles).decode_long_edge


def render(original: Original, profiles: Sequence[Profile], backend: Backend) -> Rendering:
    """Render one original, raising its ImagingError."""
    (result,) = render_batch([original], profiles, backend)
    if isinstance(result, ImagingError):
        raise result
    return result


def _cascade(decoded: BackendImage, profiles: Sequence[Profile], backend: Backend) -> Rendering:
    by_name = {p.name: p for p in profiles}
    steps = plan(decoded.source_width, decoded.source_height, profiles).steps
    images: dict[str | None, Any] = {None: decoded.image}
    outputs: dict[str, RenderedVariant] = {}
    for step in steps:
        profile = by_name[step.profile]
        image = backend.resize(
            images[step.source], step.width, step.height, cover=step.cover, crop=profile.crop
        )
        images[step.profile] = image
        width, height = backend.size(image)
        outputs[profile.name] = RenderedVariant(
            profile=profile.name,
            format=profile.format,
            data=backend.encode(image, profile, exif=decoded.exif),
            width=width,
            height=height,
        )
    return Rendering(
        variants=tuple(outputs[p.name] for p in profiles),
        source_width=decoded.source_width,
        source_height=decoded.source_height,
        decode_path=decoded.path,
    )
