/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_history.c - the allocation history per traceback and the peak
 * (issue 12 parts 1 and 2), with exact values: calls, bytes, frees,
 * temporary allocations, realloc, clear, stop, reset_peak, the live set at
 * the peak (also when current only returns to the peak), and two threads
 * allocating from one site and freeing each other's blocks; the
 * counter entries' layout (one per id, lines of their own). Fake pointers:
 * the core never dereferences them. */
#define _GNU_SOURCE // pthread_setname_np
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "check_valid.h"
#include "history.h"
#include "internal.h"
#include "thread_registry.h"
#include "tracemalloc.h"

static const struct tm_site s_a = {"h.c", "a", NULL, 1, 0, 0, 0};
static const struct tm_site s_b = {"h.c", "b", NULL, 2, 0, 0, 0};
static const struct tm_site s_r = {"h.c", "r", NULL, 3, 0, 0, 0};
static const struct tm_site s_peak = {"peak.c", "peak_now", NULL, 9, 0, 0, 0};

#define P(n) ((void *)(uintptr_t)(0x10000 + (n) * 0x100))

/* The history of h.c:line in a new snapshot (zeros if none). */
static tm_history_t hist_of(unsigned line) {
  tm_history_t r;
  memset(&r, 0, sizeof r);
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  size_t n;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  CHECK(h != NULL);
  for (size_t i = 0; h && i < n; i++) {
    const tm_frame_t *f = tm_traceback_frames(h[i].traceback);
    if (strcmp(f[0].filename, "h.c") == 0 && f[0].lineno == line) {
      r = h[i];
      r.traceback = NULL;
      CHECK_EQ_INT(tm_snapshot_traceback_history(snap, h[i].traceback, &r),
                   TM_OK);
      r.traceback = NULL;
    }
  }
  tm_snapshot_free(snap);
  return r;
}

/* Number of h.c records in a new snapshot. */
static size_t hist_count(void) {
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  size_t n, k = 0;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  for (size_t i = 0; h && i < n; i++)
    if (strcmp(tm_traceback_frames(h[i].traceback)[0].filename, "h.c") == 0)
      k++;
  tm_snapshot_free(snap);
  return k;
}

#define CHECK_HIST(line, c, a, f, t, ps, pc)                                   \
  do {                                                                         \
    tm_history_t h_ = hist_of(line);                                           \
    CHECK_EQ_INT(h_.calls, c);                                                 \
    CHECK_EQ_INT(h_.allocated, a);                                             \
    CHECK_EQ_INT(h_.frees, f);                                                 \
    CHECK_EQ_INT(h_.temporary, t);                                             \
    CHECK_EQ_INT(h_.peak_size, ps);                                            \
    CHECK_EQ_INT(h_.peak_count, pc);                                           \
  } while (0)

static void test_counters(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc(P(1), 10, &s_a);
  tm_core_on_alloc(P(2), 20, &s_a);
  tm_core_on_alloc(P(3), 30, &s_a); // current 60: the peak
  tm_core_on_free(P(3));            // the last allocation: temporary
  tm_core_on_free(P(1));            // not the last one: not temporary
  tm_core_on_alloc(P(4), 5, &s_b);
  tm_core_on_free(P(4)); // temporary
  tm_core_on_free(P(4)); // untraced now: nothing
  tm_core_on_alloc(P(5), 7, &s_b);
  tm_core_on_alloc(P(6), 1, &s_a);
  tm_core_on_free(P(5)); // another allocation came between: not temporary
  CHECK_HIST(1, 4, 61, 2, 1, 60, 3);
  CHECK_HIST(2, 2, 12, 2, 1, 0, 0);
  size_t cur, peak;
  tm_get_traced_memory(&cur, &peak);
  CHECK(cur == 21 && peak == 60);
  // The history stays after every block is freed.
  tm_core_on_free(P(2));
  tm_core_on_free(P(6)); // still the thread's last allocation: temporary
  CHECK_HIST(1, 4, 61, 4, 2, 60, 3);
  CHECK_VALID();
  // tm_clear_traces forgets it, as it forgets the traces.
  tm_clear_traces();
  CHECK_EQ_INT(hist_count(), 0);
  tm_core_on_alloc(P(1), 8, &s_a);
  CHECK_HIST(1, 1, 8, 0, 0, 8, 1);
  // So does tm_stop.
  tm_stop();
  CHECK_EQ_INT(tm_start(1), TM_OK);
  CHECK_EQ_INT(hist_count(), 0);
  tm_core_on_free(P(1)); // from before the stop: untraced
  CHECK_EQ_INT(hist_count(), 0);
  tm_stop();
}

