#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The cost of an allocation lifetime as the live set grows (issue 14's
# curve): plain malloc/free, the LD_PRELOAD counter and the tracer at
# nframe=1 and 25, at 1 K, 100 K, 1 M and 10 M live blocks, freed in
# allocation, reverse and random order. Prints a markdown section on
# stdout.
#
#   bench/core/live_curve.sh BUILD_DIR [LIVE...]
#
# bench_core_live allocates LIVE blocks of 16-79 bytes (`__tm_malloc` at a
# shadow depth of 10, or plain malloc) and frees them all in the order
# given; each figure is the best of its runs (200 at 1 K, 3 up to 1 M, 2
# beyond), thread CPU ns per malloc+free, in a single-threaded process.
# The counter is bench/shim/count_shim.so (one lock and one open-addressing
# hash table access per call, pointer -> size, current and peak; no
# tracebacks) preloaded into bench_core_live_plain, the same loop with no
# runtime linked in, so that the shim's malloc is the one called; it is
# the "one random table access per operation" design issue 14 measured
# against. Builds count_shim.so with CC (default cc). BUILD_DIR: a Release
# build, no sanitizer. The 10 M rows allocate about 1 GB.
set -euo pipefail
build=${1:?usage: bench/core/live_curve.sh BUILD_DIR [LIVE...]}
shift
lives=("$@")
((${#lives[@]})) || lives=(1000 100000 1000000 10000000)
# shellcheck source=bench/core/live_setup.sh
. "$(dirname "$0")/live_setup.sh"
live_setup "$build" count_shim # sets bin and tmp

echo "### Cost per allocation lifetime as the live set grows"
echo
echo "bench_core_live: allocate LIVE blocks of 16-79 bytes (\`__tm_malloc\` at a"
echo "shadow depth of 10, or plain malloc), then free them all in allocation"
echo "order, reverse order or a random order. Thread CPU ns per malloc+free,"
echo "best of the runs (200 at 1 K, 3 up to 1 M, 2 at 10 M), single-threaded"
echo "process. Target (issue 14): nframe=1 at 10 M live at most 1.5x its cost"
echo "at 1 K."
echo
echo "*counter*: the plain loop with bench/shim/count_shim.so preloaded (one"
echo "lock and one hash table access per call, no tracebacks)."
echo "*added*: nframe=1 minus plain, what tracing adds to a lifetime."
echo "*write*: the program fills each block after malloc and reads its first"
echo "word before free, as real programs use their objects (USE write)."
echo
echo "| live | order | use | plain | counter | ratio | nframe=1 | ratio | added | nframe=25 | ratio |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for live in "${lives[@]}"; do
  reps=$(live_reps "$live")
  for case in alloc:none reverse:none random:none alloc:write random:write; do
    order=${case%:*} use=${case#*:}
    p=$("$bin/bench_core_live" plain "$live" "$order" "$reps" "$use" | awk '{ print $4 }')
    c=$(LD_PRELOAD=$tmp/count_shim.so "$bin/bench_core_live_plain" plain "$live" "$order" "$reps" "$use" |
      awk '{ print $4 }')
    t1=$("$bin/bench_core_live" 1 "$live" "$order" "$reps" "$use" | awk '{ print $4 }')
    t25=$("$bin/bench_core_live" 25 "$live" "$order" "$reps" "$use" | awk '{ print $4 }')
    awk -v l="$live" -v o="$order" -v u="$use" -v p="$p" -v c="$c" -v a="$t1" -v b="$t25" \
      'BEGIN { printf "| %d | %s | %s | %.1f | %.1f | %.2fx | %.1f | %.2fx | %.1f | %.1f | %.2fx |\n", l, o, u, p, c, c / p, a, a / p, a - p, b, b / p }'
  done
done
