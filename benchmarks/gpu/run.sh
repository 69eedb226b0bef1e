#!/usr/bin/env bash
# The one-command GPU check, run on the GPU machine from the repository root (benchmarks/gpu/README.md):
# install the carried wheels, then benchmarks/gpu/gpu_check.py writes its figures (JSON + a RESULTS.md section)
# into $OUT (default benchmarks/gpu/out). Budget: 8 minutes; phases that would not fit are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
OUT=${OUT:-benchmarks/gpu/out}
mkdir -p "$OUT"
python3 benchmarks/gpu/gpu_check.py --out "$OUT" --budget "${BUDGET:-470}" "$@" 2>&1 | tee "$OUT/log.txt"
