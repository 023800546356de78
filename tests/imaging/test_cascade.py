"""The cascade planner: one decode at the largest needed size, each variant from the nearest."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from trousseau.imaging.cascade import plan


@dataclass(frozen=True)
class P:
    name: str
    long_edge: int
    fit: str = "contain"
    aspect: tuple[int, int] | None = None

    def target_size(self, width: int, height: int) -> tuple[int, int]:
        if self.fit == "cover":
            a, b = self.aspect
            w = min(self.long_edge, width)
            h = round(w * b / a)
            if h > height:
                h = height
                w = round(h * a / b)
            return w, h
        scale = min(1.0, self.long_edge / max(width, height))
        return max(1, round(width * scale)), max(1, round(height * scale))


DEFAULTS = [P("thumb", 400), P("portrait", 3000), P("social", 1080), P("reception", 2048)]


def test_24mp_landscape_decodes_once_at_3000_and_cascades():
    p = plan(6000, 4000, DEFAULTS)
    assert p.decode_long_edge == 3000
    assert [(s.profile, s.width, s.height, s.source) for s in p.steps] == [
        ("portrait", 3000, 2000, None),
        ("reception", 2048, 1365, "portrait"),
        ("social", 1080, 720, "reception"),
        ("thumb", 400, 267, "social"),
    ]


def test_portrait_orientation():
    p = plan(4000, 6000, DEFAULTS)
    assert p.steps[0].width == 2000 and p.steps[0].height == 3000


def test_small_source_is_never_upscaled():
    p = plan(1600, 1200, DEFAULTS)
    assert p.decode_long_edge == 1600
    sizes = {s.profile: (s.width, s.height) for s in p.steps}
    assert sizes["portrait"] == (1600, 1200) and sizes["reception"] == (1600, 1200)
    assert sizes["social"] == (1080, 810)


def test_square_cover_thumb_takes_the_smallest_source_that_covers_it():
    profiles = [P("portrait", 3000), P("social", 1080), P("square", 400, "cover", (1, 1))]
    p = plan(6000, 4000, profiles)
    square = next(s for s in p.steps if s.profile == "square")
    assert (square.width, square.height, square.cover) == (400, 400, True)
    assert square.source == "social"  # 1080x720 still covers 600x400


def test_cover_needing_more_pixels_than_contain_variants_drives_the_decode():
    profiles = [P("small", 300), P("banner", 1200, "cover", (3, 1))]
    p = plan(6000, 4000, profiles)
    assert p.decode_long_edge == 1200
    assert [(s.profile, s.source) for s in p.steps] == [("banner", None), ("small", None)]


def test_invalid_inputs():
    with pytest.raises(ValueError):
        plan(0, 10, DEFAULTS)
    with pytest.raises(ValueError):
        plan(10, 10, [])
