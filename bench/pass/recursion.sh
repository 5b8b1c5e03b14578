#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/pass/recursion.sh [BUILD_DIR] [ARGS...] - instructions (callgrind,
# exact on a shared machine) inside bench/workloads/recursion.c's `tree`
# and `linear`, callees included (their allocations and captures too):
# plain clang -O2, tmcc -O2 not tracing, and the same binary with
# TRACEMALLOC=1 and =25. ARGS default to `18 20` (tree: 524,287 calls;
# linear: 20 x 10,001 calls, 10,000 deep). Prints a markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${TM_BUILD_DIR:-/tmp/pass-build-19}}
shift || true
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(18 20)
tmcc=$build/bin/tmcc
[ -x "$tmcc" ] || { echo "bench/pass: no $tmcc (build the project first)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "bench/pass: no valgrind" >&2; exit 1; }
# shellcheck disable=SC2016 # \$ is a literal dollar for sed
major=$(sed -n 's/^major=\${TMCC_LLVM:-\([0-9]*\)}$/\1/p' "$tmcc")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$here/../workloads/recursion.c
# -msave-temp-labels: the traced copies (.LNAME.tm_traced) get local symbols
# that --toggle-collect can name (run.sh). Valgrind 3.19 cannot read
# clang's DWARF 5: no debug info.
"clang-$major" -O2 "$src" -o "$work/plain"
"$tmcc" -O2 -Xclang -msave-temp-labels "$src" -o "$work/tm"
objcopy --strip-debug "$work/plain"
objcopy --strip-debug "$work/tm"
ir() { # BINARY FUNCTION ENV...: Ir inside FUNCTION and its callees
  local bin=$1 f=$2
  shift 2
  env -u TRACEMALLOC "$@" valgrind --tool=callgrind \
    --callgrind-out-file="$work/cg" --toggle-collect="$f" \
    --toggle-collect=".L$f.tm_traced" "$work/$bin" "${args[@]}" \
    >/dev/null 2>&1
  sed -n 's/^summary: //p' "$work/cg"
}
echo "| function | plain | tmcc, not tracing | TRACEMALLOC=1 | TRACEMALLOC=25 |"
echo "|---|---:|---:|---:|---:|"
for f in tree linear; do
  p=$(ir plain "$f")
  n=$(ir tm "$f")
  t1=$(ir tm "$f" TRACEMALLOC=1)
  t25=$(ir tm "$f" TRACEMALLOC=25)
  awk -v f="$f" -v p="$p" -v n="$n" -v a="$t1" -v b="$t25" 'BEGIN {
    printf "| %s | %d | %d (%.3fx) | %d (%.3fx) | %d (%.3fx) |\n",
      f, p, n, n / p, a, a / p, b, b / p }'
done
