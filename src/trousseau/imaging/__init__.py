"""Decoding every camera format and rendering gallery variants, on the CPU or a GPU."""

from trousseau.imaging.backend import Backend, BackendImage, DecodeRequest
from trousseau.imaging.cascade import Plan, Step, plan
from trousseau.imaging.decode import Decoded, RawPolicy, decode, decode_rgb, source_size
from trousseau.imaging.encode import encode
from trousseau.imaging.fallback import FallbackRenderer, renderer_for
from trousseau.imaging.formats import FORMATS, detect_format, sniff
from trousseau.imaging.metadata import filter_exif
from trousseau.imaging.placeholder import Swatch, dominant_colours, thumbhash
from trousseau.imaging.probe import PhotoInfo, probe
from trousseau.imaging.profiles import (
    DEFAULT_PROFILES,
    MetadataPolicy,
    Profile,
    enabled_profiles,
    load_profiles,
    profile_to_toml,
)
from trousseau.imaging.render import Original, RenderedVariant, Rendering, render, render_batch
from trousseau.imaging.selection import backend_choice, cpu_backend, select_backend
from trousseau.imaging.vipsconfig import configure_vips

__all__ = [
    "DEFAULT_PROFILES",
    "FORMATS",
    "Backend",
    "BackendImage",
    "DecodeRequest",
    "Decoded",
    "FallbackRenderer",
    "MetadataPolicy",
    "Original",
    "PhotoInfo",
    "Plan",
    "Profile",
    "RawPolicy",
    "RenderedVariant",
    "Rendering",
    "Step",
    "Swatch",
    "backend_choice",
    "configure_vips",
    "cpu_backend",
    "decode",
    "decode_rgb",
    "detect_format",
    "dominant_colours",
    "enabled_profiles",
    "encode",
    "filter_exif",
    "load_profiles",
    "plan",
    "probe",
    "profile_to_toml",
    "render",
    "render_batch",
    "renderer_for",
    "select_backend",
    "sniff",
    "source_size",
    "thumbhash",
]
