"""A photo's recorded name comes back in download headers: any name a client or a card gave
makes a Content-Disposition every HTTP stack sends, and that names the file as it was."""

from __future__ import annotations

import re
from urllib.parse import unquote

from hypothesis import example, given
from hypothesis import strategies as st

from trousseau.errors import IngestError
from trousseau.web.headers import header_text
from trousseau.web.uploads.single import original_name
from trousseau.web.variants import content_disposition, download_name


@given(st.text(), st.sampled_from(["social", "gallery", "thumb", "x.y"]), st.text(max_size=8))
@example("IMG_0001.CR3", "social", "webp")
@example('a"b\\c\r\nSet-Cookie: x=1.jpg', "social", "jpeg")
@example("\u202eGPJ.exe", "social", "jpeg")
@example(".jpg", "social", "jpeg")
@example("no-extension", "social", "avif")
def test_any_recorded_name_makes_a_safe_download_header(name: str, profile: str, fmt: str) -> None:
    try:
        recorded = original_name(header_text(name))
    except IngestError:
        return
    filename = download_name(recorded, profile, fmt)
    header = content_disposition(filename)

    header.encode("latin-1")  # what an HTTP stack can send
    assert not re.search(r"[\x00-\x1f\x7f]", header)
    fallback = re.fullmatch(r'inline; filename="([^"\\]*)"; filename\*=UTF-8\'\'(\S*)', header)
    assert fallback is not None, header
    assert unquote(fallback.group(2), errors="strict") == filename
    assert f"-{profile}." in filename
