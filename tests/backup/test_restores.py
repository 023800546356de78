"""The names listed beside a restore to a folder (`names.tsv`): one line a blob, whatever the
name holds (the restore itself: tests/backup/test_runs.py and tests/cli/test_backup.py)."""

from __future__ import annotations

import pytest

from trousseau.backup.restores import tsv_field


def _unescape(field: str) -> str:
    out, chars = [], iter(field)
    for char in chars:
        out.append(
            {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[next(chars)] if char == "\\" else char
        )
    return "".join(out)


@pytest.mark.parametrize(
    "name",
    ["IMG_0001.JPG", "IMG\n0001\tfinal.jpg", "a\\tb.jpg", "line\r\n.jpg", "\\", "été.jpg"],
)
def test_a_name_stays_one_field_on_one_line_and_reads_back(name: str) -> None:
    field = tsv_field(name)
    assert "\t" not in field and "\n" not in field and "\r" not in field
    assert _unescape(field) == name


def test_plain_names_are_written_as_they_are() -> None:
    assert tsv_field("IMG_0001 [edit].JPG") == "IMG_0001 [edit].JPG"
