# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Leak detection still works with tracemalloc: standalone LeakSanitizer
# (-fsanitize=leak, runtime variant libtracemalloc-lsan) and ASan's. The
# runtime keeps its traces in its own mmap'ed memory, which LSan does not
# scan, so a traced block is no more "reachable" than an untraced one.
source "$TM_HOSTS/lib.sh"

cat >prog.c <<'C'
#include <stdlib.h>
#include <string.h>
char *kept;
static void leak(void) {
  char *lost = malloc(100);
  memset(lost, 2, 100);
}
int main(void) {
  kept = malloc(33);
  leak();
  return 0;
}
C

# LSan's exit code is 23; under ASan, ASan's (1).
for san in leak:23 address:1; do
  want=${san#*:} san=${san%:*}
  "$TMCC" "-fsanitize=$san" -g -O0 -o "prog_$san" prog.c
  rc=0; out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=$san.tmd "./prog_$san" 2>&1) || rc=$?
  expect_eq "$san: exit code" "$want" "$rc"
  expect_match "$san: leak report" "ERROR: LeakSanitizer: detected memory leaks" "$out"
  expect_match "$san: the lost block" "Direct leak of 100 byte\(s\) in 1 object\(s\) allocated from" "$out"
  expect_match "$san: allocation site" "in leak .*prog\.c:5" "$out"
  expect_no_match "$san: the kept block is not a leak" "33 byte" "$out"
  stats=$("$TM_CLI" stats "$san.tmd")
  expect_match "$san: lost block traced" "prog\.c:5: size=100 B, count=1, average=100 B" "$stats"
  expect_match "$san: kept block traced" "prog\.c:9: size=33 B, count=1, average=33 B" "$stats"
done
