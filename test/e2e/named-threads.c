// Two named threads allocate from the same line (issue 12, threads): the
// snapshot records each trace's thread and each thread's kernel id and
// name; `tracemalloc threads` splits the live memory by thread,
// `--thread NAME` keeps one thread's traces in any report (history and peak
// too: the history is per line and thread), and the C API's
// thread filter does the same in process. Statistics still group by frames
// only: the shared line is one group of both threads' blocks.
// REQUIRES: runtime, cli
// RUN: %clang_tm -O1 %s -o %t -lpthread
// RUN: rm -f %t.tmd %t.json
// RUN: env TRACEMALLOC=1 TRACEMALLOC_DUMP=%t.tmd %t | FileCheck %s --check-prefix=API
// RUN: %tracemalloc threads %t.tmd | FileCheck %s --check-prefix=THREADS
// RUN: %tracemalloc top %t.tmd --thread worker-b --limit 1 | FileCheck %s --check-prefix=TOPB
// RUN: %tracemalloc stats %t.tmd --limit 1 | FileCheck %s --check-prefix=STATS
// RUN: %tracemalloc history %t.tmd --thread worker-a | FileCheck %s --check-prefix=HISTA
// RUN: %tracemalloc history %t.tmd --include '*named-threads.c' | FileCheck %s --check-prefix=HISTALL
// RUN: %tracemalloc peak %t.tmd --thread worker-b | FileCheck %s --check-prefix=PEAKB
// RUN: %tracemalloc export %t.tmd -o %t.json
// RUN: %tracemalloc threads %t.json | FileCheck %s --check-prefix=THREADS
#define _GNU_SOURCE // pthread_setname_np
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracemalloc.h>

static void *volatile keep[8];

__attribute__((noinline)) void *grab(size_t n) {
  return malloc(n); // the one line both threads allocate from
}

typedef struct job {
  const char *name;
  size_t size;
  int count, first;
} job_t;

static void *worker(void *arg) {
  job_t *j = arg;
  pthread_setname_np(pthread_self(), j->name);
  for (int i = 0; i < j->count; i++)
    keep[j->first + i] = grab(j->size);
  return NULL;
}

/* Live traces of the thread named `name`, through the C API filter. */
static void by_name(const tm_snapshot_t *snap, const char *name) {
  tm_filter_t f = {.kind = TM_FILTER_THREAD, .inclusive = true,
                   .thread_name = name};
  tm_snapshot_t *kept = NULL;
  if (tm_snapshot_filter_traces(snap, &f, 1, &kept) != TM_OK)
    exit(1);
  size_t n = tm_snapshot_count(kept), size = 0;
  const tm_trace_t *t = tm_snapshot_traces(kept);
  for (size_t i = 0; i < n; i++)
    size += t[i].size;
  printf("%s: %zu traces, %zu bytes\n", name, n, size);
  tm_snapshot_free(kept);
}

int main(void) {
  job_t a = {"worker-a", 1000, 3, 0}, b = {"worker-b", 3000, 2, 3};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, worker, &a);
  pthread_join(ta, NULL); // one after the other: a's tid is never b's
  pthread_create(&tb, NULL, worker, &b);
  pthread_join(tb, NULL);
  tm_snapshot_t *snap = NULL;
  if (tm_take_snapshot(&snap) != TM_OK)
    return 1;
  size_t nthreads;
  const tm_thread_info_t *th = tm_snapshot_threads(snap, &nthreads);
  for (size_t i = 0; i < nthreads; i++)
    if (strncmp(th[i].name, "worker-", 7) == 0)
      printf("thread %s ended=%d tid>0=%d\n", th[i].name, th[i].ended,
             th[i].tid > 0);
  by_name(snap, "worker-a");
  by_name(snap, "worker-b");
  tm_snapshot_free(snap);
  return 0;
}
// API: thread worker-a ended=1 tid>0=1
// API-NEXT: thread worker-b ended=1 tid>0=1
// API-NEXT: worker-a: 3 traces, 3000 bytes
// API-NEXT: worker-b: 2 traces, 6000 bytes

// Main (its name is the program's, cut to 15 bytes by the kernel) is
// alive at exit; what it holds then (stdio's buffer) depends on libc, so
// its line sits between the workers' or after them.
// THREADS: Threads: 3 (2 ended)
// THREADS-NEXT: #1: tid {{[0-9]+}} "worker-b" (ended): size=6000 B, count=2, average=3000 B
// THREADS-DAG: #{{[23]}}: tid {{[0-9]+}} "worker-a" (ended): size=3000 B, count=3, average=1000 B
// THREADS-DAG: #{{[23]}}: tid {{[0-9]+}} "named-threads.c": size=
// THREADS: Total: size={{.*}}, count=

// TOPB: Top 1 lines:
// TOPB-NEXT: #1: {{.*}}named-threads.c:30: size=6000 B, count=2, average=3000 B
// TOPB: Total: size=6000 B, count=2

// STATS: {{.*}}named-threads.c:30: size=9000 B, count=5, average=1800 B

// One line, both threads' history summed; --thread keeps one thread's.
// HISTALL: {{.*}}named-threads.c:30: calls=5, allocated=9000 B, temporary=0, peak=9000 B, live=9000 B
// HISTA: {{.*}}named-threads.c:30: calls=3, allocated=3000 B, temporary=0, peak=3000 B, live=3000 B
// HISTA-NOT: named-threads.c:30
// PEAKB: {{.*}}named-threads.c:30: size=6000 B, count=2, average=3000 B
