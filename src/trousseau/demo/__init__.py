"""Demo data: synthetic weddings for `make demo`."""

from trousseau.demo.samples import generate_photo, generate_wedding

__all__ = ["generate_photo", "generate_wedding"]
