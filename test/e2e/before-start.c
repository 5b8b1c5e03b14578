// Frames entered before tracing started are not in tracebacks (ABI v3: a
// function entered while not tracing runs its untraced code, which keeps no
// frame), and total_nframe counts the frames recorded. Functions that reach
// tm_start through functions defined in their module keep their frames
// (they are on the stack when tracing starts): see start-in-main below and
// chain.c. With the untraced copies off (TM_PASS_UNTRACED_COPY=0), every
// frame is there, as in ABI v2.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
// RUN: env TM_PASS_UNTRACED_COPY=0 %clang_tm -O2 %s -o %tall && %tall | FileCheck %s --check-prefix=ALL
#include "Inputs/tm_test.h"

NOINLINE void *alloc_here(size_t n) { void *p = malloc(n); tmt_sink = p; return p; }

// Starts tracing through a pointer: nothing here reaches tm_start by a
// direct call, so outer and main have untraced copies.
static void (*volatile hook)(void);
static void start(void) { tmt_start(25); }

NOINLINE void *outer(size_t n) {
  hook(); // tracing starts here, with outer and main entered before it
  void *p = alloc_here(n); tmt_sink = p; return p;
}

NOINLINE void *outer2(size_t n) { void *p = alloc_here(n); tmt_sink = p; return p; }

int main(void) {
  hook = start;
  void *p = outer(1111);
  tmt_print("entered before", p);
  tmt_print_total(1111);
  void *q = outer2(2222); // outer2 entered after tm_start, main before
  tmt_print("entered after", q);
  tmt_print_total(2222);
  return 0;
}
// CHECK: entered before: 1 frames
// CHECK-NEXT: before-start.c:[[#L:]] alloc_here
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 1
// CHECK-NEXT: entered after: 2 frames
// CHECK-NEXT: before-start.c:[[#L]] alloc_here
// CHECK-NEXT: before-start.c:[[#L+12]] outer2
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 2

// ALL: entered before: 3 frames
// ALL-NEXT: before-start.c:[[#L:]] alloc_here
// ALL-NEXT: before-start.c:[[#L+9]] outer
// ALL-NEXT: before-start.c:[[#L+16]] main
// ALL-NEXT: abs
// ALL-NEXT: total_nframe 3
// ALL-NEXT: entered after: 3 frames
// ALL-NEXT: before-start.c:[[#L]] alloc_here
// ALL-NEXT: before-start.c:[[#L+12]] outer2
// ALL-NEXT: before-start.c:[[#L+19]] main