static void test_peak(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  // A peak mid-run, then lower.
  tm_core_on_alloc(P(1), 100, &s_a);
  tm_core_on_alloc(P(2), 50, &s_b);
  tm_core_on_free(P(1));
  tm_core_on_alloc(P(3), 60, &s_a); // 110 < 150
  CHECK_HIST(1, 2, 160, 1, 0, 100, 1);
  CHECK_HIST(2, 1, 50, 0, 0, 50, 1);
  // current returns to the peak exactly: the latest time counts.
  tm_core_on_alloc(P(4), 40, &s_b); // 150 == peak
  CHECK_HIST(1, 2, 160, 1, 0, 60, 1);
  CHECK_HIST(2, 2, 90, 0, 0, 90, 2);
  // A new peak.
  tm_core_on_alloc(P(5), 1, &s_a); // 151
  tm_core_on_free(P(2));
  CHECK_HIST(1, 3, 161, 1, 0, 61, 2);
  CHECK_HIST(2, 2, 90, 1, 0, 90, 2);
  // reset_peak: the live set now.
  tm_reset_peak();
  CHECK_HIST(1, 3, 161, 1, 0, 61, 2);
  CHECK_HIST(2, 2, 90, 1, 0, 40, 1);
  size_t cur, peak;
  tm_get_traced_memory(&cur, &peak);
  CHECK(cur == 101 && peak == 101);
  // The peak snapshot: per-traceback sums and counts exact.
  tm_core_on_alloc(P(6), 3, &s_b); // 104: new peak
  tm_core_on_free(P(3));
  tm_snapshot_t *ps = NULL;
  CHECK_EQ_INT(tm_take_peak_snapshot(&ps), TM_OK);
  tm_statistics_t *st = NULL;
  CHECK_EQ_INT(tm_snapshot_statistics(ps, TM_KEY_LINENO, false, &st), TM_OK);
  size_t n = tm_statistics_count(st), found = 0;
  const tm_statistic_t *it = tm_statistics_items(st);
  for (size_t i = 0; i < n; i++) {
    const tm_frame_t *f = tm_traceback_frames(it[i].traceback);
    if (strcmp(f[0].filename, "h.c") != 0)
      continue;
    found++;
    if (f[0].lineno == 1)
      CHECK(it[i].size == 61 && it[i].count == 2);
    else
      CHECK(f[0].lineno == 2 && it[i].size == 43 && it[i].count == 2);
  }
  CHECK_EQ_INT(found, 2);
  tm_statistics_free(st);
  tm_snapshot_free(ps);
  CHECK_VALID();
  tm_stop();
  CHECK_EQ_INT(tm_take_peak_snapshot(&ps), TM_ENOTTRACING);
}

static void test_realloc(void) {
  tm_core_realloc_token_t tok;
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc(P(1), 100, &s_a);
  // Moved: the old block's free (never temporary) and one allocation of
  // the new size at the realloc's site.
  tm_core_on_realloc(P(1), P(2), 300, &s_r); // 300: the peak, without P(1)
  CHECK_HIST(1, 1, 100, 1, 0, 0, 0);
  CHECK_HIST(3, 1, 300, 0, 0, 300, 1);
  // In place: the same.
  tm_core_on_realloc(P(2), P(2), 200, &s_r);
  CHECK_HIST(3, 2, 500, 1, 0, 300, 1);
  // begin/end, moved.
  tm_core_realloc_begin(P(2), &tok);
  tm_core_realloc_end(&tok, P(3), 400, &s_r);
  CHECK_HIST(3, 3, 900, 2, 0, 400, 1);
  // begin/end, failed: the old block is back, nothing counted.
  tm_core_realloc_begin(P(3), &tok);
  tm_core_realloc_end(&tok, NULL, 5000, &s_r);
  CHECK_HIST(3, 3, 900, 2, 0, 400, 1);
  // The block realloc made is the thread's last allocation: freeing it
  // now is temporary.
  tm_core_realloc_begin(P(3), &tok);
  tm_core_realloc_end(&tok, P(4), 10, &s_r);
  tm_core_on_free(P(4));
  CHECK_HIST(3, 4, 910, 4, 1, 400, 1);
  CHECK_VALID();
  tm_stop();
}

