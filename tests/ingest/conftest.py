from __future__ import annotations

from pathlib import Path

import pytest
import pyvips

from trousseau.vault import open_vault


def make_jpeg(path: Path, seed: int, size: tuple[int, int] = (320, 240)) -> Path:
    """A small real JPEG whose bytes differ per seed."""
    image = pyvips.Image.gaussnoise(*size, mean=128, sigma=40, seed=seed).cast("uchar")
    image = image.bandjoin([image.rot180(), image.flip("horizontal")])
    image.copy(interpretation="srgb").jpegsave(str(path), Q=85)
    return path


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "card"
    (folder / "ceremony").mkdir(parents=True)
    for i in range(3):
        make_jpeg(folder / f"IMG_{i:04d}.JPG", seed=i)
    for i in range(3, 5):
        make_jpeg(folder / "ceremony" / f"IMG_{i:04d}.JPG", seed=i)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return folder


@pytest.fixture
def vault(tmp_path: Path):
    v = open_vault((tmp_path / "vault").as_uri())
    yield v
    v.close()
