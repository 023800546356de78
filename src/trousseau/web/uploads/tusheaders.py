"""The tus 1.0.0 protocol's headers: parsed and checked as plain values, answered as a dict.

Pure functions (no I/O beyond reading a request's headers), so every malformed header a
client can send is tested without a server; `tus` beside it holds the routes that use them.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from email.utils import format_datetime

from fastapi import Request

from trousseau.catalog import ResumableUpload
from trousseau.errors import ChecksumMismatch, EmptyInput, IngestError, UnsupportedFormat
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import PayloadTooLarge, UnsupportedProtocolVersion
from trousseau.web.uploads.single import original_name

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,checksum,expiration,termination"
CHECKSUM_ALGORITHMS = "sha256"
CHUNK_TYPE = "application/offset+octet-stream"
MAX_METADATA_CHARS = 4096
RAW_SHA256_BYTES = 32

_DIGITS = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[!-+\--~]+")
"""A metadata key: printable ASCII without space or comma."""
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def check_tus_resumable(value: str | None) -> None:
    """UnsupportedProtocolVersion (412) unless the request speaks tus 1.0.0."""
    if value is None:
        raise UnsupportedProtocolVersion(
            f"send `Tus-Resumable: {TUS_VERSION}` with every resumable-upload request"
        )
    if value.strip() != TUS_VERSION:
        raise UnsupportedProtocolVersion(
            f"tus version {value.strip()[:20]!r} is not served: this server speaks tus "
            f"{TUS_VERSION} (Tus-Version)"
        )


def parse_count(header: str, value: str | None) -> int:
    """A non-negative byte count from a header; IngestError (400) if absent or malformed."""
    if value is None:
        raise IngestError(f"send the {header} header (a byte count)")
    digits = value.strip(" \t")  # a header's optional whitespace is spaces and tabs only
    if not _DIGITS.fullmatch(digits) or int(digits) > 2**63 - 1:
        raise IngestError(f"{header} must be a non-negative whole number of bytes, not {value!r}")
    return int(digits)


def parse_length(value: str | None, *, limit: int, defer: str | None = None) -> int:
    """The announced file size: 400 if malformed, EmptyInput for 0, PayloadTooLarge past limit."""
    if defer is not None and value is None:
        raise IngestError(
            "Upload-Defer-Length is not supported: announce the file's size in Upload-Length"
        )
    length = parse_count("Upload-Length", value)
    if length == 0:
        raise EmptyInput("Upload-Length is 0: a photo has bytes; send the file's size")
    if length > limit:
        raise PayloadTooLarge(
            f"the upload announces {length} bytes, more than the {limit}-byte limit "
            "(Tus-Max-Size): nothing was stored; the server's web.max_upload_bytes sets the limit"
        )
    return length


def parse_metadata(value: str | None) -> dict[str, bytes]:
    """Upload-Metadata as {key: decoded value}; IngestError (400) when malformed.

    The header is comma-separated pairs `key base64value` (the value may be absent); keys are
    printable ASCII without spaces or commas, and unique.
    """
    if value is None or not value.strip():
        return {}
    if len(value) > MAX_METADATA_CHARS:
        raise IngestError(
            f"Upload-Metadata is {len(value)} characters, more than {MAX_METADATA_CHARS}: "
            "send only the filename (and checksum)"
        )
    found: dict[str, bytes] = {}
    for pair in value.split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not _KEY.fullmatch(key) or " " in encoded.strip():
            raise IngestError(
                f"Upload-Metadata pair {pair.strip()[:60]!r} is malformed: send comma-separated "
                "`key base64value` pairs, e.g. `filename SU1HXzAwMDEuSlBH`"
            )
        if key in found:
            raise IngestError(f"Upload-Metadata names {key!r} twice: send each key once")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise IngestError(
                f"Upload-Metadata value of {key!r} is not base64: encode each value in base64"
            ) from None
    return found


def metadata_name(metadata: dict[str, bytes]) -> str:
    """The file name to record, from the `filename` (or `name`) metadata, made safe."""
    raw = metadata.get("filename") or metadata.get("name")
    if not raw:
        raise IngestError(
            "send the photo's file name in Upload-Metadata: `filename <base64 of the name>`"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError("the filename in Upload-Metadata must be UTF-8 (then base64)") from None
    try:
        return original_name(text)
    except IngestError:
        raise IngestError(
            f"the filename {text[:100]!r} in Upload-Metadata names no file: "
            "send a name like IMG_0001.JPG"
        ) from None


def metadata_sha256(metadata: dict[str, bytes]) -> str | None:
    """The whole file's SHA-256 (hex) from the `checksum` or `sha256` metadata, if announced.

    Understood forms (each base64-encoded once more as every tus metadata value is): the 64
    hex characters, `sha256 <base64>`, the base64 of the 32 bytes, or the 32 bytes themselves.
    Their lengths differ (64, 51, 44, 32), so no value can be read two ways.
    """
    found: set[str] = set()
    for key in ("checksum", "sha256"):
        raw = metadata.get(key)
        if not raw:
            continue
        if len(raw) == RAW_SHA256_BYTES:
            found.add(raw.hex())
            continue
        text = raw.decode("ascii", errors="replace").strip()
        algorithm, _, encoded = text.rpartition(" ")
        if _HEX_SHA256.fullmatch(text):
            found.add(text.lower())
        elif algorithm.lower() in ("", "sha256", "sha-256"):
            found.add(_decode_digest(f"the {key} in Upload-Metadata", encoded).hex())
        else:
            raise IngestError(
                f"the {key} in Upload-Metadata uses {algorithm[:20]!r}: send the file's sha256"
            )
    if len(found) > 1:
        raise ChecksumMismatch(
            "the checksum and sha256 in Upload-Metadata disagree: send one SHA-256; "
            "nothing was stored"
        )
    return found.pop() if found else None


def parse_upload_checksum(value: str | None) -> bytes | None:
    """The chunk's SHA-256 (raw) from `Upload-Checksum: sha256 <base64>`; 400 if malformed."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm.lower() != CHECKSUM_ALGORITHMS:
        raise IngestError(
            f"Upload-Checksum algorithm {algorithm[:20]!r} is not supported: use "
            f"{CHECKSUM_ALGORITHMS} (Tus-Checksum-Algorithm)"
        )
    return _decode_digest("Upload-Checksum", encoded.strip())


