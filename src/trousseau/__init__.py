"""trousseau: the media and documents backbone of a wedding business."""

__version__ = "0.1.0"
