# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Sourced by the shlib tests after lib.sh: builds libdemo.so with
# `tmcc -shared` in the current folder and defines the checks on its trace.
# The line numbers below are the lines of demo.c that allocate.
DEMO_KEEP_LINE=7
# shellcheck disable=SC2034 # used by python-ctypes.test.sh
DEMO_TEMP_LINE=10
DEMO_CTOR_LINE=17
cat > demo.c <<'C'
#include <stdlib.h>
#include <string.h>

/* Kept until exit: one trace of 1000 bytes at DEMO_KEEP_LINE. */
void *volatile demo_kept;
void demo_keep(void) {
  demo_kept = malloc(1000);
}
void *demo_temp(size_t n) {
  return calloc(1, n);
}
void demo_free(void *p) { free(p); }

/* A constructor's block: traced too, whatever loads the library. */
void *volatile demo_boot;
__attribute__((constructor)) static void demo_init(void) {
  demo_boot = malloc(500);
}
C
"$TMCC" -shared -fPIC -O1 -o libdemo.so demo.c

# check_demo_dump WHAT DUMP: the dump holds the kept block and the
# constructor's block, each at its demo.c line, once.
check_demo_dump() {
  local stats
  stats=$("$TM_CLI" stats "$2")
  expect_match "$1: demo.c:$DEMO_KEEP_LINE traced once" \
    "/demo\.c:$DEMO_KEEP_LINE: size=1000 B, count=1, average=1000 B$" "$stats"
  expect_eq "$1: one demo.c:$DEMO_KEEP_LINE line" 1 \
    "$(grep -c "demo\.c:$DEMO_KEEP_LINE:" <<<"$stats")"
  expect_match "$1: constructor's block at demo.c:$DEMO_CTOR_LINE" \
    "/demo\.c:$DEMO_CTOR_LINE: size=500 B, count=1, average=500 B$" "$stats"
}
