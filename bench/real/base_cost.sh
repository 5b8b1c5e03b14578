#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/real/base_cost.sh BASE BUILD_DIR [ROUNDS] [full|small] - what one
# part of the tracer costs on whole programs, in wall time, side by side in
# one run: this runtime against a base that lacks only that part. Prints a
# markdown section. BASE names the base, a measurement device (a CMake
# option, not a product mode):
#  - without-history: -DTM_BENCH_WITHOUT_HISTORY=ON
#    (runtime/core/bench_without_history.h: issue 12's work, the history,
#    the peak's live set, threads and the timeline, compiled out of the
#    allocation and free paths); issue 12 §5's target is a ratio of at
#    most 1.10. bench/real/history_cost.sh runs this one.
#  - constant-count: -DTM_BENCH_CONSTANT_COUNT=ON
#    (runtime/core/bench_constant_count.h: a fixed total_nframe at
#    traceback limit 1, wrong on purpose: the exact count's walk removed).
#    The ratio is what the count costs; the base's own cost is the most
#    any O(1) count could give.
#
# Two runtimes from this checkout, with the same pass/runtime ABI:
#  - "this": BUILD_DIR's static runtime (brought up to date here);
#  - "base": the same sources built with BASE's option, in
#    BUILD_DIR/BASE-work/base-build, with BUILD_DIR's compilers, build
#    type and C flags.
# So the difference between the two is that part and nothing else.
# The instrumented objects (Lua 5.4 running bench/real/alloc.lua, and
# SQLite's speedtest1 --memdb --size 80 --lookaside 0 0; Debian bookworm's
# sources, fetched by test/real/fetch-build.sh) are compiled afresh on each
# run, once, with BUILD_DIR's tmcc, and linked with each runtime; the
# same sources compiled with BUILD_DIR's C compiler alone are "plain". The
# two runtimes run with TRACEMALLOC=1, in ROUNDS (default 5) rounds of the
# three, the order rotated from round to round; the table gives each
# program's median times and the median and range (min..max) of the
# per-round ratios this / base, base / plain and this / plain. Wall time:
# run it on a quiet machine.
#
# BUILD_DIR must be a build of this checkout with the pass (bin/tmcc),
# preferably -DCMAKE_BUILD_TYPE=Release, and not itself a measurement
# device's build. `small` runs tiny inputs: it checks the harness, its
# figures mean nothing. Anything missing (a build, the
# sources, tclsh, a failed build or run) stops it with a message and exit
# status 1: it never prints a table it did not measure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage="usage: bench/real/base_cost.sh without-history|constant-count BUILD_DIR [ROUNDS] [full|small]"
fail() { echo "bench/real/base_cost.sh: $*" >&2; exit 1; }
base=${1:-}
case $base in
  without-history)
    option=TM_BENCH_WITHOUT_HISTORY
    title="## Cost of issue 12 (history, peak, threads, timeline)"
    what="(base: issue 12's work compiled out of the hot path)" ;;
  constant-count)
    option=TM_BENCH_CONSTANT_COUNT
    title="## Cost of the exact total_nframe at traceback limit 1"
    what="(base: a fixed total_nframe at limit 1, no count: wrong on purpose)" ;;
  '') fail "$usage" ;;
  *) fail "unknown base $base ($usage)" ;;
esac
shift
{ [ $# -ge 1 ] && [ -d "$1" ]; } || fail "${1:+no directory $1; }$usage"
build=$(cd "$1" && pwd)
rounds=${2:-5}
size=${3:-full}
case $size in full|small) ;; *) fail "size must be full or small ($usage)" ;; esac
[[ $rounds =~ ^[1-9][0-9]*$ ]] || fail "ROUNDS must be a positive number ($usage)"
# test/real/fetch-build.sh skips (no network, no apt-get): here that is a
# failure, not a table.
skip() { fail "cannot fetch the sources: $*"; }
[ -f "$build/CMakeCache.txt" ] || fail "$build is not a CMake build directory (no CMakeCache.txt)"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
[ "$(cache CMAKE_HOME_DIRECTORY)" = "$root" ] ||
  fail "$build is a build of $(cache CMAKE_HOME_DIRECTORY), not of this checkout ($root)"
