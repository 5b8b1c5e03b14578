// Every thread has its own shadow stack: four threads allocating through
// their own call chains while main sits deeper get their own tracebacks.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include <pthread.h>
#include <stdint.h>

#include "Inputs/tm_test.h"

#define NTHREADS 4
static void *results[NTHREADS];

NOINLINE void *t_leaf(int id) {
  void *p = malloc(1000 + id);
  tmt_sink = p;
  return p;
}

NOINLINE void *t_mid(int id) {
  void *p = t_leaf(id);
  tmt_sink = p;
  return p;
}

static void *thread_main(void *arg) {
  int id = (int)(intptr_t)arg;
  void *p = 0;
  for (int i = 0; i < 1000; i++) {
    free(p);
    p = t_mid(id);
  }
  results[id] = p;
  return 0;
}

NOINLINE void spawn_and_join(int depth) {
  if (depth > 0) { // main's stack is deeper than the threads'
    spawn_and_join(depth - 1);
    tmt_sink = 0;
    return;
  }
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    pthread_create(&th[i], 0, thread_main, (void *)(intptr_t)i);
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(th[i], 0);
}

int main(void) {
  tmt_start(10);
  spawn_and_join(5);
  for (int i = 0; i < NTHREADS; i++) {
    tmt_print("thread", results[i]);
    tmt_print_total(1000 + i);
  }
  return 0;
}
// CHECK: thread: 3 frames
// CHECK-NEXT: threads.c:15 t_leaf
// CHECK-NEXT: threads.c:21 t_mid
// CHECK-NEXT: threads.c:31 thread_main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
// CHECK: thread: 3 frames
// CHECK-NEXT: threads.c:15 t_leaf
// CHECK-NEXT: threads.c:21 t_mid
// CHECK-NEXT: threads.c:31 thread_main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
// CHECK: thread: 3 frames
// CHECK-NEXT: threads.c:15 t_leaf
// CHECK-NEXT: threads.c:21 t_mid
// CHECK-NEXT: threads.c:31 thread_main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
// CHECK: thread: 3 frames
// CHECK-NEXT: threads.c:15 t_leaf
// CHECK-NEXT: threads.c:21 t_mid
// CHECK-NEXT: threads.c:31 thread_main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
// CHECK-NOT: thread:
