#!/usr/bin/env bash
# The prepared accelerator check of issue 16 (see bench/device_check.py): FFHQ-setting
# iterations (float32 / bfloat16 frozen networks, with and without remat), peak memory, XLA
# FLOPs against the measured matmul peak, generator images/s at 1024 px, and the parity tests
# at the highest matmul precision. Prints JSON. At most ~8 minutes on one H100.
#   bash bench/device_check.sh [--smoke] [--out FILE] [--budget-s SECONDS]
# --smoke (or DEVICE_CHECK_SMOKE=1) runs the same steps with the FFHQ setting reduced (batch 2,
# 64 px generator, 32 px losses), end to end on a CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then
  export PATH="$PWD/.venv/bin:$PATH"
fi
exec python -m bench.device_check "$@"
