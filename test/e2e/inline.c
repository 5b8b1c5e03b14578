// Inlined helpers are their own frames (from the site's inlinedAt chain) at
// -O0 and -O2, and recursion gives one frame per level.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include "Inputs/tm_test.h"

static inline __attribute__((always_inline)) void *inner(size_t n) { return malloc(n); }
static inline __attribute__((always_inline)) void *outer(size_t n) { return inner(n + 1); }
NOINLINE void *api(void) { void *p = outer(100); tmt_sink = p; return p; }

NOINLINE void *rec(int n) {
  if (n == 0) {
    void *p = malloc(777);
    tmt_sink = p;
    return p;
  }
  void *p = rec(n - 1);
  tmt_sink = p;
  return p;
}

int main(void) {
  tmt_start(10);
  void *p = api();
  tmt_print("inlined", p);
  // CHECK: inlined: 4 frames
  // CHECK-NEXT: inline.c:8 inner
  // CHECK-NEXT: inline.c:9 outer
  // CHECK-NEXT: inline.c:10 api
  // CHECK-NEXT: inline.c:[[#@LINE-6]] main
  void *q = rec(3);
  tmt_print("recursion", q);
  // CHECK: recursion: 5 frames
  // CHECK-NEXT: inline.c:14 rec
  // CHECK-NEXT: inline.c:18 rec
  // CHECK-NEXT: inline.c:18 rec
  // CHECK-NEXT: inline.c:18 rec
  // CHECK-NEXT: inline.c:[[#@LINE-7]] main
  return 0;
}
