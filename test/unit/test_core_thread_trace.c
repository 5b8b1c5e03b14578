/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_thread_trace.c - every trace records its allocating thread
 * (runtime/core/thread_registry.h), with exact values: two named threads
 * allocating from the same site give one statistic group (CPython's
 * grouping by frames) but two threads in the snapshot's table, each trace
 * naming its own; the thread filter keeps one thread by name or by kernel
 * id; a thread that ended keeps the name it had when it exited; a live
 * thread's name is read when the snapshot is taken; tm_clear_traces
 * forgets the threads with the traces.
 *
 * Threads are created before tracing starts: glibc's pthread_create
 * allocates, and the static runtime interposes malloc. */
#define _GNU_SOURCE // pthread_setname_np
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "check_valid.h"
#include "internal.h"
#include "tracemalloc.h"

static const struct tm_site s_a = {"a.c", "f", NULL, 7, 0, 0, 0};

static pthread_barrier_t barrier;

typedef struct worker {
  const char *name;
  int n;
  size_t size;
  uintptr_t base;
  int64_t tid;
} worker_t;

static void *run(void *arg) {
  worker_t *w = arg;
  w->tid = (int64_t)syscall(SYS_gettid);
  pthread_setname_np(pthread_self(), w->name);
  pthread_barrier_wait(&barrier); // tracing started
  for (int i = 0; i < w->n; i++)
    tm_core_on_alloc((void *)(w->base + 64 * (uintptr_t)i), w->size, &s_a);
  pthread_barrier_wait(&barrier); // main takes a snapshot
  pthread_barrier_wait(&barrier);
  // Renamed just before it ends: the name it exits with is the one kept.
  pthread_setname_np(pthread_self(), "last-name");
  return NULL;
}

/* One traced block of 1 byte, on a thread of its own. */
static void *one_alloc(void *arg) {
  worker_t *w = arg;
  tm_core_on_alloc((void *)w->base, w->size, &s_a);
  return NULL;
}

static const tm_thread_info_t *find(const tm_snapshot_t *s, const char *name,
                                    uint32_t *number) {
  size_t n;
  const tm_thread_info_t *t = tm_snapshot_threads(s, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0) {
      *number = (uint32_t)i + 1;
      return &t[i];
    }
  return NULL;
}

/* Traces and bytes that the filter keeps. */
static void kept(const tm_snapshot_t *s, const tm_filter_t *f, size_t *count,
                 size_t *bytes) {
  tm_snapshot_t *k = NULL;
  CHECK_EQ_INT(tm_snapshot_filter_traces(s, f, 1, &k), TM_OK);
  *count = tm_snapshot_count(k);
  *bytes = 0;
  for (size_t i = 0; i < *count; i++)
    *bytes += tm_snapshot_traces(k)[i].size;
  // The derived snapshot keeps the whole thread table.
  size_t n0, n1;
  tm_snapshot_threads(s, &n0);
  tm_snapshot_threads(k, &n1);
  CHECK_EQ_INT(n1, n0);
  tm_snapshot_free(k);
}

