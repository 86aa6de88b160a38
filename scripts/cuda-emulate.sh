#!/usr/bin/env bash
# Runs the CUDA kernels on the CPU through a small emulator and compares every op with the CPU kernels
# (test/cuda-emu/: cuda_runtime.h is the stand-in for CUDA, translate.py rewrites the <<<>>> launches,
# check*.cpp hold the cases). For machines without a GPU: it checks the kernels' indexing, reductions,
# barriers and shuffles, not what only a GPU can show (see docs/cuda.md).
#   bash scripts/cuda-emulate.sh [group]
#   group: creation unary binary where reduce softmax nll bce layout rnn bitnet matmul conv pool norm
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-emu
mkdir -p "$out"
kernels=(creation elementwise reduce softmax layout rnn binary matmul conv pool norm)
srcs=()
for k in "${kernels[@]}"; do
  python3 test/cuda-emu/translate.py "native/cuda/$k.cu" "$out/cuda_$k.tmp"
  cmp -s "$out/cuda_$k.tmp" "$out/cuda_$k.cpp" || mv "$out/cuda_$k.tmp" "$out/cuda_$k.cpp"
  srcs+=("$out/cuda_$k.cpp")
done
# Headers with launches too, translated into a folder searched before native/.
mkdir -p "$out/inc/cuda"
for h in native/cuda/*.cuh; do
  python3 test/cuda-emu/translate.py "$h" "$out/inc/cuda/$(basename "$h").tmp"
  cmp -s "$out/inc/cuda/$(basename "$h").tmp" "$out/inc/cuda/$(basename "$h")" || mv "$out/inc/cuda/$(basename "$h").tmp" "$out/inc/cuda/$(basename "$h")"
  rm -f "$out/inc/cuda/$(basename "$h").tmp"
done
# The CPU references, with what they need: the GEMM and its per-ISA micro-kernels (the RNN, convolution
# and matmul kernels run on it, the binary kernels on the XOR-popcount GEMM of the same tables), the op
# families' shared geometry (native/ops) and the op table they register in.
for k in "${kernels[@]}"; do srcs+=("native/cpu/$k.cpp"); done
srcs+=(native/cpu/gemm.cpp native/cpu/conv_winograd.cpp native/cpu/isa_table.cpp native/core/cpu_features.cpp
  native/core/op_registry.cpp native/ops/rnn.cpp native/ops/matmul.cpp native/ops/conv.cpp native/ops/pool.cpp
  native/ops/norm.cpp native/core/storage.cpp native/core/thread_pool.cpp
  test/cuda-emu/check.cpp test/cuda-emu/check_matmul.cpp test/cuda-emu/check_conv.cpp test/cuda-emu/check_pool.cpp
  test/cuda-emu/check_norm.cpp)
declare -A isa_flags=([generic]="" [avx2]="-mavx2 -mfma -mf16c"
  [avx512]="-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vpopcntdq -mavx2 -mfma -mprefer-vector-width=512")
objs=()
stale() { [ ! -f "$2" ] || [ "$1" -nt "$2" ] || [ -n "$(find test/cuda-emu native "$out/inc" -name '*.*h' -newer "$2" | head -1)" ]; }
for s in "${srcs[@]}"; do
  o="$out/$(echo "$s" | tr '/' '_').o"
  objs+=("$o")
  # Rebuilt when the source, the emulator or any native header changed.
  if stale "$s" "$o"; then
    echo "$s"
    # No FMA contraction: the CPU build has none either (its generic code targets plain x86-64). Three
    # blocks at most per grid-stride launch, so that every grid-stride loop goes round more than once.
    g++ -std=c++17 -O1 -g -pthread -ffp-contract=off -Wall -Wno-unused-function -Wno-unused-variable -Wno-unknown-pragmas \
      -DDS_CUDA_MAX_BLOCKS=3 -DDS_ISA=generic -DDS_ISA_NAME_generic=1 -Itest/cuda-emu -I"$out/inc" -Inative -c "$s" -o "$o" &
  fi
done
for isa in generic avx2 avx512; do
  for s in native/cpu/isa/*.cpp; do
    o="$out/isa_${isa}_$(basename "$s" .cpp).o"
    objs+=("$o")
    if stale "$s" "$o"; then
      echo "$s ($isa)"
      # shellcheck disable=SC2086
      g++ -std=c++17 -O2 -pthread ${isa_flags[$isa]} -DDS_ISA=$isa -DDS_ISA_NAME_$isa=1 -Inative -c "$s" -o "$o" &
    fi
  done
done
wait
g++ -pthread "${objs[@]}" -o "$out/check"
"$out/check" "$@"
