// A 30-deep call chain traced with nframe 25: 25 frames, innermost first,
// each on the line of its call, total_nframe the true depth (32), at -O0,
// -O1, -O2, -O3, -Os and -Oz (noinline functions: the frames are real ones).
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
// RUN: %clang_tm -O1 %s -o %t1 && %t1 | FileCheck %s
// RUN: %clang_tm -O3 %s -o %t3 && %t3 | FileCheck %s
// RUN: %clang_tm -Os %s -o %ts && %ts | FileCheck %s
// RUN: %clang_tm -Oz %s -o %tz && %tz | FileCheck %s
#include "Inputs/tm_test.h"

NOINLINE void *f0(void) { void *p = malloc(12345); tmt_sink = p; return p; }
NOINLINE void *f1(void) { void *p = f0(); tmt_sink = p; return p; }
NOINLINE void *f2(void) { void *p = f1(); tmt_sink = p; return p; }
NOINLINE void *f3(void) { void *p = f2(); tmt_sink = p; return p; }
NOINLINE void *f4(void) { void *p = f3(); tmt_sink = p; return p; }
NOINLINE void *f5(void) { void *p = f4(); tmt_sink = p; return p; }
NOINLINE void *f6(void) { void *p = f5(); tmt_sink = p; return p; }
NOINLINE void *f7(void) { void *p = f6(); tmt_sink = p; return p; }
NOINLINE void *f8(void) { void *p = f7(); tmt_sink = p; return p; }
NOINLINE void *f9(void) { void *p = f8(); tmt_sink = p; return p; }
NOINLINE void *f10(void) { void *p = f9(); tmt_sink = p; return p; }
NOINLINE void *f11(void) { void *p = f10(); tmt_sink = p; return p; }
NOINLINE void *f12(void) { void *p = f11(); tmt_sink = p; return p; }
NOINLINE void *f13(void) { void *p = f12(); tmt_sink = p; return p; }
NOINLINE void *f14(void) { void *p = f13(); tmt_sink = p; return p; }
NOINLINE void *f15(void) { void *p = f14(); tmt_sink = p; return p; }
NOINLINE void *f16(void) { void *p = f15(); tmt_sink = p; return p; }
NOINLINE void *f17(void) { void *p = f16(); tmt_sink = p; return p; }
NOINLINE void *f18(void) { void *p = f17(); tmt_sink = p; return p; }
NOINLINE void *f19(void) { void *p = f18(); tmt_sink = p; return p; }
NOINLINE void *f20(void) { void *p = f19(); tmt_sink = p; return p; }
NOINLINE void *f21(void) { void *p = f20(); tmt_sink = p; return p; }
NOINLINE void *f22(void) { void *p = f21(); tmt_sink = p; return p; }
NOINLINE void *f23(void) { void *p = f22(); tmt_sink = p; return p; }
NOINLINE void *f24(void) { void *p = f23(); tmt_sink = p; return p; }
NOINLINE void *f25(void) { void *p = f24(); tmt_sink = p; return p; }
NOINLINE void *f26(void) { void *p = f25(); tmt_sink = p; return p; }
NOINLINE void *f27(void) { void *p = f26(); tmt_sink = p; return p; }
NOINLINE void *f28(void) { void *p = f27(); tmt_sink = p; return p; }
NOINLINE void *f29(void) { void *p = f28(); tmt_sink = p; return p; }
NOINLINE void *f30(void) { void *p = f29(); tmt_sink = p; return p; }

int main(void) {
  tmt_start(25);
  void *p = f30();
  tmt_print("chain", p);
  tmt_print_total(12345);
  return 0;
}
// CHECK: chain: 25 frames
// CHECK-NEXT: chain.c:[[#L:]] f0
// CHECK-NEXT: chain.c:[[#L+1]] f1
// CHECK-NEXT: chain.c:[[#L+2]] f2
// CHECK-NEXT: chain.c:[[#L+3]] f3
// CHECK-NEXT: chain.c:[[#L+4]] f4
// CHECK-NEXT: chain.c:[[#L+5]] f5
// CHECK-NEXT: chain.c:[[#L+6]] f6
// CHECK-NEXT: chain.c:[[#L+7]] f7
// CHECK-NEXT: chain.c:[[#L+8]] f8
// CHECK-NEXT: chain.c:[[#L+9]] f9
// CHECK-NEXT: chain.c:[[#L+10]] f10
// CHECK-NEXT: chain.c:[[#L+11]] f11
// CHECK-NEXT: chain.c:[[#L+12]] f12
// CHECK-NEXT: chain.c:[[#L+13]] f13
// CHECK-NEXT: chain.c:[[#L+14]] f14
// CHECK-NEXT: chain.c:[[#L+15]] f15
// CHECK-NEXT: chain.c:[[#L+16]] f16
// CHECK-NEXT: chain.c:[[#L+17]] f17
// CHECK-NEXT: chain.c:[[#L+18]] f18
// CHECK-NEXT: chain.c:[[#L+19]] f19
// CHECK-NEXT: chain.c:[[#L+20]] f20
// CHECK-NEXT: chain.c:[[#L+21]] f21
// CHECK-NEXT: chain.c:[[#L+22]] f22
// CHECK-NEXT: chain.c:[[#L+23]] f23
// CHECK-NEXT: chain.c:[[#L+24]] f24
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 32
