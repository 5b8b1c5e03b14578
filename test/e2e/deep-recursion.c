// A recursion of 2^20 + 1000 frames, far deeper than the 65,535 frame records
// a capture reads (tracemalloc_abi.h section 3; and than ABI v3's ring of
// 2^20 slots): the innermost frames are still exact, and total_nframe is
// capped at 65535 (CPython's limit). The thread gets a big stack so that the recursion fits;
// a later, shallower stack in another thread is unaffected.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 -lpthread && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 -lpthread && %t2 | FileCheck %s
#include <pthread.h>

#include "Inputs/tm_test.h"

#define RING (1L << 20)
#define DEPTH (RING + 1000)

NOINLINE void *leaf(size_t size) {
  void *p = malloc(size);
  tmt_sink = p;
  return p;
}

NOINLINE void *mid(size_t size) {
  void *p = leaf(size);
  tmt_sink = p;
  return p;
}

// Not a tail call (the store after it), so every level is a real frame.
NOINLINE void *down(long n, size_t size) {
  void *p = n > 0 ? down(n - 1, size) : mid(size);
  tmt_sink = p;
  return p;
}

static void *deep_block, *shallow_block;

static void *deep_thread(void *arg) {
  (void)arg;
  deep_block = down(DEPTH, 4321);
  return 0;
}

static void *shallow_thread(void *arg) {
  (void)arg;
  shallow_block = mid(1234);
  return 0;
}

static void run(void *(*fn)(void *), size_t stack) {
  pthread_attr_t attr;
  pthread_t th;
  pthread_attr_init(&attr);
  if (stack)
    pthread_attr_setstacksize(&attr, stack);
  if (pthread_create(&th, &attr, fn, 0) != 0) {
    printf("pthread_create failed\n");
    exit(1);
  }
  pthread_join(th, 0);
  pthread_attr_destroy(&attr);
}

int main(void) {
  tmt_start(4);
  // At most ~96 bytes of machine stack per level at -O0 (80 with the
  // 16-byte frame record).
  run(deep_thread, (size_t)DEPTH * 96 + (16 << 20));
  run(shallow_thread, 0);
  tmt_print("deep", deep_block);
  tmt_print_total(4321);
  tmt_print("shallow", shallow_block);
  tmt_print_total(1234);
  return 0;
}
// CHECK: deep: 4 frames
// CHECK-NEXT: deep-recursion.c:17 leaf
// CHECK-NEXT: deep-recursion.c:23 mid
// CHECK-NEXT: deep-recursion.c:30 down
// CHECK-NEXT: deep-recursion.c:30 down
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 65535
// CHECK: shallow: 3 frames
// CHECK-NEXT: deep-recursion.c:17 leaf
// CHECK-NEXT: deep-recursion.c:23 mid
// CHECK-NEXT: deep-recursion.c:45 shallow_thread
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
