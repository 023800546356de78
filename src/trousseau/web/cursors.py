"""Cursors for paginated lists: opaque to clients, the last id seen underneath.

Keyset pagination on the id is stable while rows are added (a new photo never shifts a page)
and costs one index range scan per page however deep the client goes.
"""

from __future__ import annotations

import base64
import binascii
import re

from trousseau.web.config import MAX_ID
from trousseau.web.errors import InvalidRequest

_VERSION = "v1:"
_CURSOR = re.compile(r"v1:(0|[1-9][0-9]{0,18})", re.ASCII)
"""One spelling per position: ASCII digits, no sign, no leading zero, at most a BIGINT's 19
(so `int()` never sees the thousands of digits it refuses with a ValueError)."""


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after `last_id`."""
    raw = f"{_VERSION}{last_id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> int:
    """The last id a cursor stands for; InvalidRequest if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    match = _CURSOR.fullmatch(raw)
    if match is None or int(match.group(1)) > MAX_ID:
        raise InvalidRequest(
            "cursor is not one this API returned: pass `next_cursor` from the previous page "
            "unchanged, or omit it for the first page"
        )
    return int(match.group(1))
