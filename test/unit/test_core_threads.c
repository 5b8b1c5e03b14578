/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_threads.c - concurrent tm_track/tm_untrack and hook-path
 * recording from 8 threads: exact current and peak at every barrier, in
 * domain 0 (sharded) and in other domains; then a churn phase racing with
 * snapshots, clear_traces and reset_peak (no exact values: run under TSan
 * and ASan for the races and the lifetimes).
 *
 * Threads are created before tracing starts: glibc's pthread_create
 * allocates, and the static runtime interposes malloc. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "check.h"
#include "check_valid.h"
#include "internal.h"
#include "shadow_chain.h"
#include "tracemalloc.h"

enum { NTHREADS = 8, N = 20000 };

static pthread_barrier_t barrier;
static _Atomic int stop_churn;
static _Atomic int failures;

static const struct tm_site s_a = {"a.c", "a", NULL, 1, 0, 0, 0};
static const struct tm_site s_b = {"b.c", "b", NULL, 2, 0, 0, 0};
static const struct tm_site s_c = {"c.c", "c", &s_a, 3, 0, TM_SITE_OWN_FRAME,
                                   0};

static uintptr_t key(int t, int i) { return ((uintptr_t)t << 40) | (i * 16); }

static void phase_exact(int t) {
  unsigned domain = t % 2 ? 0 : 100 + t; // half in domain 0, half not
  size_t size = (size_t)t + 1;
  for (int i = 0; i < N; i++)
    if (tm_track(domain, key(t, i), size) != 0)
      atomic_fetch_add(&failures, 1);
  pthread_barrier_wait(&barrier); // main checks: all tracked
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < N; i += 2)
    tm_untrack(domain, key(t, i));
  pthread_barrier_wait(&barrier); // main checks: half untracked
  pthread_barrier_wait(&barrier); // main reset the peak
  for (int i = 1; i < N; i += 2)  // replace size -> 2*size
    tm_track(domain, key(t, i), 2 * size);
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
}

/* Hook-path recording with per-thread shadow stacks, racing with the main
 * thread's snapshots and clears. */
static void phase_churn(int t) {
  // Records in this frame: a (the bottom), b, c; the top d records deep.
  struct tm_frame_record rec[3] = {
      {&rec[1], &s_c}, {&rec[2], &s_b}, {NULL, &s_a}};
  const struct tm_frame_record *saved = __tm_shadow_top;
  for (unsigned n = 0; !atomic_load(&stop_churn); n++) {
    __tm_shadow_top = &rec[2 - n % 3];
    void *p = (void *)key(t, (int)(n % 1024) + 1);
    tm_core_on_alloc(p, 16, n % 2 ? &s_c : &s_b);
    if (n % 3 == 0)
      tm_core_on_realloc(p, (char *)p + 8, 32, &s_a);
    tm_track(7, (uintptr_t)p, 1);
    if (n % 5 == 0) {
      tm_core_on_free(p);
      tm_core_on_free((char *)p + 8);
      tm_untrack(7, (uintptr_t)p);
    }
  }
  __tm_shadow_top = saved;
}

static void *worker(void *arg) {
  int t = (int)(intptr_t)arg;
  pthread_barrier_wait(&barrier); // tracing started
  phase_exact(t);
  phase_churn(t);
  pthread_barrier_wait(&barrier);
  return NULL;
}

static void check_traced(size_t cur, size_t peak, int line) {
  size_t c, p;
  tm_get_traced_memory(&c, &p);
  if (c != cur || p != peak)
    fprintf(stderr, "line %d: (%zu, %zu) want (%zu, %zu)\n", line, c, p, cur,
            peak);
  CHECK(c == cur && p == peak);
}

int main(void) {
  pthread_t th[NTHREADS];
  tmt_register_site(&s_a);
  tmt_register_site(&s_b);
  tmt_register_site(&s_c);
  pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
  for (int t = 0; t < NTHREADS; t++)
    pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
  CHECK_EQ_INT(tm_start(4), TM_OK);
  pthread_barrier_wait(&barrier);

  size_t all = 0, half = 0;
  for (int t = 0; t < NTHREADS; t++) {
    all += (size_t)N * (t + 1);
    half += (size_t)(N / 2) * (t + 1);
  }
  pthread_barrier_wait(&barrier);
  check_traced(all, all, __LINE__);
  CHECK_VALID(); // the workers wait at the barrier
  CHECK_EQ_INT(atomic_load(&failures), 0);
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  check_traced(half, all, __LINE__);
  tm_reset_peak();
  check_traced(half, half, __LINE__);
  CHECK_VALID();
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  check_traced(all, all, __LINE__); // each replace raised current
  CHECK_VALID();
  pthread_barrier_wait(&barrier);

  int snaps = 0;
  for (int k = 0; k < 200; k++) {
    tm_snapshot_t *snap = NULL;
    if (tm_take_snapshot(&snap) == TM_OK)
      snaps++;
    size_t n = tm_snapshot_count(snap), sum = 0;
    for (size_t i = 0; i < n; i++)
      sum += tm_snapshot_traces(snap)[i].size;
    tm_snapshot_info_t info = {.size = sizeof info};
    tm_snapshot_get_info(snap, &info);
    if (info.traced_current != sum) // the snapshot is one consistent cut
      atomic_fetch_add(&failures, 1);
    tm_snapshot_free(snap);
    if (k % 10 == 0)
      tm_clear_traces();
    if (k % 7 == 0)
      tm_reset_peak();
  }
  atomic_store(&stop_churn, 1);
  CHECK_EQ_INT(snaps, 200);
  CHECK_EQ_INT(atomic_load(&failures), 0);
  pthread_barrier_wait(&barrier);
  tm_stop();
  for (int t = 0; t < NTHREADS; t++)
    pthread_join(th[t], NULL);
  check_traced(0, 0, __LINE__);
  CHECK_VALID();
  return CHECK_DONE();
}
