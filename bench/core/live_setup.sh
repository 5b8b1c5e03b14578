# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/core/live_setup.sh - sourced by live_curve.sh and random_order.sh,
# which run the same two loops with a shim preloaded into the plain one.
#
#   live_setup BUILD_DIR SHIM
#
# Checks that BUILD_DIR has bench/core/bench_core_live and
# bench_core_live_plain (exit 1 with a message if not), sets `bin` to that
# directory and `tmp` to a temporary directory removed at exit, and
# compiles bench/shim/SHIM.c into $tmp/SHIM.so with CC (default cc).
# live_reps LIVE prints how many runs a figure is the best of: 200 at 1 K
# and below, 3 up to 1 M, 2 beyond.
live_setup() {
  local root b
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  bin=$1/bench/core
  for b in bench_core_live bench_core_live_plain; do
    [[ -x $bin/$b ]] || { echo "bench/core: $bin/$b not built" >&2; exit 1; }
  done
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "${CC:-cc}" -O2 -shared -fPIC -o "$tmp/$2.so" "$root/bench/shim/$2.c"
}

live_reps() {
  if (($1 <= 1000)); then echo 200; elif (($1 <= 1000000)); then echo 3; else echo 2; fi
}
