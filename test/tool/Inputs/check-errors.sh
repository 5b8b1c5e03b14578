#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check-errors.sh TRACEMALLOC INPUTS WORKDIR: every command that reads a
# snapshot, given each kind of invalid or unreadable snapshot (in every
# argument position that takes one), must exit 2, print nothing on stdout
# and exactly one line on stderr, "tracemalloc: error: FILE: reason", FILE
# being the argument as given (a JSON error adds the position:
# "FILE:LINE:COL: reason"). Prints one line per violation and then
# "N cases, M failed".
set -u
tm=$1 inputs=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 1

# The bad snapshots, each named for what is wrong with it.
"$tm" export "$inputs/s1.json" --format binary -o "$work/good.tmd" || exit 1
head -c 30 "$work/good.tmd" > "$work/truncated.tmd"
head -c 10 "$work/good.tmd" > "$work/short.tmd"
cp "$work/good.tmd" "$work/crc.tmd"
printf X | dd of="$work/crc.tmd" bs=1 seek=30 conv=notrunc 2>/dev/null
cp "$work/good.tmd" "$work/version.tmd"
printf '\007' | dd of="$work/version.tmd" bs=1 seek=8 conv=notrunc 2>/dev/null
printf 'hello, world\n' > "$work/text.txt"
: > "$work/empty.tmd"
printf '{"format": "tracemalloc-json", "version": 1, "traceback_limit": 1, "traces": [' > "$work/cut.json"
printf '{"format": "other", "version": 1}' > "$work/foreign.json"
head -c 100000 /dev/zero > "$work/zeros.bin"
bad="$work/missing.tmd $inputs $work/truncated.tmd $work/short.tmd
$work/crc.tmd $work/version.tmd $work/text.txt $work/empty.tmd
$work/cut.json $work/foreign.json $work/zeros.bin $inputs/bad-size.json
$inputs/truncated.json $inputs/future.json"

good=$inputs/s1.json
cases=0 failed=0
# check ARG -- COMMAND...: the command must fail on ARG as described above.
check() {
  arg=$1
  shift 2
  cases=$((cases + 1))
  "$@" >"$work/out" 2>"$work/err"
  rc=$?
  lines=$(wc -l <"$work/err")
  problem=""
  [ "$rc" -eq 2 ] || problem="exit $rc"
  [ -s "$work/out" ] && problem="$problem, stdout not empty"
  [ "$lines" -eq 1 ] || problem="$problem, $lines lines on stderr"
  # A JSON error names the position too: "FILE:LINE:COL: reason".
  case $(head -n 1 "$work/err") in
    "tracemalloc: error: $arg: "?* | "tracemalloc: error: $arg:"[0-9]*:[0-9]*": "?*) ;;
    *) problem="$problem, not 'tracemalloc: error: $arg: reason'" ;;
  esac
  if [ -n "$problem" ]; then
    failed=$((failed + 1))
    echo "FAIL: $* -> ${problem#, }"
    sed 's/^/  | /' "$work/err" | head -3
  fi
}

for f in $bad; do
  check "$f" -- "$tm" stats "$f"
  check "$f" -- "$tm" stats "$f" --key filename --cumulative
  check "$f" -- "$tm" diff "$f" "$good"
  check "$f" -- "$tm" diff "$good" "$f"
  check "$f" -- "$tm" export "$f"
  check "$f" -- "$tm" export "$f" --format pprof -o "$work/x.pb.gz"
  check "$f" -- "$tm" top "$f"
  check "$f" -- "$tm" traceback "$f" --limit all
  check "$f" -- "$tm" leaks "$f" --all-domains
  check "$f" -- "$tm" flamegraph "$f" -o "$work/x.svg"
  check "$f" -- "$tm" threads "$f"
  check "$f" -- "$tm" history "$f" --cumulative
  check "$f" -- "$tm" peak "$f"
done
# The same bytes on stdin ("-" is named <stdin>).
from_stdin() { "$tm" "$1" - <"$2"; }
for f in $work/empty.tmd $work/truncated.tmd $work/cut.json $work/zeros.bin; do
  for cmd in stats top traceback leaks export threads history peak; do
    check "<stdin>" -- from_stdin "$cmd" "$f"
  done
done
# A bad suppression file is bad input too.
for f in $work/missing.supp $inputs; do
  check "$f" -- "$tm" leaks "$good" --suppress "$f"
done
echo "$cases cases, $failed failed"
[ "$failed" -eq 0 ]