/* Two threads allocate from one site; each frees the other's blocks. */
enum { PER_THREAD = 20000 };
static pthread_barrier_t barrier;

static void *worker(void *arg) {
  uintptr_t base = (uintptr_t)arg;
  uintptr_t other = base == 0x1000000 ? 0x2000000 : 0x1000000;
  for (int i = 0; i < PER_THREAD; i++)
    tm_core_on_alloc((void *)(base + (uintptr_t)i * 16), 16, &s_a);
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < PER_THREAD; i += 2)
    tm_core_on_free((void *)(other + (uintptr_t)i * 16));
  return NULL;
}

/* Both workers, to the end. */
static void run_two_workers(void) {
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_t t1, t2;
  pthread_create(&t1, NULL, worker, (void *)(uintptr_t)0x1000000);
  pthread_create(&t2, NULL, worker, (void *)(uintptr_t)0x2000000);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  pthread_barrier_destroy(&barrier);
}

static void test_threads(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  run_two_workers();
  // The threads exited: their counters stay. The peak is when both had
  // allocated everything (the frees came after the barrier).
  CHECK_HIST(1, 2 * PER_THREAD, 2 * PER_THREAD * 16, PER_THREAD, 0,
             2 * PER_THREAD * 16, 2 * PER_THREAD);
  // A new thread: its own ids (a new index), summed with the others.
  pthread_barrier_init(&barrier, NULL, 1); // before the thread waits on it
  pthread_t t1;
  pthread_create(&t1, NULL, worker, (void *)(uintptr_t)0x3000000);
  pthread_join(t1, NULL);
  pthread_barrier_destroy(&barrier);
  // (Its frees find blocks already freed: untraced. Its allocations bring
  // current back to the peak: the peak's live set is the one now.)
  CHECK_HIST(1, 3 * PER_THREAD, 3 * PER_THREAD * 16, PER_THREAD, 0,
             2 * PER_THREAD * 16, 2 * PER_THREAD);
  CHECK_VALID();
  tm_stop();
}

/* Makes the peak now, with everything live at this moment: a 1 MiB block
 * allocated and freed (at peak.c, not h.c). A thread's start and end may
 * allocate and free through the traced malloc (ASan's pthread_create
 * does), which can put the peak before the thread's own block. */
static void peak_now(void) {
  tm_core_on_alloc(P(100), 1 << 20, &s_peak);
  tm_core_on_free(P(100));
}

static void *alloc_once(void *arg) {
  tm_core_on_alloc(arg, 16, &s_a);
  return NULL;
}

/* Each interned id's counters are its own cache lines (history.h), right
 * before its record: two threads on one site (two ids) share no line. */
static void test_entry_lines(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc(P(1), 16, &s_a);
  tm_core_on_alloc(P(2), 16, &s_b);
  pthread_t t1;
  pthread_create(&t1, NULL, alloc_once, P(3));
  pthread_join(t1, NULL);
  peak_now();
  // One thread now: nothing interns while the ids are read.
  uint32_t bound = tm_intern_id_bound();
  uint64_t bits[64] = {0};
  CHECK(bound < 64 * 64);
  tm_intern_mark_ids(bits);
  uintptr_t prev_end = 0;
  unsigned n = 0;
  for (uint32_t id = 1; id < bound; id++) {
    if (!(bits[id / 64] >> (id % 64) & 1))
      continue;
    uintptr_t e = (uintptr_t)tm_hist_entry(id);
    CHECK_EQ_INT(e % 64, 0);
    CHECK_EQ_INT((uintptr_t)tm_intern_get(id) - e, sizeof(tm_hist_entry_t));
    CHECK(e >= prev_end); // ids in region order: no overlap
    prev_end = (uintptr_t)tm_intern_get(id);
    n++;
  }
  CHECK(n >= 3); // a and b on this thread, a on the other
  // The other thread's id of s_a is not this thread's: different lines.
  CHECK_HIST(1, 2, 32, 0, 0, 32, 2);
  tm_core_on_free(P(3)); // a cross-thread free
  CHECK_HIST(1, 2, 32, 1, 0, 32, 2);
  CHECK_VALID();
  tm_stop();
}

