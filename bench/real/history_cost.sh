#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/real/history_cost.sh BUILD_DIR [PAIRS] [full|small] - issue 12 §5:
# what the history, the peak, threads and the timeline add to tracing, in
# wall time, side by side in one run. Prints a markdown section.
#
# Two runtimes from this checkout, with the same pass/runtime ABI:
#  - "this": BUILD_DIR's static runtime (brought up to date here);
#  - "base": the same sources built with -DTM_BENCH_WITHOUT_HISTORY=ON
#    (runtime/core/bench_without_history.h: issue 12's work compiled out of
#    the allocation and free paths), in BUILD_DIR/history-cost-work/
#    base-build, with BUILD_DIR's compilers, build type and C flags.
# So the difference between the two is issue 12's work and nothing else.
# The instrumented objects (Lua 5.4 running bench/real/alloc.lua, and
# SQLite's speedtest1 --memdb --size 80 --lookaside 0 0; Debian bookworm's
# sources, fetched by test/real/fetch-build.sh) are compiled afresh on each
# run, once, with BUILD_DIR's tmcc, and linked with each runtime. Both run
# with TRACEMALLOC=1, in PAIRS (default 5) pairs, alternating which goes
# first; the table gives each program's median time and the median and
# range (min..max) of the per-pair ratio this / base. The issue's target
# is a ratio of at most 1.10. Wall time: run it on a quiet machine.
#
# BUILD_DIR must be a build of this checkout with the pass (bin/tmcc),
# preferably -DCMAKE_BUILD_TYPE=Release, and not itself a
# TM_BENCH_WITHOUT_HISTORY build. `small` runs tiny inputs: it checks the
# harness, its figures mean nothing. Anything missing (a build, the
# sources, tclsh, a failed build or run) stops it with a message and exit
# status 1: it never prints a table it did not measure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage="usage: bench/real/history_cost.sh BUILD_DIR [PAIRS] [full|small]"
fail() { echo "bench/real/history_cost.sh: $*" >&2; exit 1; }
{ [ $# -ge 1 ] && [ -d "$1" ]; } || fail "${1:+no directory $1; }$usage"
build=$(cd "$1" && pwd)
pairs=${2:-5}
size=${3:-full}
case $size in full|small) ;; *) fail "size must be full or small ($usage)" ;; esac
[[ $pairs =~ ^[1-9][0-9]*$ ]] || fail "PAIRS must be a positive number ($usage)"
# test/real/fetch-build.sh skips (no network, no apt-get): here that is a
# failure, not a table.
skip() { fail "cannot fetch the sources: $*"; }
title="## Cost of issue 12 (history, peak, threads, timeline)"
[ -f "$build/CMakeCache.txt" ] || fail "$build is not a CMake build directory (no CMakeCache.txt)"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
[ "$(cache CMAKE_HOME_DIRECTORY)" = "$root" ] ||
  fail "$build is a build of $(cache CMAKE_HOME_DIRECTORY), not of this checkout ($root)"
case $(cache TM_BENCH_WITHOUT_HISTORY) in
  ON|on|1|TRUE|true|YES|yes) fail "$build is a TM_BENCH_WITHOUT_HISTORY build: it would measure the base against itself" ;;
esac
cc=$(cache CMAKE_C_COMPILER)
cxx=$(cache CMAKE_CXX_COMPILER)
btype=$(cache CMAKE_BUILD_TYPE)
cflags_cache=$(cache CMAKE_C_FLAGS)
[ -n "$cc" ] || fail "$build/CMakeCache.txt names no C compiler"
command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"
tmcc=$build/bin/tmcc
lib_new=$build/runtime/libtracemalloc.a

work=$build/test-real-work # sources, shared with test/real and whole.sh
out=$build/history-cost-work
mkdir -p "$out" "$work"
cd "$out"

# --- The two runtimes, up to date with this checkout ------------------------
# (The pass and tmcc too: the objects below are compiled with them.)
cmake --build "$build" --target tracemalloc_static tmpass tracemalloc_pass_ready \
  >"$out/this-build.log" 2>&1 || fail "$build did not build: see $out/this-build.log"
