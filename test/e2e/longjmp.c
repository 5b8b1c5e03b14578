// longjmp through instrumented frames leaves the shadow stack balanced:
// setjmp's second return restores the function's own depth.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include <setjmp.h>

#include "Inputs/tm_test.h"

static jmp_buf jb;

NOINLINE void jumper(int n) {
  if (n == 0)
    longjmp(jb, 1);
  jumper(n - 1);
  tmt_sink = 0;
}

NOINLINE void *alloc_here(size_t n) {
  void *p = malloc(n);
  tmt_sink = p;
  return p;
}

NOINLINE void *recover(void) {
  if (setjmp(jb)) {
    void *p = malloc(555);
    tmt_sink = p;
    return p;
  }
  jumper(5);
  return 0;
}

int main(void) {
  tmt_start(50);
  for (int i = 0; i < 100; i++)
    if (!setjmp(jb))
      jumper(6);
  void *p = alloc_here(4321);
  tmt_print("after", p);
  tmt_print_total(4321);
  // CHECK: after: 2 frames
  // CHECK-NEXT: longjmp.c:20 alloc_here
  // CHECK-NEXT: longjmp.c:[[#@LINE-5]] main
  // CHECK-NEXT: abs
  // CHECK-NEXT: total_nframe 2
  void *q = recover();
  tmt_print("recovered", q);
  tmt_print_total(555);
  // CHECK: recovered: 2 frames
  // CHECK-NEXT: longjmp.c:27 recover
  // CHECK-NEXT: longjmp.c:[[#@LINE-5]] main
  // CHECK-NEXT: abs
  // CHECK-NEXT: total_nframe 2
  return 0;
}