int main(void) {
  worker_t wa = {"ta", 3, 10, 0x100000, 0}, wb = {"tb", 2, 20, 0x200000, 0};
  pthread_t ta, tb;
  pthread_barrier_init(&barrier, NULL, 3);
  pthread_create(&ta, NULL, run, &wa);
  pthread_create(&tb, NULL, run, &wb);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier); // both allocated

  tm_snapshot_t *s = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&s), TM_OK);
  size_t nthreads;
  tm_snapshot_threads(s, &nthreads);
  CHECK_EQ_INT(nthreads, 2); // main has not allocated
  uint32_t na = 0, nb = 0;
  const tm_thread_info_t *a = find(s, "ta", &na), *b = find(s, "tb", &nb);
  CHECK(a && b);
  CHECK_EQ_INT(a->tid, wa.tid);
  CHECK_EQ_INT(b->tid, wb.tid);
  CHECK(!a->ended && !b->ended);
  CHECK_EQ_INT(tm_snapshot_count(s), 5);
  size_t per[3] = {0, 0, 0};
  for (size_t i = 0; i < 5; i++) {
    const tm_trace_t *t = &tm_snapshot_traces(s)[i];
    CHECK(t->thread == na || t->thread == nb);
    CHECK_EQ_INT(t->size, t->thread == na ? 10 : 20);
    per[t->thread] += t->size;
    // One snapshot traceback for the one stack of both threads.
    CHECK(t->traceback == tm_snapshot_traces(s)[0].traceback);
  }
  CHECK_EQ_INT(per[na], 30);
  CHECK_EQ_INT(per[nb], 40);
  tm_statistics_t *st = NULL;
  CHECK_EQ_INT(tm_snapshot_statistics(s, TM_KEY_TRACEBACK, false, &st), TM_OK);
  CHECK_EQ_INT(tm_statistics_count(st), 1);
  CHECK_EQ_INT(tm_statistics_items(st)[0].size, 70);
  CHECK_EQ_INT(tm_statistics_items(st)[0].count, 5);
  tm_statistics_free(st);

  size_t count, bytes;
  tm_filter_t f = {.kind = TM_FILTER_THREAD, .inclusive = true,
                   .thread_name = "tb"};
  kept(s, &f, &count, &bytes);
  CHECK_EQ_INT(count, 2);
  CHECK_EQ_INT(bytes, 40);
  f.thread_name = NULL;
  f.thread_id = wa.tid;
  kept(s, &f, &count, &bytes);
  CHECK_EQ_INT(count, 3);
  CHECK_EQ_INT(bytes, 30);
  f.inclusive = false; // exclusive: everything but thread a's
  kept(s, &f, &count, &bytes);
  CHECK_EQ_INT(count, 2);
  CHECK_EQ_INT(bytes, 40);
  f.inclusive = true;
  f.thread_name = "nobody";
  kept(s, &f, &count, &bytes);
  CHECK_EQ_INT(count, 0);
  tm_snapshot_free(s);
  CHECK_VALID();

  // A live thread renamed: the next snapshot reads the new name.
  pthread_setname_np(ta, "ta-renamed");
  CHECK_EQ_INT(tm_take_snapshot(&s), TM_OK);
  CHECK(find(s, "ta-renamed", &na) != NULL);
  tm_snapshot_free(s);

  pthread_barrier_wait(&barrier); // the workers rename themselves and end
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK_EQ_INT(tm_take_snapshot(&s), TM_OK);
  tm_snapshot_threads(s, &nthreads);
  CHECK_EQ_INT(nthreads, 2);
  const tm_thread_info_t *t = tm_snapshot_threads(s, &nthreads);
  for (size_t i = 0; i < 2; i++) {
    CHECK(t[i].ended);
    CHECK_EQ_STR(t[i].name, "last-name");
  }
  tm_snapshot_free(s);

  // Clearing the traces forgets the threads; the next allocation
  // registers its thread again.
  tm_clear_traces();
  CHECK_EQ_INT(tm_take_snapshot(&s), TM_OK);
  tm_snapshot_threads(s, &nthreads);
  CHECK_EQ_INT(nthreads, 0);
  tm_snapshot_free(s);
  tm_core_on_alloc((void *)0x300000, 5, &s_a);
  CHECK_EQ_INT(tm_take_snapshot(&s), TM_OK);
  t = tm_snapshot_threads(s, &nthreads);
  CHECK_EQ_INT(nthreads, 1);
  CHECK_EQ_INT(t[0].tid, (int64_t)syscall(SYS_gettid));
  CHECK(!t[0].ended);
  CHECK_EQ_INT(tm_snapshot_traces(s)[0].thread, 1);
  tm_snapshot_free(s);
  CHECK_VALID();

  // The registry keeps TM_THREAD_REGISTRY_MAX (4096) threads per epoch:
  // main is one, 4095 more get an entry, the 5 after them none.
  enum { MORE = 4095 + 5 };
  for (int i = 0; i < MORE; i++) {
    worker_t w = {"many", 1, 1, 0x10000000 + 64 * (uintptr_t)i, 0};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, one_alloc, &w), 0);
    pthread_join(th, NULL);
  }
  CHECK_EQ_INT(tm_take_snapshot(&s), TM_OK);
  tm_snapshot_threads(s, &nthreads);
  CHECK_EQ_INT(nthreads, 4096);
  size_t none = 0, theirs = 0;
  for (size_t i = 0; i < tm_snapshot_count(s); i++) {
    const tm_trace_t *x = &tm_snapshot_traces(s)[i];
    if (x->size != 1)
      continue; // pthread_create's own allocations, on main
    theirs++;
    none += x->thread == TM_THREAD_NONE;
  }
  CHECK_EQ_INT(theirs, MORE);
  CHECK_EQ_INT(none, 5);
  tm_snapshot_free(s);
  tm_stop();
  return CHECK_DONE();
}
