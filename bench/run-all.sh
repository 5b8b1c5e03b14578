#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Run every benchmark side by side in one run and write docs/performance.md.
#
#   bench/run-all.sh [BUILD_DIR]
#
# BUILD_DIR is a Release build with the pass (default: build/bench, which is
# configured and built here with LLVM 19). Each bench/<area>/run.sh takes the
# build dir and prints a markdown section; ratios are always against a
# baseline measured in the same run on the same machine. bench/real/whole.sh
# (whole programs, median and range of paired runs beside heaptrack, ASan
# and MemProf: the figures issues #14 and #15 are judged by) runs last; it
# fetches and builds Lua, SQLite and libxml2 the first time (a few minutes)
# and then takes about 20 minutes. TM_BENCH_PAIRS sets its pairs (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/bench}
if [[ $# -eq 0 ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_DIR="$(llvm-config-19 --cmakedir)" \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
  cmake --build "$build" >/dev/null
fi
build=$(cd "$build" && pwd)

out=docs/performance.md
tmp=$(mktemp)
{
  echo "# Performance"
  echo
  echo "Measured by \`bench/run-all.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)."
  echo "Every ratio is against a baseline run side by side in the same run."
  echo "Shared machines are noisy: wall-clock figures vary by ~10% between runs;"
  echo "instruction counts (callgrind) do not."
  for area in core pass analysis io real; do
    if [[ -x bench/$area/run.sh ]]; then
      echo
      bench/$area/run.sh "$build" || echo "(bench/$area/run.sh failed)"
    fi
  done
  echo
  bench/real/whole.sh "$build" "${TM_BENCH_PAIRS:-5}" || echo "(bench/real/whole.sh failed)"
} >"$tmp"
mv "$tmp" "$out"
echo "wrote $out"
