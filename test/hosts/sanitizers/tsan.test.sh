# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# -fsanitize=thread: the runtime variant libtracemalloc-tsan is compiled with
# TSan, so TSan sees its locks and atomics; no race may be reported inside
# it while threads allocate, free each other's blocks and the main thread
# takes snapshots, all with tracing on. TSan itself must still work.
source "$TM_HOSTS/lib.sh"

cat >prog.c <<'C'
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <tracemalloc.h>
#define NT 4
#define N 4000
static _Atomic(void *) shared[64]; /* blocks handed between threads */
static atomic_int done;
static int racy;
static void *worker(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < N; i++) {
    void *p = malloc(16 + (size_t)(i % 64));
    free(atomic_exchange(&shared[(i * 7 + id) % 64], p));
    if (i % 256 == 0) {
      char *s = strdup("uninstrumented strdup"); /* traced via TSan's hook */
      free(s);
    }
  }
  /* relaxed: no happens-before edge to the snapshots (join gives it) */
  atomic_fetch_add_explicit(&done, 1, memory_order_relaxed);
  return NULL;
}
static void *racer(void *arg) {
  racy++;
  return arg;
}
int main(int argc, char **argv) {
  pthread_t t[NT];
  if (argc > 1 && strcmp(argv[1], "race") == 0) {
    pthread_create(&t[0], NULL, racer, NULL);
    racy++;
    pthread_join(t[0], NULL);
    return 0;
  }
  /* Recorded while single-threaded (the trace table's lock-free path),
   * freed by the workers. */
  for (int i = 0; i < 64; i++)
    atomic_store(&shared[i], malloc(8));
  for (long i = 0; i < NT; i++)
    pthread_create(&t[i], NULL, worker, (void *)i);
  int snaps = 0;
  while (atomic_load_explicit(&done, memory_order_relaxed) < NT || snaps < 3) {
    tm_snapshot_t *s = NULL;
    if (tm_take_snapshot(&s) != TM_OK)
      return 3;
    tm_snapshot_free(s);
    size_t cur, peak;
    tm_get_traced_memory(&cur, &peak);
    if (snaps % 8 == 0)
      tm_reset_peak();
    snaps++;
  }
  for (int i = 0; i < NT; i++)
    pthread_join(t[i], NULL);
  return 0;
}
C
"$TMCC" -fsanitize=thread -g -O1 -o prog prog.c

rc=0; out=$(TRACEMALLOC=25 TRACEMALLOC_DUMP=t.tmd ./prog 2>&1) || rc=$?
expect_eq "exit code" 0 "$rc"
expect_no_match "no ThreadSanitizer report" "WARNING: ThreadSanitizer" "$out"
# Each of the 64 hand-over slots holds one live block at exit.
expect_match "live blocks traced at prog.c:14" "prog\.c:14: size=[0-9.]+ [KM]?i?B, count=64," \
  "$("$TM_CLI" stats t.tmd)"

rc=0; out=$(TRACEMALLOC=25 ./prog race 2>&1) || rc=$?
expect_eq "a real race still fails the program" 66 "$rc"
expect_match "a real race is still reported" "WARNING: ThreadSanitizer: data race" "$out"
expect_match "the race is in the program" "racer .*prog\.c:26" "$out"
