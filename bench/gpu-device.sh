#!/usr/bin/env bash
# Issue 20's device check as one prepared run on the GPU machine (bench/README.md, "GPU"):
# install the carried wheels, describe the machine and the backend choice, run the GPU tests,
# then bench.gpu on 64 photos (with diagnostics) and a 2,000-photo wedding. Each step has its
# own time limit and a failing step does not stop the next: a device run is scarce. The
# wedding's inputs are generated in the background while the tests run.
#
# Prepare here: `bash bench/gpu-wheels.sh` (into .whl/) and `bash bench/gpu-device.sh
# --stage-data` (the few real test photos the GPU tests read, into .gpudata/: ../shared does
# not travel). Then run it there from the repository root with `.whl` and `.gpudata` carried;
# logs and results land in $OUT (default .bench/gpu-out): machine.txt, gpu-tests.txt,
# bench.log, benchmarks.md (docs/benchmarks.md with the GPU section rewritten). Settings from
# the environment: CPU_TESTS=0 skips the CPU-side tests, STAGES=1 adds bench.gpu_stages
# (stages.log), WEDDING=0 leaves the wedding out, BENCH_LIMIT caps bench.gpu's seconds.
set -u
cd "$(dirname "$0")/.."

DATA_FILES=(
  color/cmyk_ycck_adobe.jpg color/prophoto_rgb.jpg color/adobe_rgb__canon_xmp.jpg
  color/rgb_16bit.png color/alpha_rgba.png heic/iphone8plus_p3_portrait.heic
  bad/jpeg_truncated_baseline.jpg exif/iphone6_gps.jpg
)
if [ "${1:-}" = "--stage-data" ]; then
  source_dir="${2:-../shared/data}"
  rm -rf .gpudata
  for f in "${DATA_FILES[@]}"; do
    mkdir -p ".gpudata/photos/$(dirname "$f")" && cp "$source_dir/photos/$f" ".gpudata/photos/$f"
  done
  du -sh .gpudata
  exit 0
fi

PYTHON="${PYTHON:-python3}"
SITE="${SITE:-/tmp/site}"
OUT="${OUT:-$PWD/.bench/gpu-out}"
PHOTOS="${PHOTOS:-64}"
WEDDING="${WEDDING:-2000}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
t0=$(date +%s)
step() { echo "== [$(($(date +%s) - t0)) s] $*"; }

step "install the carried wheels into $SITE"
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$SITE" .whl/*.whl 2>&1 | grep -v "^WARNING: Target directory" | tail -3
export PYTHONPATH="$SITE:$PWD/src:$PWD"
[ -d .gpudata ] && export TROUSSEAU_TEST_SHARED_DATA="$PWD/.gpudata"

step "describe"
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  nproc
  timeout 120 "$PYTHON" -c "
import torch, torchvision
print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'torchvision', torchvision.__version__)
from trousseau.imaging.selection import backend_choice
from trousseau.settings import ImagingSettings
print('backend choice:', backend_choice(ImagingSettings()).describe())
from nvidia import nvimgcodec
print('nvImageCodec', nvimgcodec.__version__)
"
} >"$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

step "prepare the inputs in the background"
nice -n 10 timeout 300 "$PYTHON" -c "import bench.gpu as g; g.prepare($PHOTOS, $WEDDING, 200, 12)" \
  >"$OUT/prepare.log" 2>&1 &
prepare=$!

step "GPU tests"
{
  echo "\$ pytest -m gpu tests/imaging/test_gpu.py -v  # $(date -u +%F), $(sed -n 3p "$OUT/machine.txt")"
  timeout 240 "$PYTHON" -m pytest -p no:cacheprovider -m gpu tests/imaging/test_gpu.py -v \
    --timeout 150
  if [ "${CPU_TESTS:-1}" = 1 ]; then
    echo "\$ pytest tests/imaging/test_gpu.py tests/imaging/test_gpu_parts.py -q -m 'not gpu'"
    timeout 200 "$PYTHON" -m pytest -p no:cacheprovider -q -m "not gpu" \
      tests/imaging/test_gpu.py tests/imaging/test_gpu_parts.py --timeout 150
  fi
} 2>&1 | tee "$OUT/gpu-tests.txt" | tail -60

step "waiting for the inputs"
wait "$prepare"
echo "prepare exit status $?"
tail -5 "$OUT/prepare.log"

if [ "${STAGES:-0}" = 1 ]; then
  step "bench.gpu_stages (where the render path's time goes)"
  timeout "${STAGES_LIMIT:-150}" "$PYTHON" -m bench.gpu_stages --photos 32 2>&1 \
    | tee "$OUT/stages.log" | grep -v "^ *$" | tail -80
fi

step "bench.gpu --photos $PHOTOS --wedding $WEDDING --diagnose"
cp docs/benchmarks.md "$OUT/benchmarks.md"
timeout "${BENCH_LIMIT:-330}" "$PYTHON" -m bench.gpu --photos "$PHOTOS" --wedding "$WEDDING" \
  --diagnose --processes "$(nproc)" --docs "$OUT/benchmarks.md" 2>&1 | tee "$OUT/bench.log" | tail -70
step "done"
