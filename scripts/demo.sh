#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The main job, on a fresh Debian 12 machine: install what is needed, build
# tracemalloc, instrument the example program with tmcc, run it with tracing
# on, and print its report.
#
#   bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
LLVM=19
cmake -S . -B build/demo -G Ninja \
  -DLLVM_DIR="$(llvm-config-$LLVM --cmakedir)" \
  -DCMAKE_C_COMPILER=clang-$LLVM -DCMAKE_CXX_COMPILER=clang++-$LLVM \
  -DCMAKE_BUILD_TYPE=Release -DTM_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo
cmake --install build/demo --prefix build/demo/install >/dev/null
P=$PWD/build/demo/install

# Instrument: tmcc is a drop-in C compiler (clang + the pass + the runtime).
"$P/bin/tmcc" -O2 examples/wordfreq.c -o build/demo/wordfreq

# Run it traced: 25 frames per traceback, a snapshot dumped at exit.
text=(/usr/share/common-licenses/GPL-3 README.md examples/wordfreq.c)
echo "== TRACEMALLOC=25 TRACEMALLOC_DUMP=build/demo/wordfreq.tmd build/demo/wordfreq ${text[*]}"
TRACEMALLOC=25 TRACEMALLOC_DUMP=build/demo/wordfreq.tmd build/demo/wordfreq "${text[@]}"

echo
echo "== tracemalloc top build/demo/wordfreq.tmd"
"$P/bin/tracemalloc" top build/demo/wordfreq.tmd
echo
echo "== tracemalloc stats build/demo/wordfreq.tmd --key traceback --limit 3"
"$P/bin/tracemalloc" stats build/demo/wordfreq.tmd --key traceback --limit 3
echo
echo "== tracemalloc leaks build/demo/wordfreq.tmd"
"$P/bin/tracemalloc" leaks build/demo/wordfreq.tmd
