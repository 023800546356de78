"""Header values as the client meant them, whatever bytes its library put on the wire.

HTTP headers are bytes. Starlette hands them over decoded as latin-1 (RFC 9110 calls bytes
above 0x7F obs-text and names no charset), so a file name that curl, requests or a camera
app sends as raw UTF-8 ("mariée.jpg") arrives as "mariÃ©e.jpg" and would be recorded so.
"""

from __future__ import annotations


def header_text(value: str) -> str:
    """`value` read back as UTF-8 when its bytes are UTF-8, as it came otherwise.

    Pure and total: it never raises. Bytes that form valid UTF-8 are taken as UTF-8, the
    charset every current client uses; a latin-1 text with accents (a lone 0xE9 for "é") is
    practically never valid UTF-8, so it stays latin-1, which is what it then was.
    """
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:  # characters past U+00FF (not from the wire), or not UTF-8
        return value
