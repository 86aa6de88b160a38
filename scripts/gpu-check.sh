#!/usr/bin/env bash
# The device check for a machine with an NVIDIA GPU, in two steps, so that the device (which has no
# network and no dev dependencies) gets one short call.
#
#  1. Here:  bash scripts/gpu-check.sh prepare [arch]
#     builds the native module with the CUDA backend for `arch` (default 90: H100/H200) into build/,
#     compiles lib/ and the check (test/gpu/run.ts with the backend cases) into build/gpu-check/.
#  2. Device: the `run` tool with
#       carry: ["build", "lib", "node_modules/node-gyp-build", "node_modules/pngjs", "node_modules/jpeg-js",
#               "node_modules/commander"]
#       command: bash scripts/gpu-check.sh run
#     prints nvidia-smi, the CUDA facts, the runtime checks and every backend case whose ops have CUDA
#     kernels against the CPU (PASS/FAIL with its max normalised error), then one line per CUDA op (cases,
#     max error, tolerance, PASS/FAIL), and leaves it all in $OUT/gpu-check.txt; then the CUDA benchmark
#     (bench/cuda/kernels.ts: GEMM 4096³ and ResNet-50's convolutions, FP32 and TF32, against PyTorch when
#     it is installed there; $OUT/bench.txt, $OUT/torch.json). A few minutes on an H100.
#  Without a GPU, bash scripts/cuda-emulate.sh runs the same kernels on the CPU through an emulator.
set -uo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  prepare)
    arch="${2:-90}"
    npx cmake-js compile --out build --CDDEEPSCOPE_CUDA=ON --CDCMAKE_CUDA_ARCHITECTURES="$arch" || exit 1
    npx tsc -p tsconfig.json && npx tsc -p test/tsconfig.gpu.json || exit 1
    du -sh build/Release/deepscope.node lib build/gpu-check
    ;;
  run)
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || true
    export DEEPSCOPE_BINARY="$PWD/build/Release/deepscope.node"
    node build/gpu-check/test/gpu/run.js
    status=$?
    # The benchmark: PyTorch's times first (where torch sees the GPU), then ours with the ratio; the table
    # comes last. ${QUICK:+--quick} (QUICK=1) runs a third of the convolutions.
    bench=build/gpu-check/bench/cuda/kernels.js
    node "$bench" --shapes | timeout 240 python3 bench/cuda/torch_ref.py >"${OUT:-/tmp}/torch.json" || echo '{}' >"${OUT:-/tmp}/torch.json"
    node "$bench" --torch "${OUT:-/tmp}/torch.json" ${QUICK:+--quick} | tee "${OUT:-/tmp}/bench.txt"
    exit $status
    ;;
  *)
    echo "usage: bash scripts/gpu-check.sh prepare [arch] | run" >&2
    exit 2
    ;;
esac
