#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/real/run.sh BUILD_DIR [RUNS] - whole-program overhead on real code:
# the Lua 5.4 interpreter (running bench/real/*.lua) and SQLite's speedtest1,
# from Debian bookworm's source packages, fetched and built by
# test/real/fetch-build.sh (shared with test/real: same work dir, same
# builds). Four variants side by side in one run:
#   plain   clang-N -O2
#   tm off  tmcc -O2 (same clang), TRACEMALLOC unset: shadow stack only
#   tm 1    the same binary, TRACEMALLOC=1 (one frame per trace)
#   tm 25   the same binary, TRACEMALLOC=25
# Wall time: best of RUNS (default 5) rounds, the variants interleaved within
# each round. With valgrind: callgrind instruction counts on smaller inputs
# and memcheck's heap-call count (plain build). Prints a markdown section.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: bench/real/run.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-5}
tmcc=$build/bin/tmcc
cli=$build/tools/tracemalloc/tracemalloc
# shellcheck disable=SC2016 # \$ is a literal dollar for sed
major=$(sed -n 's/^major=\${TMCC_LLVM:-\([0-9]*\)}$/\1/p' "$tmcc")
clang=clang-$major
work=$build/test-real-work   # sources and builds, shared with test/real
out=$build/bench-real-work   # this benchmark's runs
title="## Real programs: Lua 5.4 and SQLite speedtest1 (LLVM $major, -O2)"
skip() { printf '%s\n\nSkipped: %s\n' "$title" "$*"; exit 0; }
fail() { echo "bench/real: $*" >&2; exit 1; }
[ -x "$tmcc" ] || fail "no $tmcc (build the project first)"
. "$here/../../test/real/fetch-build.sh"
real_fetch
real_build_lua plain "$clang"
real_build_lua tm "$tmcc"
real_build_sqlite plain "$clang"
real_build_sqlite tm "$tmcc"
rm -rf "$out" && mkdir -p "$out"
cp "$here"/*.lua "$out/"
cd "$out"

# Each program: a command (@F@ = plain or tm, @N@ = input size), the size
# timed and the smaller size run under valgrind.
names=(lua-fib lua-strings lua-closures speedtest1)
declare -A cmd full small
cmd[lua-fib]="$work/lua-@F@/src/lua fib.lua @N@";           full[lua-fib]=36;          small[lua-fib]=24
cmd[lua-strings]="$work/lua-@F@/src/lua strings.lua @N@";   full[lua-strings]=18;      small[lua-strings]=1
cmd[lua-closures]="$work/lua-@F@/src/lua closures.lua @N@"; full[lua-closures]=4000000; small[lua-closures]=100000
cmd[speedtest1]="$work/sqlite-@F@/speedtest1 --size @N@";   full[speedtest1]=80;       small[speedtest1]=4
variants=(plain off t1 t25)

argv_of() { # variant program size -> ARGV
  local f=tm c
  [ "$1" = plain ] && f=plain
  c=${cmd[$2]//@F@/$f}
  read -r -a ARGV <<<"${c//@N@/$3}"
}
env_of() { # variant -> ENVV (an env(1) prefix)
  case $1 in
    plain|off) ENVV=(env -u TRACEMALLOC -u TRACEMALLOC_DUMP) ;;
    t1) ENVV=(env -u TRACEMALLOC_DUMP TRACEMALLOC=1) ;;
    t25) ENVV=(env -u TRACEMALLOC_DUMP TRACEMALLOC=25) ;;
  esac
}

# Same output in every variant (speedtest1's timings stripped).
for p in "${names[@]}"; do
  for v in "${variants[@]}"; do
    argv_of "$v" "$p" "${small[$p]}"; env_of "$v"
    "${ENVV[@]}" "${ARGV[@]}" 2>&1 | sed -E 's/[0-9]+\.[0-9]+s$//' >"$p.$v.out" ||
      fail "$p ($v) failed"
    cmp -s "$p.plain.out" "$p.$v.out" || fail "$p ($v): output differs from plain"
  done
done

# Wall time, best of $runs, variants interleaved.
declare -A best
for ((r = 1; r <= runs; r++)); do
  for p in "${names[@]}"; do
    for v in "${variants[@]}"; do
      argv_of "$v" "$p" "${full[$p]}"; env_of "$v"
      t0=$(date +%s%N)
      "${ENVV[@]}" "${ARGV[@]}" >/dev/null 2>&1 || fail "$p ($v) failed"
      t=$(( $(date +%s%N) - t0 ))
      k=$p.$v
      if [ -z "${best[$k]:-}" ] || [ "$t" -lt "${best[$k]}" ]; then best[$k]=$t; fi
    done
  done
done

# Live traces and traced peak: one TRACEMALLOC=25 run with a dump at exit.
for p in "${names[@]}"; do
  argv_of t25 "$p" "${full[$p]}"
  TRACEMALLOC=25 TRACEMALLOC_DUMP="$out/$p.tmd" "${ARGV[@]}" >/dev/null 2>&1 ||
    fail "$p (dump) failed"
  "$cli" top "$p.tmd" --limit 1 >"$p.top" 2>&1 || fail "$p: tracemalloc top failed"
done

cmdline() { # program size -> a readable command line
  local c=${cmd[$1]//@N@/$2}
  c=${c//$work\/lua-@F@\/src\//}
  echo "${c//$work\/sqlite-@F@\//}"
}

echo "$title"
echo
echo "Whole programs from Debian bookworm's source packages (fetched and built"
echo "by test/real/fetch-build.sh), each built twice: *plain* is clang-$major -O2;"
echo "the tmcc -O2 binary (same clang, plus the pass and the runtime) runs"
echo "*tm off* with TRACEMALLOC unset (shadow stack only, nothing traced),"
echo "*tm 1* with TRACEMALLOC=1 (every allocation traced, one frame) and"
echo "*tm 25* with TRACEMALLOC=25 (up to 25 frames). The Lua scripts are in"
echo "bench/real/: recursive calls without allocation (fib), tables and strings"
echo "(strings), a closure and a table per step (closures)."
echo
echo "Wall time, best of $runs runs, variants interleaved ($(nproc) CPUs):"
echo
echo "| program | plain (s) | tm off | tm 1 | tm 25 |"
echo "|---|---:|---:|---:|---:|"
for p in "${names[@]}"; do
  bp=${best[$p.plain]}
  row="| \`$(cmdline "$p" "${full[$p]}")\` | $(awk -v t="$bp" 'BEGIN { printf "%.3f", t/1e9 }')"
  for v in off t1 t25; do
    row+=" | $(awk -v t="${best[$p.$v]}" -v b="$bp" 'BEGIN { printf "%.3f s (%.2fx)", t/1e9, t/b }')"
  done
  echo "$row |"
done
echo
echo "One more TRACEMALLOC=25 run each with TRACEMALLOC_DUMP: \`tracemalloc top\`'s"
echo "summary of the dump at exit (live traces; peak of the traced memory):"
echo
echo "| program | summary |"
echo "|---|---|"
for p in "${names[@]}"; do
  echo "| \`$(cmdline "$p" "${full[$p]}")\` | $(grep -m1 '^Traced memory:' "$p.top"); $(grep -m1 '^Traces:' "$p.top") |"
done

if command -v valgrind >/dev/null 2>&1; then
  # Valgrind 3.19 cannot read clang's DWARF 5: keep symbols, drop debug info.
  nodebug() {
    local c=$out/nodebug/${ARGV[0]//\//_}
    if [ ! -x "$c" ]; then mkdir -p "$out/nodebug" && objcopy --strip-debug "${ARGV[0]}" "$c"; fi
    ARGV[0]=$c
  }
  declare -A ir allocs
  for p in "${names[@]}"; do
    for v in "${variants[@]}"; do
      argv_of "$v" "$p" "${small[$p]}"; env_of "$v"; nodebug
      "${ENVV[@]}" valgrind --tool=callgrind --callgrind-out-file="$out/cg.$p.$v" \
        "${ARGV[@]}" >/dev/null 2>&1 || fail "$p ($v) failed under callgrind"
      ir[$p.$v]=$(sed -n 's/^summary: //p' "cg.$p.$v")
    done
    argv_of plain "$p" "${small[$p]}"; nodebug
    allocs[$p]=$(valgrind --tool=memcheck "${ARGV[@]}" 2>&1 >/dev/null |
      sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)
  done
  echo
  echo "Instructions (callgrind Ir, whole program) on smaller inputs; heap calls"
  echo "are malloc/calloc/realloc calls in the plain build (valgrind memcheck)."
  echo "The last column is (tm 25 - tm off) / heap calls: it includes the runtime's"
  echo "one-off start-up and exit cost, so it only means per-call cost on rows"
  echo "with many heap calls."
  echo
  echo "| program | heap calls | plain Ir | tm off | tm 1 | tm 25 | tm 25 extra Ir per heap call |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for p in "${names[@]}"; do
    ip=${ir[$p.plain]}
    row="| \`$(cmdline "$p" "${small[$p]}")\` | ${allocs[$p]} | $ip"
    for v in off t1 t25; do
      row+=" | $(awk -v t="${ir[$p.$v]}" -v b="$ip" 'BEGIN { printf "%.3fx", t/b }')"
    done
    row+=" | $(awk -v t="${ir[$p.t25]}" -v b="${ir[$p.off]}" -v n="${allocs[$p]}" \
      'BEGIN { if (n > 0) printf "%.0f", (t-b)/n; else printf "-" }')"
    echo "$row |"
  done
fi
