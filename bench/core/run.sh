#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Tracing-core benchmarks: prints a markdown section on stdout.
#
#   bench/core/run.sh BUILD_DIR [ITERATIONS] [REPS]
#
# Builds nothing of the project: BUILD_DIR must already contain
# bench/core/bench_core_pair, bench_core_memory, bench_core_live and
# bench_core_live_plain (a Release build, no sanitizer); live_curve.sh and
# random_order.sh compile bench/shim/count_shim.c and pad_shim.c with CC.
# TM_BENCH_NO_LIVE=1 skips the live-set curve (bench/core/live_curve.sh)
# and bench/core/random_order.sh (they allocate up to 10 M blocks, about
# 1 GB). Every
# ratio is against plain malloc/free measured in the same run, in the same
# column. With valgrind installed, also prints callgrind instruction counts
# per pair (stable on a noisy machine); TM_BENCH_NO_CALLGRIND=1 skips them.
set -euo pipefail
build=${1:?usage: bench/core/run.sh BUILD_DIR [ITERATIONS] [REPS]}
iters=${2:-2000000}
reps=${3:-7}
bin=$build/bench/core
for b in bench_core_pair bench_core_memory bench_core_live; do
  [[ -x $bin/$b ]] || { echo "bench/core: $bin/$b not built" >&2; exit 1; }
done

pair=$("$bin/bench_core_pair" "$iters" "$reps")
memory=$("$bin/bench_core_memory")

echo "## Tracing core"
echo
echo "### malloc/free pair"
echo
echo "A ring of 256 live blocks per thread; each step frees the oldest and"
echo "allocates 16-79 bytes. Instrumented code's view: \`__tm_malloc\` /"
echo "\`__tm_free\` with a static site at a shadow depth of 10. Thread CPU time"
echo "per pair, best of $reps runs of $iters pairs, all in one process."
echo
echo "| configuration | 1 thread, single-threaded process (ns) | ratio | 1 thread, multi-threaded process (ns) | ratio | 2 threads (ns/thread) | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
echo "$pair" | awk '
  { ns[$1 " " $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    for (i = 0; i < n; i++) {
      m = order[i]
      printf "| %s | %.1f | %.2fx | %.1f | %.2fx | %.1f | %.2fx |\n", m,
        ns[m " st"], ns[m " st"] / ns["plain st"],
        ns[m " mt"], ns[m " mt"] / ns["plain mt"],
        ns[m " 2"], ns[m " 2"] / ns["plain 2"]
    }
  }'
echo
echo "plain = malloc/free; hooks-off = \`__tm_*\` while not tracing;"
echo "nframe=N = tracing with that traceback limit. Single-threaded process:"
echo "no thread was ever created (glibc's \`__libc_single_threaded\`: the core"
echo "skips its shard locks and counter read-modify-writes, and so does glibc's"
echo "malloc); multi-threaded: an idle second thread exists. Target: <= 2.5x at"
echo "nframe=1."
echo
echo "In a multi-threaded process a traced pair does four atomic read-modify-writes"
echo "(the shard lock and the global \`current\` counter, on malloc and on free)."
echo "An exact peak needs every change of \`current\` in one total order, so the"
echo "counter is shared; two threads allocating at once bounce its cache line,"
echo "which is what the 2-thread column measures."
echo
echo "The two floor rows price that synchronisation alone, with no bookkeeping:"
echo "plain malloc/free plus, on each, an atomic fetch_add on one shared counter"
echo "(floor:counter), or that plus taking and releasing an uncontended lock"
echo "(floor:lock+counter, one atomic exchange and a release store). An exact"
echo "current/peak puts every change of \`current\` by any thread in one order:"
echo "one read-modify-write of a shared word per malloc and per free, whether"
echo "that word is a counter or a global lock, so floor:counter is the least any"
echo "such design pays in a multi-threaded process. Adding the bookkeeping a"
echo "traced pair needs anyway (nframe=1 minus plain in the single-threaded"
echo "column, which has no atomic) gives a lower bound. (The runtime skips both"
echo "in a single-threaded process; that column shows what they would cost.)"
echo
echo "$pair" | awk '
  { ns[$1 " " $2] = $3 }
  END {
    b = ns["nframe=1 st"] - ns["plain st"]
    for (c = 0; c < 2; c++) {
      col = c ? "2" : "mt"; name = c ? "2 threads" : "1 thread, multi-threaded process"
      lb = ns["floor:counter " col] + b
      printf "Lower bound, %s: %.1f + %.1f = about %.1f ns, %.2fx plain (measured: %.2fx).\n",
        name, ns["floor:counter " col], b, lb, lb / ns["plain " col],
        ns["nframe=1 " col] / ns["plain " col]
      if (!c) print ""
    }
  }'

if [[ ${TM_BENCH_NO_CALLGRIND:-0} != 1 ]] && command -v valgrind >/dev/null; then
  # Instructions per pair: the difference of two runs of different length,
  # so start-up and set-up cancel out.
  small=20000 big=120000
  # Without address randomisation where possible: pointer hashes, hence
  # probe lengths, hence counts, would vary a little from run to run.
  norand=()
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    norand=(setarch "$(uname -m)" -R)
  fi
  count() { # mode column iterations
    local out
    out=$(mktemp)
    "${norand[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" \
      "$bin/bench_core_pair" "$3" 1 "$1" "$2" >/dev/null 2>&1
    awk '/^summary:|^totals:/ { print $2; exit }' "$out"
    rm -f "$out"
  }
  echo
  echo "### Instructions per pair (callgrind)"
  echo
  echo "One thread; \`valgrind --tool=callgrind\`, (I($big) - I($small)) / $((big - small))."
  echo
  echo "| configuration | single-threaded process | ratio | multi-threaded process | ratio |"
  echo "|---|---:|---:|---:|---:|"
  declare -A ipp
  for col in st mt; do
    for mode in plain off 1 25; do
      a=$(count $mode $col $small)
      b=$(count $mode $col $big)
      ipp[$mode.$col]=$(( (b - a) / (big - small) ))
    done
  done
  for mode in plain off 1 25; do
    case $mode in plain) name=plain ;; off) name=hooks-off ;; *) name=nframe=$mode ;; esac
    awk -v n="$name" -v s="${ipp[$mode.st]}" -v ps="${ipp[plain.st]}" \
        -v m="${ipp[$mode.mt]}" -v pm="${ipp[plain.mt]}" \
      'BEGIN { printf "| %s | %d | %.2fx | %d | %.2fx |\n", n, s, s / ps, m, m / pm }'
  done
fi

if [[ ${TM_BENCH_NO_LIVE:-0} != 1 ]]; then
  echo
  bash "$(dirname "$0")/live_curve.sh" "$build"
  echo
  bash "$(dirname "$0")/random_order.sh" "$build" 3
fi

echo
echo "### Runtime memory per live trace"
echo
echo "1,000,000 live 16-byte blocks from one site; \`tm_get_tracemalloc_memory()\`"
echo "delta / 1M (CPython: about 58 B per trace), and \`tm_take_snapshot()\` over them."
echo
echo "| nframe | bytes per trace | snapshot of 1M traces (ms) |"
echo "|---:|---:|---:|"
echo "$memory" | awk '{ printf "| %d | %.1f | %.1f |\n", $1, $2, $3 }'
echo
echo "Target: <= 32 B per trace at nframe=1; snapshot well under 500 ms."
