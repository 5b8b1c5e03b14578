#!/usr/bin/env bash
# Tracing-core benchmarks: prints a markdown section on stdout.
#
#   bench/core/run.sh BUILD_DIR [ITERATIONS]
#
# Builds nothing: BUILD_DIR must already contain bench/core/bench_core_pair
# and bench/core/bench_core_memory (a Release build, no sanitizer). Every
# ratio is against plain malloc/free measured in the same run.
set -euo pipefail
build=${1:?usage: bench/core/run.sh BUILD_DIR [ITERATIONS]}
iters=${2:-2000000}
bin=$build/bench/core
for b in bench_core_pair bench_core_memory; do
  [[ -x $bin/$b ]] || { echo "bench/core: $bin/$b not built" >&2; exit 1; }
done

pair=$("$bin/bench_core_pair" "$iters")
memory=$("$bin/bench_core_memory")

echo "## Tracing core"
echo
echo "### malloc/free pair"
echo
echo "A ring of 256 live blocks per thread; each step frees the oldest and"
echo "allocates 16-79 bytes. Instrumented code's view: \`__tm_malloc\` /"
echo "\`__tm_free\` with a static site at a shadow depth of 10. Thread CPU time"
echo "per pair, best of 5 runs of $iters pairs."
echo
echo "| configuration | 1 thread (ns) | ratio | 2 threads (ns/thread) | ratio |"
echo "|---|---:|---:|---:|---:|"
echo "$pair" | awk '
  { ns[$1 " " $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END {
    for (i = 0; i < n; i++) {
      m = order[i]
      printf "| %s | %.1f | %.2fx | %.1f | %.2fx |\n", m,
        ns[m " 1"], ns[m " 1"] / ns["plain 1"],
        ns[m " 2"], ns[m " 2"] / ns["plain 2"]
    }
  }'
echo
echo "plain = malloc/free; hooks-off = \`__tm_*\` while not tracing;"
echo "nframe=N = tracing with that traceback limit. Target: <= 2.5x at nframe=1."
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
