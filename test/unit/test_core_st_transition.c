/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_st_transition.c - the single-threaded fast path (trace_table.c)
 * and the switch to locking: the main thread records and removes traces
 * while the process has one thread (no locks, plain counter stores), then
 * creates threads that remove those traces and add their own while the main
 * thread keeps going (locks, atomics). current and peak stay exact across
 * the switch, every trace is where it should be; under TSan, no report (the
 * lock-free accesses all happen before pthread_create). */
#include <pthread.h>
#include <stdint.h>

#include "check.h"
#include "internal.h"
#include "tracemalloc.h"

/* N is large enough that, were the workers to skip the locks, TSan reports
 * it (checked): with a few thousand blocks the raw allocator's locks, taken
 * as the tables grow, order most accesses and hide such races. */
enum { NTHREADS = 3, N = 30000 };

static const struct tm_site s_main = {"main.c", "main", NULL, 1, 0, 0, 0};
static const struct tm_site s_thr = {"thr.c", "thr", NULL, 2, 0, 0, 0};

/* Fake block addresses (never dereferenced): main's blocks, then one range
 * per thread. */
static uintptr_t addr(int who, int i) {
  return 0x100000 + (uintptr_t)who * 0x1000000 + (uintptr_t)i * 32;
}

static pthread_barrier_t barrier;

static void *worker(void *arg) {
  int t = (int)(intptr_t)arg;
  pthread_barrier_wait(&barrier);
  // Free this thread's share of main's blocks (recorded lock-free)...
  for (int i = t; i < N; i += NTHREADS)
    tm_core_on_free((void *)addr(0, i));
  // ...and add N blocks of 3 bytes of its own, remove half of them.
  for (int i = 0; i < N; i++)
    tm_core_on_alloc((void *)addr(1 + t, i), 3, &s_thr);
  for (int i = 0; i < N; i += 2)
    tm_core_on_free((void *)addr(1 + t, i));
  pthread_barrier_wait(&barrier);
  return NULL;
}

int main(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  size_t cur, peak;
  // Single-threaded: N blocks of 5 bytes, N/2 removed and re-added, one
  // replaced in place (size 5 -> 9).
  for (int i = 0; i < N; i++)
    tm_core_on_alloc((void *)addr(0, i), 5, &s_main);
  for (int i = 0; i < N; i += 2)
    tm_core_on_free((void *)addr(0, i));
  for (int i = 0; i < N; i += 2)
    tm_core_on_alloc((void *)addr(0, i), 5, &s_main);
  tm_core_on_alloc((void *)addr(0, 7), 9, &s_main);
  tm_get_traced_memory(&cur, &peak);
  CHECK_EQ_INT(cur, (size_t)N * 5 + 4);
  CHECK_EQ_INT(peak, (size_t)N * 5 + 4);
  tm_traceback_t *tb = NULL;
  CHECK_EQ_INT(tm_get_traceback(0, addr(0, 7), &tb), TM_OK);
  CHECK(tb && tm_traceback_frames(tb)[0].lineno == 1);
  tm_traceback_free(tb);

  // Threads: tracing goes on with locks (tm_start came first, so their
  // creation's own allocations are traced by the interposed malloc: count
  // the program's view from here on as deltas of what we add).
  pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
  pthread_t th[NTHREADS];
  for (int t = 0; t < NTHREADS; t++)
    pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
  size_t before;
  tm_get_traced_memory(&before, NULL);
  before -= (size_t)N * 5 + 4; // what pthread_create itself allocated
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  for (int t = 0; t < NTHREADS; t++)
    pthread_join(th[t], NULL);
  tm_get_traced_memory(&cur, &peak);
  // Main's blocks are all gone; each thread keeps N/2 blocks of 3 bytes.
  // (pthread_join may free what pthread_create allocated: at most that.)
  CHECK(cur <= before + (size_t)NTHREADS * (N / 2) * 3);
  CHECK(cur >= (size_t)NTHREADS * (N / 2) * 3);
  CHECK(peak >= cur);
  for (int t = 0; t < NTHREADS; t++) {
    tb = NULL;
    CHECK_EQ_INT(tm_get_traceback(0, addr(1 + t, 1), &tb), TM_OK);
    CHECK(tb && tm_traceback_frames(tb)[0].lineno == 2);
    tm_traceback_free(tb);
    tb = (tm_traceback_t *)&tb;
    CHECK_EQ_INT(tm_get_traceback(0, addr(1 + t, 0), &tb), TM_OK);
    CHECK(tb == NULL);
  }
  tb = (tm_traceback_t *)&tb;
  CHECK_EQ_INT(tm_get_traceback(0, addr(0, 7), &tb), TM_OK);
  CHECK(tb == NULL);
  tm_stop();
  return CHECK_DONE();
}
