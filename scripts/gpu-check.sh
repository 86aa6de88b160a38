#!/usr/bin/env bash
# The device check, for a machine with an NVIDIA GPU: build for its architecture, then run the CUDA tests
# (runtime plumbing, and every op with a CUDA kernel against the CPU). Prints nvidia-smi's view first.
# Usage: bash scripts/gpu-check.sh [cuda-arch]   (default 90: H100/H200)
set -uo pipefail
cd "$(dirname "$0")/.."
arch="${1:-90}"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || true
[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
npx cmake-js compile --out build --CDDEEPSCOPE_CUDA=ON --CDCMAKE_CUDA_ARCHITECTURES="$arch" 2>&1 | tail -n 5
npx tsc -p tsconfig.json
node -e "const ds=require('./lib'); console.log(JSON.stringify(ds.cuda.info(), null, 1)); console.log(ds.opTable().filter(r=>r.cuda).length + ' of ' + ds.opTable().length + ' ops have CUDA kernels')"
npx jest test/cuda test/backend --verbose 2>&1 | tail -n 80
