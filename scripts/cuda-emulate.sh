#!/usr/bin/env bash
# Runs the CUDA kernels on the CPU through a small emulator and compares every op with the CPU kernels
# (test/cuda-emu/: cuda_runtime.h is the stand-in for CUDA, translate.py rewrites the <<<>>> launches,
# check.cpp holds the cases). For machines without a GPU: it checks the kernels' indexing, reductions,
# barriers and shuffles, not what only a GPU can show (see docs/cuda.md).
#   bash scripts/cuda-emulate.sh [group]     group: creation unary binary where reduce softmax nll bce layout rnn bitnet
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-emu
mkdir -p "$out"
kernels=(creation elementwise reduce softmax layout rnn binary)
srcs=()
for k in "${kernels[@]}"; do
  python3 test/cuda-emu/translate.py "native/cuda/$k.cu" "$out/cuda_$k.tmp"
  cmp -s "$out/cuda_$k.tmp" "$out/cuda_$k.cpp" || mv "$out/cuda_$k.tmp" "$out/cuda_$k.cpp"
  srcs+=("$out/cuda_$k.cpp")
done
for k in "${kernels[@]}"; do srcs+=("native/cpu/$k.cpp"); done
# The RNN's CPU kernel runs on the GEMM and the binary kernels on the XOR-popcount GEMM, whose micro-kernels
# come from the per-ISA tables (compiled with each set's flags as in CMakeLists.txt).
srcs+=(native/cpu/gemm.cpp native/cpu/isa_table.cpp native/core/cpu_features.cpp native/ops/rnn.cpp native/core/op_registry.cpp)
srcs+=(native/core/storage.cpp native/core/thread_pool.cpp test/cuda-emu/check.cpp)
objs=()
declare -A isa_flags=([generic]="" [avx2]="-mavx2 -mfma -mf16c"
  [avx512]="-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vpopcntdq -mavx2 -mfma -mprefer-vector-width=512")
for isa in generic avx2 avx512; do
  for s in native/cpu/isa/*.cpp; do
    o="$out/isa_${isa}_$(basename "$s" .cpp).o"
    objs+=("$o")
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ]; then
      echo "$s ($isa)"
      # shellcheck disable=SC2086
      g++ -std=c++17 -O2 -pthread ${isa_flags[$isa]} -DDS_ISA=$isa -DDS_ISA_NAME_$isa=1 -Inative -c "$s" -o "$o" &
    fi
  done
done
for s in "${srcs[@]}"; do
  o="$out/$(echo "$s" | tr '/' '_').o"
  objs+=("$o")
  # Rebuilt when the source, the emulator or any native header changed.
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find test/cuda-emu native -name '*.h*' -newer "$o" | head -1)" ]; then
    echo "$s"
    # No FMA contraction: the CPU build has none either (its generic code targets plain x86-64). Three
    # blocks at most per launch, so that every grid-stride loop goes round more than once.
    g++ -std=c++17 -O1 -g -pthread -ffp-contract=off -Wall -Wno-unused-function -Wno-unused-variable -Wno-unknown-pragmas \
      -DDS_CUDA_MAX_BLOCKS=3 -DDS_ISA=generic -DDS_ISA_NAME_generic=1 -Itest/cuda-emu -Inative -c "$s" -o "$o" &
  fi
done
wait
g++ -pthread "${objs[@]}" -o "$out/check"
"$out/check" "$@"
