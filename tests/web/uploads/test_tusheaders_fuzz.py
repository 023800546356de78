"""The tus headers a client sends are outside input: every value is read or refused with a
TrousseauError that names the header, never another exception (a 500).

Pure functions over any text, so hypothesis drives them without a server; the routes that use
them are driven over HTTP by the Schemathesis and hostile runs.
"""

from __future__ import annotations

import base64
import hashlib
import re

from hypothesis import example, given
from hypothesis import strategies as st

from trousseau.errors import ChecksumMismatch, EmptyInput, IngestError, TrousseauError
from trousseau.web.errors import PayloadTooLarge, UnsupportedProtocolVersion
from trousseau.web.uploads.tusheaders import (
    CHUNK_TYPE,
    MAX_METADATA_CHARS,
    TUS_VERSION,
    check_chunk_type,
    check_tus_resumable,
    metadata_name,
    metadata_sha256,
    parse_count,
    parse_length,
    parse_metadata,
    parse_upload_checksum,
)

# What reaches a header through Starlette: latin-1 characters (one a byte), and, to be safe
# for callers that decode otherwise, any text. Odd digits and whitespace are over-weighted.
ODD = "²³¹\u0663\u06f4\u0967\uff11\u2007\u00a0\u3000\t \r\n,=;:+-_./\\\x00\x7f\ufeff"
header_text = st.one_of(
    st.text(),
    st.text(st.characters(max_codepoint=255)),
    st.text(st.sampled_from("0123456789" + ODD), max_size=30),
)
METADATA_KEY = re.compile(r"[!-+\--~]+")


@given(st.one_of(st.none(), header_text))
@example(" 1.0.0\t")
@example("1.0.0\x00")
@example("1.0.0 ")
def test_tus_resumable_is_exactly_one_zero_zero_or_a_412(value: str | None) -> None:
    try:
        check_tus_resumable(value)
    except UnsupportedProtocolVersion as exc:
        assert "Tus-Resumable" in str(exc) or "tus" in str(exc)
        assert value is None or value.strip() != TUS_VERSION
        return
    assert value is not None and value.strip() == TUS_VERSION


@given(header_text)
@example("²")
@example("1²")
@example("\u0663")
@example("+5")
@example("-0")
@example("1_000")
@example("9" * 20)
@example("9223372036854775807")
@example("9223372036854775808")
@example(" 42 ")
@example("4\x002")
def test_a_count_is_ascii_digits_within_a_bigint_or_a_400(value: str) -> None:
    try:
        count = parse_count("Upload-Offset", value)
    except IngestError as exc:
        assert "Upload-Offset" in str(exc)
        return
    assert 0 <= count <= 2**63 - 1
    assert re.fullmatch(r"[0-9]+", value.strip(), re.ASCII)
    assert count == int(value.strip())


@given(st.one_of(st.none(), header_text), st.integers(1, 2**63 - 1), st.booleans())
@example("0", 10, False)
@example("11", 10, False)
@example("99999999999999999999", 10, False)
@example("0\x1f", 10, False)  # str.strip takes \x1f for whitespace, int() does not
def test_a_length_is_within_the_limit_or_a_named_refusal(
    value: str | None, limit: int, deferred: bool
) -> None:
    try:
        length = parse_length(value, limit=limit, defer="1" if deferred else None)
    except (EmptyInput, PayloadTooLarge) as exc:
        assert "Upload-Length" in str(exc) or "bytes" in str(exc)
        return
    except IngestError as exc:
        assert "Upload-Length" in str(exc) or "Upload-Defer-Length" in str(exc)
        return
    assert 1 <= length <= limit


@given(st.one_of(st.none(), header_text))
@example("filename " + "=" * 4)
@example("filename SU1HXzAwMDEuSlBH,filename SU1H")
@example("filename SU1HXzAwMDEuSlBH ,checksum")
@example("fil\u00e9name SU1H")
@example("filename ²")
@example("filename SU1H\x00")
@example(",")
@example("a" * (MAX_METADATA_CHARS + 1))
def test_any_metadata_header_is_pairs_or_a_400(value: str | None) -> None:
    try:
        found = parse_metadata(value)
    except IngestError as exc:
        assert "Upload-Metadata" in str(exc)
        return
    for key, decoded in found.items():
        assert METADATA_KEY.fullmatch(key)
        assert isinstance(decoded, bytes)


metadata_pairs = st.dictionaries(
    st.from_regex(METADATA_KEY, fullmatch=True).filter(lambda k: len(k) < 40),
    st.binary(max_size=64),
    max_size=6,
)


@given(metadata_pairs)
def test_metadata_a_client_encodes_reads_back(pairs: dict[str, bytes]) -> None:
    header = ",".join(
        f"{key} {base64.b64encode(value).decode()}" if value else key
        for key, value in pairs.items()
    )
    if len(header) > MAX_METADATA_CHARS:
        return
    assert parse_metadata(header) == pairs


