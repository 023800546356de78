"""Uploads leave nothing behind on disk: no deleted spool file held open, no stray bytes.

An upload lands in the spool, is probed, stored in the vault and its spool entry removed.
Before, libvips' operation cache kept each probed spool file mapped after its deletion, so
a long-running server held the last 100 uploads twice (a 64 MB volume answered 507 with
29 MB in use).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .conftest import Api

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self")


def held_deleted(folder: Path) -> list[str]:
    """Deleted files under `folder` this process still holds open or mapped."""
    prefix = str(folder)
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix) and target.endswith("(deleted)"):
            found.append(target)
    with open("/proc/self/maps") as maps:
        found += [line.split(maxsplit=5)[-1].strip() for line in maps if prefix in line]
    return found


def disk_use(folder: Path) -> int:
    """Bytes of the regular files under `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_after_many_uploads_disk_use_is_the_vault_and_nothing_is_held(
    api: Api, studio: dict[str, str]
) -> None:
    for seed in range(100):
        response = api.upload(studio, api.jpeg(seed=100 + seed), name=f"IMG_{seed:04d}.JPG")
        assert response.status_code == 201, response.text

    spool = api.settings.data_dir / "uploads"
    vault_root = api.tmp / "vault"
    assert held_deleted(spool) == []
    assert disk_use(spool) == 0
    stored = sum(api.vault.size(sha) for sha in api.blobs())
    assert disk_use(vault_root) == stored
