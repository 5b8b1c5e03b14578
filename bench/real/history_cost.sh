#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/real/history_cost.sh BUILD_DIR [PAIRS] [full|small] - issue 12 §5:
# what the history, the peak, threads and the timeline add to tracing, in
# wall time, side by side in one run. Prints a markdown section.
#
# The same instrumented objects (Lua 5.4 running bench/real/alloc.lua, and
# SQLite's speedtest1 --memdb --size 80 --lookaside 0 0; Debian bookworm's
# sources, fetched by test/real/fetch-build.sh), compiled once with
# BUILD_DIR's tmcc, are linked twice: with BUILD_DIR's static runtime (this
# checkout) and with the runtime of the commit before issue 12's work (the
# parent of the first commit that added runtime/core/history.c, or
# TM_BENCH_BASE=REV), built here from a detached `git worktree` under
# BUILD_DIR/history-cost-work (never committed). Both run with
# TRACEMALLOC=1, in PAIRS (default 5) pairs, alternating which goes first;
# the table gives each program's median time and the median and range
# (min..max) of the per-pair ratio this / base. The issue's target is a
# ratio of at most 1.10. Wall time: run it on a quiet machine.
#
# BUILD_DIR must hold a build of this checkout (bin/tmcc, the pass, and
# runtime/libtracemalloc.a), preferably -DCMAKE_BUILD_TYPE=Release; the
# base runtime is built with the same compilers and build type. `small`
# runs tiny inputs: it checks the harness, its figures mean nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: bench/real/history_cost.sh BUILD_DIR [PAIRS] [full|small]}" && pwd)
pairs=${2:-5}
size=${3:-full}
case $size in full|small) ;; *) echo "bench/real/history_cost.sh: size must be full or small" >&2; exit 2 ;; esac
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "bench/real/history_cost.sh: PAIRS must be a positive number" >&2; exit 2; }
title="## Cost of issue 12 (history, peak, threads, timeline)"
skip() { printf '%s\n\nSkipped: %s\n' "$title" "$*"; exit 0; }
fail() { echo "bench/real/history_cost.sh: $*" >&2; exit 1; }
tmcc=$build/bin/tmcc
lib_new=$build/runtime/libtracemalloc.a
[ -x "$tmcc" ] || fail "no $tmcc (build the project first)"
[ -f "$lib_new" ] || fail "no $lib_new (build the project first)"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cc=$(cache CMAKE_C_COMPILER)
cxx=$(cache CMAKE_CXX_COMPILER)
btype=$(cache CMAKE_BUILD_TYPE)
cflags_cache=$(cache CMAKE_C_FLAGS)
[ -n "$cc" ] || fail "$build/CMakeCache.txt names no C compiler"

base=${TM_BENCH_BASE:-}
if [ -z "$base" ]; then
  first=$(git -C "$root" log --format=%H --diff-filter=A -- runtime/core/history.c | tail -1)
  [ -n "$first" ] || fail "no commit adds runtime/core/history.c (set TM_BENCH_BASE)"
  base=$first^
fi
base=$(git -C "$root" rev-parse --verify "$base^{commit}") || fail "no commit $base"

work=$build/test-real-work # sources, shared with test/real and whole.sh
out=$build/history-cost-work
mkdir -p "$out"
cd "$out"

# --- The base runtime ---------------------------------------------------------
src=$out/base-src
if [ "$(git -C "$src" rev-parse HEAD 2>/dev/null || true)" != "$base" ]; then
  git -C "$root" worktree remove --force "$src" 2>/dev/null || rm -rf "$src"
  git -C "$root" worktree prune
  git -C "$root" worktree add --detach "$src" "$base" >"$out/worktree.log" 2>&1 ||
    fail "git worktree add $base failed: see $out/worktree.log"
  rm -rf "$out/base-build"
fi
if ! { cmake -S "$src" -B "$out/base-build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$btype" -DCMAKE_C_FLAGS="$cflags_cache" \
          -DTM_BUILD_PASS=OFF -DTM_BUILD_TESTS=OFF -DTM_SANITIZER_RUNTIMES=OFF &&
        cmake --build "$out/base-build" --target tracemalloc_static; } >"$out/base-build.log" 2>&1; then
  fail "the base runtime ($base) did not build: see $out/base-build.log"
fi
lib_base=$out/base-build/runtime/libtracemalloc.a

# --- The instrumented objects, built once -------------------------------------
# shellcheck source=test/real/fetch-build.sh
. "$root/test/real/fetch-build.sh"
real_fetch
cflags=(-O2 -g)
# Objects only (tmcc -c): each program is linked below with each runtime.
lua=$out/lua
if [ ! -f "$lua/src/liblua.a" ] || [ ! -f "$lua/src/lua.o" ]; then
  rm -rf "$lua" && mkdir -p "$lua"
  tar -xf "$work"/src/lua5.4_*.orig.tar.gz -C "$lua" --strip-components=1
  make -C "$lua/src" -j"$(nproc)" liblua.a lua.o CC="$tmcc" MYCFLAGS="${cflags[*]}" \
    SYSCFLAGS="-DLUA_USE_LINUX" >"$lua/make.log" 2>&1 || fail "lua did not build: see $lua/make.log"