@given(st.dictionaries(st.sampled_from(["filename", "name", "other"]), st.binary(max_size=300)))
@example({"filename": b"\xff\xfe"})
@example({"filename": b"../../etc/passwd"})
@example({"filename": b".."})
@example({"filename": b"a\x00b.jpg"})
@example({"filename": "\ud800.jpg".encode("utf-8", "surrogatepass")})
@example({"name": b"C:\\DCIM\\IMG_0001.JPG"})
def test_a_metadata_file_name_is_a_safe_name_or_a_400(metadata: dict[str, bytes]) -> None:
    try:
        name = metadata_name(metadata)
    except IngestError as exc:
        assert "Upload-Metadata" in str(exc)
        return
    assert name and name not in (".", "..")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert len(name.encode("utf-8")) <= 255
    assert not re.search("[\ud800-\udfff]", name)


digest_forms = st.binary(min_size=32, max_size=32).flatmap(
    lambda raw: st.sampled_from(
        [
            raw,
            raw.hex().encode(),
            raw.hex().upper().encode(),
            base64.b64encode(raw),
            b"sha256 " + base64.b64encode(raw),
            b"SHA-256 " + base64.b64encode(raw),
        ]
    ).map(lambda form: (raw, form))
)


@given(digest_forms)
def test_each_announced_sha256_form_reads_as_the_digest(pair: tuple[bytes, bytes]) -> None:
    raw, form = pair
    assert metadata_sha256({"checksum": form}) == raw.hex()
    assert metadata_sha256({"sha256": form, "checksum": form}) == raw.hex()


@given(st.dictionaries(st.sampled_from(["checksum", "sha256"]), st.binary(max_size=80)))
@example({"checksum": b"md5 " + base64.b64encode(b"x" * 16)})
@example({"checksum": b"sha256 " + base64.b64encode(b"x" * 31)})
@example({"checksum": "sha256 ²".encode()})
@example({"checksum": b"\xff" * 64})
def test_any_announced_checksum_is_a_digest_or_a_named_refusal(metadata: dict[str, bytes]) -> None:
    try:
        digest = metadata_sha256(metadata)
    except ChecksumMismatch as exc:
        assert "disagree" in str(exc)
        return
    except IngestError as exc:
        assert "Upload-Metadata" in str(exc)
        return
    assert digest is None or re.fullmatch(r"[0-9a-f]{64}", digest)


@given(st.one_of(st.none(), header_text))
@example("sha256 " + base64.b64encode(hashlib.sha256(b"x").digest()).decode() + "\x00")
@example("sha1 " + base64.b64encode(hashlib.sha1(b"x").digest()).decode())
@example("sha256")
@example("sha256 ²")
@example("SHA256  " + base64.b64encode(b"y" * 32).decode())
def test_any_upload_checksum_is_32_bytes_or_a_400(value: str | None) -> None:
    try:
        digest = parse_upload_checksum(value)
    except IngestError as exc:
        assert "Upload-Checksum" in str(exc)
        return
    assert (digest is None) == (value is None)
    assert digest is None or len(digest) == 32


@given(st.binary(min_size=0, max_size=64))
def test_a_chunk_checksum_a_client_computes_reads_back(chunk: bytes) -> None:
    digest = hashlib.sha256(chunk).digest()
    assert parse_upload_checksum(f"sha256 {base64.b64encode(digest).decode()}") == digest


@given(st.one_of(st.none(), header_text))
@example(CHUNK_TYPE.upper())
@example(CHUNK_TYPE + "; charset=binary")
@example(CHUNK_TYPE + "\x00")
def test_a_chunk_type_is_offset_octet_stream_or_a_415(value: str | None) -> None:
    try:
        check_chunk_type(value)
    except TrousseauError as exc:
        assert CHUNK_TYPE in str(exc)
        return
    assert value is not None
    assert value.split(";", 1)[0].strip().lower() == CHUNK_TYPE


def _request(headers: list[tuple[bytes, bytes]]):
    from starlette.requests import Request

    return Request({"type": "http", "method": "PATCH", "path": "/", "headers": headers})


@given(st.one_of(st.none(), st.binary(max_size=40)), st.booleans())
@example(b"\xc2\xb2", False)
@example(b"99999999999999999999", True)
@example(b"-1", False)
def test_any_content_length_is_a_size_or_unknown(length: bytes | None, chunked: bool) -> None:
    from trousseau.web.uploads.tusheaders import declared_size, has_body

    headers = [] if length is None else [(b"content-length", length)]
    if chunked:
        headers.append((b"transfer-encoding", b"chunked"))
    request = _request(headers)

    size = declared_size(request)
    assert size is None or 0 <= size < 10**19
    assert isinstance(has_body(request), bool)
