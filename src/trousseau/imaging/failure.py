"""Turning a libvips failure into one line that names the image and the reason.

libvips reports a failure in three places: the exception's message ("unable to call
thumbnail"), its detail (the error buffer, which also keeps stale text from earlier calls that
succeeded) and warnings sent to the `pyvips` logger (libpng's "IHDR: CRC error" only ever
arrives there). `vips_failures` clears the stale text, collects the warnings and raises
CorruptImage, or ImagingError when this libvips build simply lacks the decoder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pyvips

from trousseau.errors import CorruptImage, ImagingError

_NOISE = re.compile(
    r"^(?:error in tile \d+ x \d+|read gave \d+ warnings?|.*: bad seek to \d+|"
    r"unable to call \w+|)$"
)
_MISSING_DECODER = "has not been built in"
_UNKNOWN_FORMAT = ("not a known file format", "not in a known format")


class _Collector(logging.Handler):
    """Keeps the text of every warning libvips logs while an operation runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def failure_reason(detail: str, warnings: list[str]) -> str:
    """The first informative line of a libvips error buffer, else of its warnings."""
    for text in (detail, "\n".join(warnings)):
        for line in text.splitlines():
            line = line.strip().removeprefix("VIPS:").strip()
            if not _NOISE.match(line):
                return line
    return "libvips gave no reason"


def imaging_error(name: str, reason: str) -> ImagingError:
    """CorruptImage for damaged bytes; plain ImagingError when no decoder here can read them."""
    if _MISSING_DECODER in reason:
        return ImagingError(
            f"{name} needs a decoder this libvips build lacks ({reason}): render it on a "
            "worker whose libvips has it"
        )
    if any(marker in reason for marker in _UNKNOWN_FORMAT):
        return ImagingError(
            f"{name} is in no format this libvips build reads ({reason}): check the original, "
            "or render it where a loader for its format is installed"
        )
    return CorruptImage(f"{name} is damaged or truncated ({reason}): ask for the file again")


@contextmanager
def vips_failures(name: str, *, location: str | None = None) -> Iterator[None]:
    """Run libvips calls, raising a one-line ImagingError naming `name` if any fails.

    `location` (a full path) is replaced by `name` in the reason, so messages stay short.
    """
    collector = _Collector()
    logger = logging.getLogger("pyvips")
    logger.addHandler(collector)
    pyvips.vips_lib.vips_error_clear()
    try:
        yield
    except pyvips.Error as error:
        reason = failure_reason(error.detail or "", collector.messages)
        if location:
            reason = reason.replace(location, name)
        raise imaging_error(name, reason) from error
    finally:
        logger.removeHandler(collector)
