# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# -fsanitize=memory: MSan needs every byte it sees written by instrumented
# code, so the runtime variant libtracemalloc-msan is compiled with MSan. A
# traced program (hooks, interning, snapshots, the dump at exit) runs clean,
# and MSan still reports a read of uninitialised heap memory.
source "$TM_HOSTS/lib.sh"

cat >prog.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracemalloc.h>
char *kept[3];
static void *worker(void *arg) {
  for (int i = 0; i < 1000; i++)
    free(realloc(malloc(8 + (size_t)i), 64));
  return arg;
}
int main(int argc, char **argv) {
  kept[0] = malloc(100);
  kept[1] = calloc(4, 10);
  kept[2] = strdup("uninstrumented strdup");
  if (argc > 1 && strcmp(argv[1], "uninit") == 0) {
    if (kept[0][7])
      puts("nonzero");
    return 0;
  }
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  tm_snapshot_t *s = NULL;
  if (tm_take_snapshot(&s) != TM_OK)
    return 3;
  tm_snapshot_free(s);
  pthread_join(t, NULL);
  return kept[1][39];
}
C
"$TMCC" -fsanitize=memory -g -O1 -o prog prog.c

rc=0; out=$(TRACEMALLOC=25 TRACEMALLOC_DUMP=m.tmd ./prog 2>&1) || rc=$?
expect_eq "exit code" 0 "$rc"
expect_no_match "no MemorySanitizer report" "MemorySanitizer" "$out"
stats=$("$TM_CLI" stats m.tmd)
expect_match "malloc traced at prog.c:13" "prog\.c:13: size=100 B, count=1, average=100 B" "$stats"
expect_match "calloc traced at prog.c:14" "prog\.c:14: size=40 B, count=1, average=40 B" "$stats"
expect_match "strdup traced at prog.c:15" "prog\.c:15: size=22 B, count=1, average=22 B" "$stats"

rc=0; out=$(TRACEMALLOC=25 ./prog uninit 2>&1) || rc=$?
expect_eq "uninitialised read fails the program" 1 "$rc"
expect_match "uninitialised read reported" "WARNING: MemorySanitizer: use-of-uninitialized-value" "$out"
expect_match "at the program's line" "in main .*prog\.c:17" "$out"
