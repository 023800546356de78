#!/usr/bin/env bash
# Wheels for running the GPU tests and `python -m bench.gpu` on a machine with no package index: the
# GPU image already holds torch, torchvision, numpy, jinja2, typer, rich, httpx, pytest and
# prometheus-client; this fetches the rest of trousseau's runtime for its python3 (3.12,
# manylinux x86_64) into .whl/ (ignored by git, about 59 MiB). Run it here, carry .whl/ there:
#
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
#       --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD/src
#
# then the commands in bench/README.md ("GPU") with python3 in place of .venv-gpu/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON_VERSION="${PYTHON_VERSION:-3.12}"
PIP="${PIP:-.venv/bin/python -m pip}"
out=.whl
rm -rf "$out" && mkdir -p "$out"

# nvidia-nvjpeg: without it nvImageCodec decodes JPEGs on the CPU, silently. pikepdf and
# pypdfium2: ingest reads PDFs too, so importing it needs them. No psycopg:
# the GPU runs use a SQLite catalog, and the carry (with the tree) must stay under 64 MiB.
binary=(
  nvidia-nvimgcodec-cu13 nvidia-nvjpeg pyvips-binary cffi pycparser sqlalchemy greenlet
  alembic mako pydantic pydantic-core pydantic-settings python-dotenv annotated-types
  typing-inspection obstore rawpy pillow-heif fastapi starlette uvicorn pikepdf pypdfium2
)
platforms=()
for tag in manylinux1 manylinux2014 manylinux_2_17 manylinux_2_24 manylinux_2_27 \
           manylinux_2_28 manylinux_2_31 manylinux_2_34 manylinux_2_35; do
  platforms+=(--platform "${tag}_x86_64")
done
$PIP download --quiet --no-deps --only-binary=:all: --python-version "$PYTHON_VERSION" \
  --implementation cp "${platforms[@]}" -d "$out" "${binary[@]}"

# pyvips >= 3 is published as a source distribution only; its wheel is pure Python (it
# loads libvips from pyvips-binary at run time), so build it here.
$PIP wheel --quiet --no-deps -w "$out" "pyvips>=2.2.3"

# nvImageCodec's wheel carries its module for eight Pythons and codecs trousseau never asks it
# for (JPEG 2000, TIFF, OpenCV's): keep the target Python's module and the JPEG, BMP and PNM
# extensions, so the carry (tree and wheels) fits its 64 MiB.
"${PIP% -m pip}" - "$out" "$PYTHON_VERSION" <<'PY'
import pathlib, re, sys, zipfile
out, version = pathlib.Path(sys.argv[1]), sys.argv[2].replace(".", "")
drop = re.compile(
    rf"nvimgcodec_impl\.cpython-(?!{version}-)|extensions/lib(opencv|nvjpeg2k|nvtiff|tiff)_ext"
)
for wheel in out.glob("nvidia_nvimgcodec*.whl"):
    slim = wheel.with_suffix(".slim")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if drop.search(item.filename):
                continue
            data = src.read(item)
            if item.filename.endswith(".dist-info/RECORD"):
                kept = [l for l in data.decode().splitlines() if not drop.search(l)]
                data = ("\n".join(kept) + "\n").encode()
            dst.writestr(item, data)
    slim.replace(wheel)
PY
du -sh "$out"
