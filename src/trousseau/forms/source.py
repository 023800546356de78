"""The I/O edge of the forms package: a PDF's bytes read within limits, sniffed, and opened.

Every way a file can fail becomes one FormError naming the file, the cause and what to do;
nothing from pikepdf or the filesystem leaks out as a traceback.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf

from trousseau.errors import FormError, NotAPdf, PdfCorrupt, PdfEncrypted, PdfTooLarge

HEADER_WINDOW = 1024
"""Readers accept a `%PDF-` header anywhere in the first kilobyte (junk before it happens)."""

_STREAM_PREFIX = re.compile(r"^stream <[^>]*>:?\s*")
_LOCATION = re.compile(r"^\(([^)]*)\):\s*(.+)$")
_SIGNATURES = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (a Word or OpenDocument file?)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)


def read_source(source: Path | str | bytes, name: str | None, max_bytes: int) -> tuple[str, bytes]:
    """The display name and bytes of `source` (a path, or bytes named by `name`), refused
    with PdfTooLarge above `max_bytes` before they are read."""
    if isinstance(source, bytes):
        label = name or "document.pdf"
        _check_size(label, len(source), max_bytes)
        return label, source
    path = Path(source)
    label = name or path.name
    try:
        size = path.stat().st_size
        _check_size(label, size, max_bytes)
        return label, path.read_bytes()
    except FileNotFoundError:
        raise FormError(f"{path} does not exist: check the path") from None
    except IsADirectoryError:
        raise FormError(f"{path} is a directory, not a PDF: name a file") from None
    except OSError as exc:
        raise FormError(
            f"{path} cannot be read ({exc.strerror or exc}): check its permissions"
        ) from None


def _check_size(label: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise PdfTooLarge(
            f"{label} is {size:,} bytes, over the limit of {max_bytes:,} (forms.max_bytes): "
            "split the document or raise the limit"
        )


def sniff(label: str, data: bytes) -> None:
    """Refuse, as NotAPdf, bytes that are not a PDF: empty, or without a `%PDF-` header in
    their first kilobyte (naming what they look like when the signature says)."""
    if not data:
        raise NotAPdf(f"{label} is empty (0 bytes): ask the sender for the file again")
    if b"%PDF-" in data[:HEADER_WINDOW]:
        return
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise NotAPdf(
                f"{label} is {what}, not a PDF: export or scan it to PDF, or send the PDF itself"
            )
    looks = "text" if _looks_like_text(data[:HEADER_WINDOW]) else "unknown bytes"
    raise NotAPdf(
        f"{label} is not a PDF (it starts with {looks}, no %PDF- header): send the PDF itself"
    )


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def qpdf_cause(exc: Exception) -> str:
    """pikepdf's message on one line, without the name of the in-memory stream it read, its
    place in the file (qpdf's leading "(offset N): ") moved after it."""
    message = _STREAM_PREFIX.sub("", " ".join(str(exc).split()))
    located = _LOCATION.match(message)
    if located:
        message = f"{located.group(2)} ({located.group(1)})"
    return message or type(exc).__name__


def open_pdf(label: str, data: bytes, password: str = "") -> pikepdf.Pdf:
    """The bytes opened by pikepdf (qpdf repairs what it can: the caller reads its warnings).

    Raises PdfEncrypted when a password is needed (or the one given is wrong), PdfCorrupt
    when qpdf cannot make a document of the bytes.
    """
    return _open(label, lambda: pikepdf.open(io.BytesIO(data), password=password), password)


@contextmanager
def mapped_pdf(label: str, data: bytes, password: str = "") -> Iterator[pikepdf.Pdf]:
    """`open_pdf`, closed on leaving, about three times faster to read a form of many objects:
    the bytes go into an anonymous in-memory file (Linux's memfd) that qpdf reads through a
    memory map, where a BytesIO makes qpdf call back into Python for every small read. Where
    there is no memfd, it is `open_pdf`."""
    create = getattr(os, "memfd_create", None)
    if create is None:
        pdf = open_pdf(label, data, password)
        try:
            yield pdf
        finally:
            pdf.close()
        return
    with os.fdopen(create("trousseau-pdf", getattr(os, "MFD_CLOEXEC", 0)), "w+b") as file:
        file.write(data)
        file.seek(0)
        mapped = pikepdf.AccessMode.mmap
        pdf = _open(
            label, lambda: pikepdf.open(file, password=password, access_mode=mapped), password
        )
        try:
            yield pdf
        finally:
            pdf.close()


def _open(label: str, opener: Callable[[], pikepdf.Pdf], password: str) -> pikepdf.Pdf:
    try:
        return opener()
    except pikepdf.PasswordError:
        if password:
            raise PdfEncrypted(
                f"{label} is encrypted and the password given does not open it: check the "
                "password, or ask the sender for an unprotected copy"
            ) from None
        raise PdfEncrypted(
            f"{label} is encrypted and needs a password to open: give it with "
            "--password-file FILE, or ask the sender for an unprotected copy"
        ) from None
    except (pikepdf.PikepdfError, RuntimeError, ValueError, OverflowError) as exc:
        raise PdfCorrupt(
            f"{label} is damaged beyond repair ({qpdf_cause(exc)}): ask the sender for a new copy"
        ) from None
