"""Decoding photos and rendering what galleries show: header probes and the core preview."""

from trousseau.imaging.preview import Preview, render_preview
from trousseau.imaging.probe import PhotoInfo, probe
from trousseau.imaging.vipsconfig import configure_vips

__all__ = ["PhotoInfo", "Preview", "configure_vips", "probe", "render_preview"]
