#!/usr/bin/env bash
# The one-command GPU check, run on the GPU machine from the repository root (benchmarks/gpu/README.md):
# install the carried wheels, then benchmarks/gpu/gpu_check.py writes its figures (JSON + a RESULTS.md section)
# into $OUT (default benchmarks/gpu/out). Budget: $BUDGET seconds (default 550, for the device call's
# timeout_s=590) counted from this script's start, installation included; steps that would not fit are reported
# as skipped, steps that fail (or are stopped at the budget's end) as failed, and the exit status is then 1.
set -euo pipefail
A2BENCH_GPU_CHECK_T0=$(date +%s.%N)
export A2BENCH_GPU_CHECK_T0
cd "$(dirname "$0")/../.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
OUT=${OUT:-benchmarks/gpu/out}
mkdir -p "$OUT"
python3 benchmarks/gpu/gpu_check.py --out "$OUT" --budget "${BUDGET:-550}" "$@" 2>&1 | tee "$OUT/log.txt"