static void *alloc_free_once(void *arg) {
  tm_core_on_alloc(arg, 16, &s_b);
  tm_core_on_free(arg);
  return NULL;
}

/* Past TM_THREAD_REGISTRY_MAX threads, threads have index 0 and share
 * their ids: those ids have no owner, every update takes the entry's lock
 * (history.h). Counts stay exact. */
static void test_thread_zero(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  for (int i = 0; i < TM_THREAD_REGISTRY_MAX; i++) {
    pthread_t t;
    pthread_create(&t, NULL, alloc_free_once, P(5));
    pthread_join(t, NULL);
  }
  // Every one was temporary (freed before its thread allocated again).
  tm_history_t h = hist_of(2);
  CHECK_EQ_INT(h.calls, TM_THREAD_REGISTRY_MAX);
  CHECK_EQ_INT(h.allocated, TM_THREAD_REGISTRY_MAX * 16);
  CHECK_EQ_INT(h.frees, TM_THREAD_REGISTRY_MAX);
  CHECK_EQ_INT(h.temporary, TM_THREAD_REGISTRY_MAX);
  run_two_workers(); // the registry is full: both are thread 0
  CHECK_HIST(1, 2 * PER_THREAD, 2 * PER_THREAD * 16, PER_THREAD, 0,
             2 * PER_THREAD * 16, 2 * PER_THREAD);
  CHECK_VALID();
  tm_stop();
}

/* A peak snapshot's traces carry their allocating thread (the history
 * has one record per traceback and thread). */
static void test_peak_threads(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc(P(1), 16, &s_a);
  pthread_t t1;
  pthread_create(&t1, NULL, alloc_once, P(3)); // 16 bytes at s_a too
  pthread_join(t1, NULL);
  tm_core_on_alloc(P(2), 48, &s_a);
  peak_now();
  tm_snapshot_t *peak = NULL;
  CHECK_EQ_INT(tm_take_peak_snapshot(&peak), TM_OK);
  size_t n = tm_snapshot_count(peak), nthreads = 0;
  const tm_trace_t *tr = tm_snapshot_traces(peak);
  tm_snapshot_threads(peak, &nthreads);
  CHECK(nthreads >= 2);
  size_t bytes[3] = {0}; // by thread number
  unsigned blocks[3] = {0};
  size_t mine = 0; // h.c's: the process may allocate too (pthread_create)
  for (size_t i = 0; i < n; i++) {
    if (strcmp(tm_traceback_frames(tr[i].traceback)[0].filename, "h.c") != 0)
      continue;
    mine++;
    CHECK(tr[i].thread >= 1 && tr[i].thread <= 2);
    if (tr[i].thread <= 2) {
      bytes[tr[i].thread] += tr[i].size;
      blocks[tr[i].thread]++;
    }
  }
  CHECK_EQ_INT(mine, 3);
  // This thread allocated first: it is thread 1 (64 bytes in 2 blocks).
  CHECK_EQ_INT(bytes[1], 64);
  CHECK_EQ_INT(blocks[1], 2);
  CHECK_EQ_INT(bytes[2], 16);
  CHECK_EQ_INT(blocks[2], 1);
  tm_snapshot_free(peak);
  tm_stop();
}

static void *named_alloc_free(void *arg) {
  pthread_setname_np(pthread_self(), "hworker");
  tm_core_on_alloc(arg, 24, &s_a);
  tm_core_on_alloc((char *)arg + 1, 8, &s_b);
  tm_core_on_free(arg); // not temporary: s_b came after
  return NULL;
}

/* Each history record carries its thread: one stack in two threads is two
 * records (issue 12 part 3), which the per-traceback sum and a thread
 * filter see; a peak snapshot of the snapshot keeps the threads. */
