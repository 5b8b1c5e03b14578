#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# llvm-matrix.sh N [BUILD_DIR] - build the pass against LLVM N and run the
# lit suite with that LLVM's tools (opt, clang, FileCheck, lit).
#
#   scripts/llvm-matrix.sh 19                # build in /tmp/tm-llvm-19
#   for v in 14 15 16 19 22; do scripts/llvm-matrix.sh $v || exit 1; done
#
# Needs llvm-N-dev, clang-N, llvm-N-tools and lld-N. Exit status is lit's.
# The plugin, the runtime and (if it builds) the CLI are built; a CLI that
# does not build only turns off the tests that say REQUIRES: cli.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 LLVM_MAJOR [BUILD_DIR]" >&2
  exit 2
fi
v=$1
src=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-/tmp/tm-llvm-$v}

llvm_config=$(command -v "llvm-config-$v" || true)
if [ -z "$llvm_config" ] || ! command -v "clang-$v" >/dev/null; then
  echo "llvm-matrix: LLVM $v is not installed (need llvm-$v-dev clang-$v llvm-$v-tools lld-$v)" >&2
  exit 1
fi

cmake -S "$src" -B "$build" -G Ninja \
  -DLLVM_DIR="$("$llvm_config" --cmakedir)" \
  -DCMAKE_C_COMPILER="clang-$v" -DCMAKE_CXX_COMPILER="clang++-$v" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target tmpass tracemalloc_static tracemalloc_shared
targets=$(cmake --build "$build" --target help 2>/dev/null | sed -n 's/^\([A-Za-z0-9_.-]*\): .*/\1/p')
for t in tracemalloc_cli tmcc_wrappers; do
  if grep -qx "$t" <<<"$targets"; then
    cmake --build "$build" --target "$t" ||
      echo "llvm-matrix: warning: $t did not build; its tests are skipped" >&2
  fi
done
echo "== lit, LLVM $v"
ctest --test-dir "$build" -L lit --output-on-failure