for o in TM_BENCH_WITHOUT_HISTORY TM_BENCH_CONSTANT_COUNT; do
  case $(cache $o) in
    ON|on|1|TRUE|true|YES|yes) fail "$build is a $o build (a measurement device), not a runtime to measure" ;;
  esac
done
cc=$(cache CMAKE_C_COMPILER)
cxx=$(cache CMAKE_CXX_COMPILER)
btype=$(cache CMAKE_BUILD_TYPE)
cflags_cache=$(cache CMAKE_C_FLAGS)
[ -n "$cc" ] || fail "$build/CMakeCache.txt names no C compiler"
command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"
tmcc=$build/bin/tmcc
lib_new=$build/runtime/libtracemalloc.a

work=$build/test-real-work # sources, shared with test/real and whole.sh
out=$build/$base-work
mkdir -p "$out" "$work"
cd "$out"

# --- The two runtimes, up to date with this checkout ------------------------
# (The pass and tmcc too: the objects below are compiled with them.)
cmake --build "$build" --target tracemalloc_static tmpass tracemalloc_pass_ready \
  >"$out/this-build.log" 2>&1 || fail "$build did not build: see $out/this-build.log"
[ -x "$tmcc" ] || fail "no $tmcc after building $build (TM_BUILD_PASS=OFF?)"
[ -f "$lib_new" ] || fail "no $lib_new after building $build"
base_build=$out/base-build
if ! { cmake -S "$root" -B "$base_build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$btype" -DCMAKE_C_FLAGS="$cflags_cache" \
          -D$option=ON -DTM_BUILD_PASS=OFF -DTM_BUILD_TESTS=OFF \
          -DTM_SANITIZER_RUNTIMES=OFF &&
        cmake --build "$base_build" --target tracemalloc_static; } >"$out/base-build.log" 2>&1; then
  fail "the base runtime ($option=ON) did not build: see $out/base-build.log"
fi
lib_base=$base_build/runtime/libtracemalloc.a
[ -f "$lib_base" ] || fail "no $lib_base after building the base runtime"
grep -q "^$option:BOOL=ON\$" "$base_build/CMakeCache.txt" ||
  fail "$base_build is not a $option build"

# --- The objects, instrumented and plain, compiled once, afresh --------------
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
rm -rf "$lua-plain" && cp -a "$lua" "$lua-plain"
make -C "$lua/src" -j"$(nproc)" liblua.a lua.o CC="$tmcc" MYCFLAGS="${cflags[*]}" \
  SYSCFLAGS="-DLUA_USE_LINUX" >"$lua/make.log" 2>&1 || fail "lua did not build: see $lua/make.log"
make -C "$lua-plain/src" -j"$(nproc)" lua CC="$cc" MYCFLAGS="${cflags[*]}" \
  SYSCFLAGS="-DLUA_USE_LINUX" SYSLIBS="-Wl,-E -ldl" >"$lua-plain/make.log" 2>&1 ||
  fail "lua (plain) did not build: see $lua-plain/make.log"
sq=$out/sqlite
rm -rf "$sq" && mkdir -p "$sq"
tar -xf "$work"/src/sqlite3_*.orig.tar.xz -C "$sq" --strip-components=1 ||
  fail "cannot unpack $work/src/sqlite3_*.orig.tar.xz"
# The amalgamation, then its two objects with speedtest1's options.
sqflags=(-I. -D_HAVE_SQLITE_CONFIG_H -DNDEBUG -DSQLITE_THREADSAFE=1 -DSQLITE_OS_KV_OPTIONAL)
(cd "$sq" && CC=$tmcc CFLAGS="${cflags[*]}" ./configure --disable-tcl --disable-readline \
   >"$sq/configure.log" 2>&1 && make sqlite3.c >"$sq/make.log" 2>&1 &&
   "$tmcc" "${cflags[@]}" "${sqflags[@]}" -c sqlite3.c -o sqlite3.o >>"$sq/make.log" 2>&1 &&
   "$tmcc" "${cflags[@]}" "${sqflags[@]}" -c test/speedtest1.c -o speedtest1.o >>"$sq/make.log" 2>&1 &&
   "$cc" "${cflags[@]}" "${sqflags[@]}" -o speedtest1-plain test/speedtest1.c sqlite3.c \
     -lpthread -ldl -lm >>"$sq/make.log" 2>&1) ||
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
cp "$lua-plain/src/lua" bin/lua-plain
cp "$sq/speedtest1-plain" bin/speedtest1-plain
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
prog() { echo "bin/$1-$2"; } # program variant -> its binary

