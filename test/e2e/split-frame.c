// A function whose calls lie on separate paths pushes once per path (the
// pass's split frame, docs/pass.md): the leaves of a call tree run with no
// frame, and the leaf that makes the rare call pushes around it. Its
// traceback is exact (every level on the line of its call, total_nframe
// the true depth), and an allocation after the tree carries no stale
// frame.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O1 %s -o %t1 && %t1 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
// RUN: %clang_tm -O3 %s -o %t3 && %t3 | FileCheck %s
#include "Inputs/tm_test.h"

static long leaves;
static void *kept;

NOINLINE void keep(long x) {
  void *p = malloc(100 + (size_t)x);
  kept = p;
}

NOINLINE long tree(int d, long x) {
  if (d == 0) {
    if (leaves++ == 5) // the sixth leaf: path B, A, B from the root
      keep(x);
    return x;
  }
  long a = tree(d - 1, 2 * x);
  long b = tree(d - 1, 2 * x + 1);
  return a ^ (b << 1);
}

NOINLINE void *after(void) {
  void *p = malloc(77);
  tmt_sink = p;
  return p;
}

int main(void) {
  tmt_start(25);
  tmt_sink = (void *)tree(3, 0);
  tmt_print("leaf", kept);
  tmt_print_total(105);
  void *q = after();
  tmt_print("after", q);
  tmt_print_total(77);
  return 0;
}
// CHECK: leaf: 6 frames
// CHECK-NEXT: split-frame.c:18 keep
// CHECK-NEXT: split-frame.c:25 tree
// CHECK-NEXT: split-frame.c:29 tree
// CHECK-NEXT: split-frame.c:28 tree
// CHECK-NEXT: split-frame.c:29 tree
// CHECK-NEXT: split-frame.c:41 main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 6
// CHECK: after: 2 frames
// CHECK-NEXT: split-frame.c:34 after
// CHECK-NEXT: split-frame.c:44 main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 2