static void test_history_threads(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc(P(1), 16, &s_a);
  pthread_t t1;
  pthread_create(&t1, NULL, named_alloc_free, P(3));
  pthread_join(t1, NULL);
  peak_now();
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  size_t nthreads;
  const tm_thread_info_t *th = tm_snapshot_threads(snap, &nthreads);
  uint32_t worker = 0; // the worker's thread number
  for (size_t k = 0; k < nthreads; k++)
    if (strcmp(th[k].name, "hworker") == 0)
      worker = (uint32_t)k + 1;
  CHECK(worker >= 2);
  size_t n;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  unsigned a_records = 0;
  for (size_t i = 0; i < n; i++) {
    const tm_frame_t *f = tm_traceback_frames(h[i].traceback);
    if (strcmp(f[0].filename, "h.c") != 0)
      continue;
    if (f[0].lineno == 1) {
      a_records++;
      if (h[i].thread == worker)
        CHECK(h[i].calls == 1 && h[i].allocated == 24 && h[i].frees == 1 &&
              h[i].temporary == 0);
      else
        CHECK(h[i].thread == 1 && h[i].calls == 1 && h[i].allocated == 16 &&
              h[i].frees == 0);
    } else {
      CHECK_EQ_INT(h[i].thread, worker);
    }
  }
  CHECK_EQ_INT(a_records, 2);
  // The per-traceback sum is over both threads.
  CHECK_HIST(1, 2, 40, 1, 0, 16, 1);
  // A thread filter keeps the worker's records only; by name or by id.
  tm_filter_t by_name = {.kind = TM_FILTER_THREAD,
                         .inclusive = true,
                         .thread_name = "hworker"};
  tm_filter_t by_id = {.kind = TM_FILTER_THREAD,
                       .inclusive = true,
                       .thread_id = th[worker - 1].tid};
  tm_filter_t not_worker = by_name;
  not_worker.inclusive = false;
  const tm_filter_t *fs[] = {&by_name, &by_id, &not_worker};
  for (int f = 0; f < 3; f++) {
    tm_snapshot_t *flt = NULL;
    CHECK_EQ_INT(tm_snapshot_filter_traces(snap, fs[f], 1, &flt), TM_OK);
    const tm_history_t *fh = tm_snapshot_history(flt, &n);
    CHECK(fh != NULL);
    unsigned mine = 0;
    uint64_t calls = 0;
    for (size_t i = 0; fh && i < n; i++) {
      CHECK(f < 2 ? fh[i].thread == worker : fh[i].thread != worker);
      if (strcmp(tm_traceback_frames(fh[i].traceback)[0].filename, "h.c") ==
          0) {
        mine++;
        calls += fh[i].calls;
      }
    }
    CHECK_EQ_INT(mine, f < 2 ? 2 : 1); // worker: s_a and s_b; else s_a
    CHECK_EQ_INT(calls, f < 2 ? 2 : 1);
    tm_snapshot_free(flt);
  }
  // The peak of the snapshot: its traces carry the records' threads.
  tm_snapshot_t *pk = NULL;
  CHECK_EQ_INT(tm_snapshot_peak(snap, &pk), TM_OK);
  const tm_trace_t *tr = tm_snapshot_traces(pk);
  unsigned peak_mine = 0;
  for (size_t i = 0; i < tm_snapshot_count(pk); i++)
    if (strcmp(tm_traceback_frames(tr[i].traceback)[0].filename, "h.c") ==
        0) {
      peak_mine++;
      CHECK(tr[i].thread == (tr[i].size == 16 ? 1u : worker));
    }
  CHECK_EQ_INT(peak_mine, 2); // P(1) (16 B) and the worker's 8 B
  tm_snapshot_free(pk);
  tm_snapshot_free(snap);
  tm_core_on_free(P(1));
  tm_core_on_free((char *)P(3) + 1);
  tm_stop();
}

int main(void) {
  test_entry_lines();
  test_peak_threads();
  test_history_threads();
  test_counters();
  test_peak();
  test_realloc();
  test_threads();
  test_thread_zero();
  return CHECK_DONE();
}
