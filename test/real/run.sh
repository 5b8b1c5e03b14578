#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# test/real/run.sh BUILD_DIR CLI - real Debian programs built with tmcc -O2:
# SQLite's speedtest1 and shell, and the Lua 5.4 interpreter.
#
# The sources are fetched at run time from Debian bookworm (deb-src, main)
# with a PRIVATE apt configuration under the build directory; the system's
# apt sources are neither read nor changed. Each program is built twice
# (plain clang-N -O2, tmcc -O2), run with the same input, and must
#   1. print the same output (timings stripped),
#   2. with TRACEMALLOC=25 TRACEMALLOC_DUMP=..., leave a dump whose top
#      statistics (`tracemalloc stats`) point into the program's own sources.
# speedtest1 frees everything before exiting (its dump holds stdout's buffer,
# allocated by printf in speedtest1.c); the sqlite3 shell (`.exit 3`, which
# exits without closing the database) and Lua (`os.exit`, which does not
# close the state) leave their live heaps in the dump.
# Exit 77 (ctest SKIP) only when apt or the network is unavailable.
set -euo pipefail

build=$(cd "${1:?usage: run.sh BUILD_DIR CLI}" && pwd)
cli=${2:?usage: run.sh BUILD_DIR CLI}
work=$build/test-real-work
tmcc=$build/bin/tmcc
# shellcheck disable=SC2016 # \$ is a literal dollar for sed
major=$(sed -n 's/^major=\${TMCC_LLVM:-\([0-9]*\)}$/\1/p' "$tmcc")
clang=clang-$major
skip() { echo "test/real: SKIPPED: $*"; exit 77; }
fail() { echo "test/real: FAILED: $*" >&2; exit 1; }
[ -x "$tmcc" ] || fail "no $tmcc"
[ -x "$cli" ] || fail "no tracemalloc CLI at $cli"
command -v apt-get >/dev/null || skip "apt-get is not available"
# SQLite's source tree generates its amalgamation with tclsh.
command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"

# STEP 1: sources, with a private apt configuration (test/real/fetch-build.sh).
# STEP 2: one build per flavour (plain, tm) in its own tree.
. "$(dirname "$0")/fetch-build.sh"
real_fetch
real_build_sqlite plain "$clang"
real_build_sqlite tm "$tmcc"
real_build_lua plain "$clang"
real_build_lua tm "$tmcc"

# STEP 3: same output, traced, and the dump points into the sources.
cat > "$work/bench.lua" <<'LUA'
local t = {}
for i = 1, 200000 do t[i] = string.format("item %d", i % 1000) end
local count = {}
for _, s in ipairs(t) do count[s] = (count[s] or 0) + 1 end
local keys = {}
for k in pairs(count) do keys[#keys + 1] = k end
table.sort(keys)
print(#keys, keys[1], keys[#keys], count[keys[1]])
local parts = {}
for i = 1, 20000 do parts[#parts + 1] = tostring(i * i) end
print(#table.concat(parts, ","))
KEEP = t -- alive at exit: os.exit does not close the state
os.exit(0)
LUA
cat > "$work/shell.sql" <<'SQL'
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  INSERT INTO t SELECT i, printf('row %d', i), i * 0.5 FROM n;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(c), min(b), max(b) FROM t;
SELECT b FROM t WHERE a % 5000 = 0 ORDER BY b;
.exit 3
SQL

check() { # name src_dir cmd... (@FLAVOUR@ in cmd: plain or tm)
  local name=$1 src=$2
  shift 2
  local plain_cmd=("${@//@FLAVOUR@/plain}") tm_cmd=("${@//@FLAVOUR@/tm}") rc
  rc=0; "${plain_cmd[@]}" >"$work/$name.plain.raw" 2>&1 <"$work/$name.in" || rc=$?
  { sed -E 's/[0-9]+\.[0-9]+s$//' "$work/$name.plain.raw"; echo "exit $rc"; } >"$work/$name.plain.out"
  rm -f "$work/$name.tmd"
  rc=0; TRACEMALLOC=25 TRACEMALLOC_DUMP="$work/$name.tmd" "${tm_cmd[@]}" \
    >"$work/$name.tm.raw" 2>&1 <"$work/$name.in" || rc=$?
  { sed -E 's/[0-9]+\.[0-9]+s$//' "$work/$name.tm.raw"; echo "exit $rc"; } >"$work/$name.tm.out"
  diff -u "$work/$name.plain.out" "$work/$name.tm.out" >"$work/$name.diff" ||
    fail "$name: output differs from the plain build (see $work/$name.diff)"
  [ -s "$work/$name.tmd" ] || fail "$name: no dump written"
  "$cli" stats "$work/$name.tmd" --limit 5 >"$work/$name.stats" ||
    fail "$name: tracemalloc stats failed"
  echo "== $name: top statistics (live at exit)"
  cat "$work/$name.stats"
  local top
  top=$(head -1 "$work/$name.stats" | sed -E 's/:[0-9]+: size=.*//')
  case $top in
    "$src"/*) [ -f "$top" ] || fail "$name: top file $top does not exist" ;;
    *) fail "$name: top statistic is not in $src: $(head -1 "$work/$name.stats")" ;;
  esac
}
: >"$work/speedtest1.in"
: >"$work/lua.in"
cp "$work/shell.sql" "$work/sqlite3.in"
check speedtest1 "$work/sqlite-tm" "$work/sqlite-@FLAVOUR@/speedtest1" --size 5
check sqlite3 "$work/sqlite-tm" "$work/sqlite-@FLAVOUR@/sqlite3"
check lua "$work/lua-tm" "$work/lua-@FLAVOUR@/src/lua" "$work/bench.lua"
echo "test/real: OK (sqlite speedtest1 and shell, lua 5.4: same output, dumps point into their sources)"
