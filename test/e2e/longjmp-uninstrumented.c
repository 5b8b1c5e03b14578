// longjmp out of instrumented frames to a setjmp in an uninstrumented
// function, which returns to main: no instrumented exit, landing pad or
// returns_twice point of a live frame runs until main itself returns, so
// __tm_shadow_top keeps pointing at deep_jump's dead records
// (include/tracemalloc_abi.h section 2). What a traceback must be then:
// the live frames only, with main, and no stale frame.
// The caller of a function that is not instrumented here re-installs its
// own record when the call comes back (include/tracemalloc_abi.h
// section 2): main's record is the top again after plain_catch returns.
// Without that store main is lost (an unknown frame ends the chain: the
// frame called after the jump links to a record below its own), and a
// capture whose chain crosses the dead records still standing above it
// counts them as unknown frames (at -O0: 5 frames for 2).
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include "Inputs/tm_test.h"

#include <setjmp.h>

static jmp_buf jb;

NOINLINE void deep_jump(int n) {
  if (n == 0)
    longjmp(jb, 1);
  deep_jump(n - 1);
  tmt_sink = 0;
}

TM_NO_INSTRUMENT int plain_catch(int n) {
  if (setjmp(jb))
    return 1;
  deep_jump(n);
  return 0;
}

NOINLINE void *alloc_here(size_t n) {
  void *p = malloc(n);
  tmt_sink = p;
  return p;
}

NOINLINE void *after(size_t n) { return alloc_here(n); }

int main(void) {
  if (tm_start(25) != TM_OK)
    return 1;
  if (plain_catch(5) != 1)
    return 1;
  void *p = after(77);
  tmt_print("after the jump", p);
  // CHECK: after the jump: 3 frames
  // CHECK-NEXT: longjmp-uninstrumented.c:38 alloc_here
  // CHECK-NEXT: longjmp-uninstrumented.c:43 after
  // CHECK-NEXT: longjmp-uninstrumented.c:[[#@LINE-5]] main
  tmt_print_total(77);
  // CHECK: total_nframe 3
  void *q = alloc_here(78);
  tmt_print("direct", q);
  // CHECK: direct: 2 frames
  // CHECK-NEXT: longjmp-uninstrumented.c:38 alloc_here
  // CHECK-NEXT: longjmp-uninstrumented.c:[[#@LINE-4]] main
  tmt_print_total(78);
  // CHECK: total_nframe 2
  return 0;
}
