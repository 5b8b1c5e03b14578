// Opt-outs: a TM_NO_INSTRUMENT function (annotate("tm_skip")) is not
// rewritten, its malloc is caught by interposition and attributed to its
// caller's line; site-only mode (TM_PASS_SITE_ONLY=1) gives the allocation
// site alone, and no caller line for the skipped function's block
// (CPython's <unknown>:0 frame).
// REQUIRES: runtime
// RUN: %clang_tm -O2 %s -o %t && %t | FileCheck %s --check-prefix=FULL
// RUN: env TM_PASS_SITE_ONLY=1 %clang_tm -O2 %s -o %t-site && %t-site | FileCheck %s --check-prefix=SITE
#include "Inputs/tm_test.h"

TM_NO_INSTRUMENT void *skipped(void) {
  void *p = malloc(4444);
  tmt_sink = p;
  return p;
}

NOINLINE void *caller(void) {
  void *p = skipped();
  tmt_sink = p;
  return p;
}

NOINLINE void *direct(void) {
  void *p = malloc(5555);
  tmt_sink = p;
  return p;
}

NOINLINE void *outer(void) {
  void *p = direct();
  tmt_sink = p;
  return p;
}

int main(void) {
  tmt_start(10);
  void *p = caller();
  tmt_print("skipped", p);
  void *q = outer();
  tmt_print("direct", q);
  return 0;
}
// FULL: skipped: 2 frames
// FULL-NEXT: opt-out.c:18 caller
// FULL-NEXT: opt-out.c:37 main
// FULL: direct: 3 frames
// FULL-NEXT: opt-out.c:24 direct
// FULL-NEXT: opt-out.c:30 outer
// FULL-NEXT: opt-out.c:39 main
// SITE: skipped: 1 frames
// SITE-NEXT: <unknown>:0
// SITE: direct: 1 frames
// SITE-NEXT: opt-out.c:24 direct