[ -x "$tmcc" ] || fail "no $tmcc after building $build (TM_BUILD_PASS=OFF?)"
[ -f "$lib_new" ] || fail "no $lib_new after building $build"
# (An earlier version of this script built the base from a `git worktree`
# of an older commit here; that base no longer links ABI v4 objects.)
if [ -d "$out/base-src" ]; then
  git -C "$root" worktree remove --force "$out/base-src" 2>/dev/null || rm -rf "$out/base-src"
  git -C "$root" worktree prune
fi
base_build=$out/base-build
if ! { cmake -S "$root" -B "$base_build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$btype" -DCMAKE_C_FLAGS="$cflags_cache" \
          -DTM_BENCH_WITHOUT_HISTORY=ON -DTM_BUILD_PASS=OFF -DTM_BUILD_TESTS=OFF \
          -DTM_SANITIZER_RUNTIMES=OFF &&
        cmake --build "$base_build" --target tracemalloc_static; } >"$out/base-build.log" 2>&1; then
  fail "the base runtime (TM_BENCH_WITHOUT_HISTORY=ON) did not build: see $out/base-build.log"
fi
lib_base=$base_build/runtime/libtracemalloc.a
[ -f "$lib_base" ] || fail "no $lib_base after building the base runtime"
grep -q '^TM_BENCH_WITHOUT_HISTORY:BOOL=ON$' "$base_build/CMakeCache.txt" ||
  fail "$base_build is not a TM_BENCH_WITHOUT_HISTORY build"

# --- The instrumented objects, compiled once, afresh --------------------------
# shellcheck source=test/real/fetch-build.sh
. "$root/test/real/fetch-build.sh"
real_fetch
cflags=(-O2 -g)
# Objects only (tmcc -c): each program is linked below with each runtime.
# Never reused from an earlier run: they would be stale when tmcc, the pass
# or the runtime's headers changed.
lua=$out/lua
rm -rf "$lua" && mkdir -p "$lua"
tar -xf "$work"/src/lua5.4_*.orig.tar.gz -C "$lua" --strip-components=1 ||
  fail "cannot unpack $work/src/lua5.4_*.orig.tar.gz"
make -C "$lua/src" -j"$(nproc)" liblua.a lua.o CC="$tmcc" MYCFLAGS="${cflags[*]}" \
  SYSCFLAGS="-DLUA_USE_LINUX" >"$lua/make.log" 2>&1 || fail "lua did not build: see $lua/make.log"
sq=$out/sqlite
rm -rf "$sq" && mkdir -p "$sq"
tar -xf "$work"/src/sqlite3_*.orig.tar.xz -C "$sq" --strip-components=1 ||
  fail "cannot unpack $work/src/sqlite3_*.orig.tar.xz"
# The amalgamation, then its two objects with speedtest1's options.
sqflags=(-I. -D_HAVE_SQLITE_CONFIG_H -DNDEBUG -DSQLITE_THREADSAFE=1 -DSQLITE_OS_KV_OPTIONAL)
(cd "$sq" && CC=$tmcc CFLAGS="${cflags[*]}" ./configure --disable-tcl --disable-readline \
   >"$sq/configure.log" 2>&1 && make sqlite3.c >"$sq/make.log" 2>&1 &&
   "$tmcc" "${cflags[@]}" "${sqflags[@]}" -c sqlite3.c -o sqlite3.o >>"$sq/make.log" 2>&1 &&
   "$tmcc" "${cflags[@]}" "${sqflags[@]}" -c test/speedtest1.c -o speedtest1.o >>"$sq/make.log" 2>&1) ||
  fail "sqlite did not build: see $sq/*.log"
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
rm -rf bin && mkdir -p bin
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
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
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
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f..%.3f", lo, hi }'; }

echo "$title"
echo
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] || rev="$rev + local changes"
echo "TRACEMALLOC=1, the same instrumented objects linked with this checkout's runtime"
echo "($rev, $btype) and with the same runtime built with -DTM_BENCH_WITHOUT_HISTORY=ON"
echo "(base: issue 12's work compiled out of the hot path); $pairs pairs run back to back,"
echo "alternating which runs first. $(date -u +%Y-%m-%d), $(nproc) CPUs, load average"
echo "$load_before before the runs and $load_after after$([ "$size" = small ] && echo "; SMALL inputs (a harness check: the figures mean nothing)")."
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
