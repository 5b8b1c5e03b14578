// The timeline's allocation count with threads (issue 12): threads that
// allocate a few blocks (fewer than a countdown: their count is flushed
// only when they exit) or many (flushed on the way too) and exit; the exit
// dump's last timeline point counts every traced allocation, exactly the
// sum of the history's calls (the runtime's own allocations in
// pthread_create included). Each new thread's first allocation used to be
// dropped (71 of 74 in the new-user trial's 4-thread program).
// REQUIRES: runtime, cli
// RUN: %clang_tm -O1 %s -o %t -lpthread
// RUN: rm -f %t.tmd %t.json
// RUN: env TRACEMALLOC=1 TRACEMALLOC_DUMP=%t.tmd %t
// RUN: %tracemalloc export %t.tmd -o %t.json
// RUN: %python -c "import json, sys; d = json.load(open(sys.argv[1])); print('last point: allocations=%%d' %% d['timeline'][-1]['allocations']); print('history: calls=%%d' %% sum(h['calls'] for h in d['history']))" %t.json | FileCheck %s
// RUN: %tracemalloc history %t.tmd --include '*timeline-threads.c' | FileCheck %s --check-prefix=SITES
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

enum { NT = 6 };
// Allocations per thread: below, at and above the 256-operation countdown.
static const int per_thread[NT] = {1, 3, 18, 255, 256, 700};

void *volatile sink;

__attribute__((noinline)) void *grab(size_t n) {
  return malloc(n); // every thread's allocations
}

static void *worker(void *arg) {
  int n = per_thread[(intptr_t)arg];
  for (int i = 0; i < n; i++) {
    void *p = grab(64);
    sink = p;
    free(p);
  }
  return NULL;
}

int main(void) {
  pthread_t th[NT];
  for (intptr_t i = 0; i < NT; i++)
    pthread_create(&th[i], NULL, worker, (void *)i);
  for (int i = 0; i < NT; i++)
    pthread_join(th[i], NULL);
  sink = malloc(10); // and main's
  return 0;
}
// CHECK: last point: allocations=[[N:[0-9]+]]
// CHECK-NEXT: history: calls=[[N]]
// 1 + 3 + 18 + 255 + 256 + 700 = 1233 allocations at grab's line.
// SITES: timeline-threads.c:26: calls=1233,