fi
sq=$out/sqlite
if [ ! -f "$sq/sqlite3.o" ] || [ ! -f "$sq/speedtest1.o" ]; then
  command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"
  rm -rf "$sq" && mkdir -p "$sq"
  tar -xf "$work"/src/sqlite3_*.orig.tar.xz -C "$sq" --strip-components=1
  # The amalgamation, then its two objects with speedtest1's options.
  sqflags=(-I. -D_HAVE_SQLITE_CONFIG_H -DNDEBUG -DSQLITE_THREADSAFE=1 -DSQLITE_OS_KV_OPTIONAL)
  (cd "$sq" && CC=$tmcc CFLAGS="${cflags[*]}" ./configure --disable-tcl --disable-readline \
     >"$sq/configure.log" 2>&1 && make sqlite3.c >"$sq/make.log" 2>&1 &&
     "$tmcc" "${cflags[@]}" "${sqflags[@]}" -c sqlite3.c -o sqlite3.o >>"$sq/make.log" 2>&1 &&
     "$tmcc" "${cflags[@]}" "${sqflags[@]}" -c test/speedtest1.c -o speedtest1.o >>"$sq/make.log" 2>&1) ||
    fail "sqlite did not build: see $sq/*.log"
fi
# As tmcc links the static runtime (tools/wrappers/tmcc.in).
link() { # output objects... -- runtime.a libs...
  local o=$1; shift
  local -a objs=()
  while [ "$1" != -- ]; do objs+=("$1"); shift; done
  shift
  local rt=$1; shift
  "$cc" -o "$o" "${objs[@]}" -Wl,--whole-archive "$rt" -Wl,--no-whole-archive \
    "-Wl,--export-dynamic-symbol=__tm_*" "-Wl,--export-dynamic-symbol=tm_*" \
    "$@" -lpthread -ldl -lm >"$o.log" 2>&1 || fail "linking $o failed: see $o.log"
}
mkdir -p bin
for v in new base; do
  rt=$lib_new
  [ $v = base ] && rt=$lib_base
  link "bin/lua-$v" "$lua/src/lua.o" "$lua/src/liblua.a" -- "$rt" -Wl,-E
  link "bin/speedtest1-$v" "$sq/speedtest1.o" "$sq/sqlite3.o" -- "$rt"
done
cp "$here/alloc.lua" "$out/"

names=(lua speedtest1)
declare -A args
if [ "$size" = full ]; then
  args[lua]="alloc.lua 8"
  args[speedtest1]="--memdb --size 80 --lookaside 0 0"
else
  args[lua]="alloc.lua 1"
  args[speedtest1]="--memdb --size 4 --lookaside 0 0"
fi
prog() { case $1 in lua) echo "bin/lua-$2" ;; speedtest1) echo "bin/speedtest1-$2" ;; esac; }

# Same output with either runtime (speedtest1's timings removed).
for p in "${names[@]}"; do
  for v in new base; do
    # shellcheck disable=SC2086 # args holds the program's arguments
    env -u TRACEMALLOC_DUMP TRACEMALLOC=1 "$(prog $p $v)" ${args[$p]} 2>"$p.$v.err" |
      sed -E 's/[0-9]+\.[0-9]+s$//' >"$p.$v.out" || fail "$p ($v) failed: $(tail -3 "$p.$v.err")"
  done
  cmp -s "$p.new.out" "$p.base.out" || fail "$p: the two runtimes' outputs differ (see $out/$p.*.out)"
done

run_ns() { # program variant -> ns
  local t0
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  env -u TRACEMALLOC_DUMP TRACEMALLOC=1 "$(prog "$1" "$2")" ${args[$1]} >/dev/null 2>&1 ||
    fail "$1 ($2) failed"
  echo $(($(date +%s%N) - t0))
}
declare -A times ratios
for ((r = 0; r < pairs; r++)); do
  for p in "${names[@]}"; do
    if ((r % 2 == 0)); then
      b=$(run_ns "$p" base); n=$(run_ns "$p" new)
    else
      n=$(run_ns "$p" new); b=$(run_ns "$p" base)
    fi
    times[$p.new]+="$n "
    times[$p.base]+="$b "
    ratios[$p]+="$(awk -v n="$n" -v b="$b" 'BEGIN { printf "%.4f", n / b }') "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f..%.3f", lo, hi }'; }

echo "$title"
echo
echo "TRACEMALLOC=1, the same instrumented objects linked with this checkout's"
echo "runtime ($(git -C "$root" rev-parse --short HEAD)) and with the runtime before issue 12"
echo "($(git -C "$root" rev-parse --short "$base")); $pairs pairs run back to back, alternating which"
echo "runs first. $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| program | base (s, median) | this (s, median) | ratio (median) | range |"
echo "|---|---:|---:|---:|---|"
for p in "${names[@]}"; do
  bm=$(median <<<"${times[$p.base]}")
  nm=$(median <<<"${times[$p.new]}")
  rm_=$(median <<<"${ratios[$p]}")
  rg=$(range <<<"${ratios[$p]}")
  awk -v p="$p ${args[$p]}" -v b="$bm" -v n="$nm" -v r="$rm_" -v g="$rg" \
    'BEGIN { printf "| `%s` | %.3f | %.3f | %.3fx | %s |\n", p, b / 1e9, n / 1e9, r, g }'
done
