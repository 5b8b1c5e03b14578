# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Sourced by every test/hosts/*/*.test.sh. The environment ctest gives:
#   TM_SRC      the source tree            TM_BUILD   the build tree
#   TM_BIN      build/bin (tmcc, tmc++)    TM_LIBDIR  libtracemalloc.{a,so}
#   TM_INCDIR   include/                   TM_CLI     the tracemalloc CLI
#   TM_LLVM_MAJOR, TM_LLVM_TOOLS           the LLVM the pass was built for
#   TM_C_COMPILER                          the clang the project was built with
#   TM_WORK     a fresh, empty folder for this test (the current directory)
#   TM_HOSTS    test/hosts/ in the source tree
# Each check prints what it expected and what it got, and fails the test.
set -euo pipefail
# shellcheck disable=SC2034 # used by the test scripts that source this file
TMCC=$TM_BIN/tmcc
# shellcheck disable=SC2034
TMCXX=$TM_BIN/tmc++
rm -rf "$TM_WORK"
mkdir -p "$TM_WORK"
cd "$TM_WORK"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  [[ "$2" == "$3" ]] || fail "$1: expected [$2], got [$3]"
  echo "ok: $1"
}

# expect_match WHAT REGEX TEXT (extended regex, anywhere in TEXT)
expect_match() {
  grep -Eq -- "$2" <<<"$3" || fail "$1: no match for /$2/ in:
$3"
  echo "ok: $1"
}

# expect_no_match WHAT REGEX TEXT
expect_no_match() {
  if grep -Eq -- "$2" <<<"$3"; then
    fail "$1: unexpected match for /$2/ in:
$3"
  fi
  echo "ok: $1"
}

# skip REASON: the test cannot run here (exit code 77 is ctest's SKIP).
skip() {
  echo "SKIP: $*"
  exit 77
}