variants=(plain base new)
run() { # program variant: run it, TRACEMALLOC=1 but for plain
  local tracing=(TRACEMALLOC=1)
  [ "$2" = plain ] && tracing=(-u TRACEMALLOC)
  # shellcheck disable=SC2086 # args holds the program's arguments
  env -u TRACEMALLOC_DUMP "${tracing[@]}" "$(prog "$1" "$2")" ${args[$1]}
}
# Same output from the three (speedtest1's timings removed).
for p in "${names[@]}"; do
  for v in "${variants[@]}"; do
    run "$p" "$v" 2>"$p.$v.err" | sed -E 's/[0-9]+\.[0-9]+s$//' >"$p.$v.out" ||
      fail "$p ($v) failed: $(tail -3 "$p.$v.err")"
  done
  cmp -s "$p.new.out" "$p.base.out" || fail "$p: the two runtimes' outputs differ (see $out/$p.*.out)"
  cmp -s "$p.new.out" "$p.plain.out" || fail "$p: the traced and plain outputs differ (see $out/$p.*.out)"
done

run_ns() { # program variant -> ns
  local t0
  t0=$(date +%s%N)
  run "$1" "$2" >/dev/null 2>&1 || fail "$1 ($2) failed"
  echo $(($(date +%s%N) - t0))
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A times ratios
ratio() { awk -v n="$1" -v b="$2" 'BEGIN { printf "%.4f", n / b }'; }
for ((r = 0; r < rounds; r++)); do
  for p in "${names[@]}"; do
    declare -A t=()
    for ((k = 0; k < 3; k++)); do # the order rotated each round
      v=${variants[(r + k) % 3]}
      t[$v]=$(run_ns "$p" "$v")
      times[$p.$v]+="${t[$v]} "
    done
    ratios[$p.nb]+="$(ratio "${t[new]}" "${t[base]}") "
    ratios[$p.bp]+="$(ratio "${t[base]}" "${t[plain]}") "
    ratios[$p.np]+="$(ratio "${t[new]}" "${t[plain]}") "
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
echo "($rev, $btype) and with the same runtime built with -D$option=ON"
echo "$what, beside the same sources built plain; $rounds rounds of the three, run"
echo "back to back, the order rotated each round. $(date -u +%Y-%m-%d), $(nproc) CPUs, load average"
echo "$load_before before the runs and $load_after after$([ "$size" = small ] && echo "; SMALL inputs (a harness check: the figures mean nothing)")."
echo
echo "| program | plain (s, median) | base (s) | this (s) | this / base | base / plain | this / plain |"
echo "|---|---:|---:|---:|---|---|---|"
secs() { awk -v t="$(median <<<"$1")" 'BEGIN { printf "%.3f", t / 1e9 }'; } # ns list -> median s
cell() { # ratio list -> "median (min..max)", both rounded by awk
  awk -v m="$(median <<<"$1")" -v r="$(range <<<"$1")" 'BEGIN { printf "%.3fx (%s)", m, r }'
}
for p in "${names[@]}"; do
  # shellcheck disable=SC2016 # the backquotes are markdown's
  printf '| `%s` | %s | %s | %s | %s | %s | %s |\n' "$p ${args[$p]}" \
    "$(secs "${times[$p.plain]}")" "$(secs "${times[$p.base]}")" "$(secs "${times[$p.new]}")" \
    "$(cell "${ratios[$p.nb]}")" "$(cell "${ratios[$p.bp]}")" "$(cell "${ratios[$p.np]}")"
done