def _decode_digest(where: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise IngestError(f"{where} must be the base64 of the 32-byte SHA-256")
    return raw


def check_chunk_type(value: str | None) -> None:
    """UnsupportedFormat (415) unless the body is declared `application/offset+octet-stream`."""
    media = (value or "").split(";", 1)[0].strip().lower()
    if media != CHUNK_TYPE:
        raise UnsupportedFormat(
            f"Content-Type {media or 'none'!r} is not accepted for a chunk: send the bytes "
            f"with Content-Type {CHUNK_TYPE}"
        )


def declared_size(request: Request) -> int | None:
    """The request's Content-Length, None when absent (chunked) or unreadable."""
    value = request.headers.get("content-length")
    return int(value) if value is not None and _DIGITS.fullmatch(value) else None


def has_body(request: Request) -> bool:
    """Whether the request announces a body (a non-zero Content-Length, or chunked)."""
    size = declared_size(request)
    return bool(size) or (size is None and "transfer-encoding" in request.headers)


def http_date(instant: datetime) -> str:
    """An instant as an RFC 7231 HTTP-date (`Sat, 13 Jun 2026 15:00:00 GMT`)."""
    return format_datetime(instant.replace(microsecond=0), usegmt=True)


def photo_location(photo_id: int) -> str:
    return f"{API_PREFIX}/photos/{photo_id}"


def upload_location(upload_id: str) -> str:
    return f"{API_PREFIX}/uploads/{upload_id}"


def state_headers(record: ResumableUpload, offset: int) -> dict[str, str]:
    """What HEAD, PATCH and POST tell about an upload: offset, length, expiry, the photo."""
    headers = {
        "Upload-Offset": str(offset),
        "Upload-Length": str(record.length),
        "Upload-Expires": http_date(record.expires_at),
        "Cache-Control": "no-store",
    }
    if record.metadata:
        headers["Upload-Metadata"] = record.metadata
    if record.photo_id is not None:
        headers["X-Photo-Id"] = str(record.photo_id)
        headers["X-Photo-Location"] = photo_location(record.photo_id)
    return headers
