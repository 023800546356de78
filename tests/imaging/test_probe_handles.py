"""probe leaves nothing of the file open: a spool file deleted after probing frees its disk.

libvips caches the operations it runs, and a file loader's cached operation keeps its file
open or mapped. A long-running server probes every upload from the spool and deletes it
next: before, each of the last 100 uploads stayed mapped, deleted, until the process exited
(uploads used twice their size on disk).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from trousseau.errors import ImagingError
from trousseau.imaging import probe

from ..ingest.conftest import make_jpeg
from .exif import tiff_with_subifds

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self")


def held(folder: Path) -> list[str]:
    """Files under `folder` this process still has open or mapped."""
    prefix = str(folder)
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix):
            found.append(f"fd {fd}: {target}")
    with open("/proc/self/maps") as maps:
        found += [
            f"mapped: {line.split(maxsplit=5)[-1].strip()}" for line in maps if prefix in line
        ]
    return found


def test_a_probed_and_deleted_file_is_neither_open_nor_mapped(tmp_path: Path) -> None:
    source = make_jpeg(tmp_path / "source.jpg", seed=7)
    spool = tmp_path / "spool"
    spool.mkdir()
    for index in range(10):
        path = spool / f"IMG_{index:04d}.JPG"
        shutil.copy(source, path)
        assert probe(path).width == 320
        path.unlink()

    assert held(spool) == []


def test_probing_subifds_holds_nothing_either(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    path = tiff_with_subifds(spool / "DSC_0001.NEF", 3)
    probe(path)
    path.unlink()

    assert held(spool) == []


def test_a_failed_probe_holds_nothing(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    path = spool / "IMG_0001.JPG"
    path.write_bytes(make_jpeg(tmp_path / "whole.jpg", seed=3).read_bytes()[:200])
    with pytest.raises(ImagingError):
        probe(path)
    path.unlink()

    assert held(spool) == []
