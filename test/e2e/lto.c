// Full and thin LTO with lld: the bitcode is instrumented at compile time
// (OptimizerLast of the pre-link pipeline); cross-module inlining at link
// time keeps the frames through the inlinedAt chains.
// REQUIRES: runtime, lld
// RUN: %clang_tm -O2 -flto -fuse-ld=lld %s %S/Inputs/lto-other.c -o %t-full && %t-full | FileCheck %s
// RUN: %clang_tm -O2 -flto=thin -fuse-ld=lld %s %S/Inputs/lto-other.c -o %t-thin && %t-thin | FileCheck %s
#include "Inputs/tm_test.h"

void *other_wrap(size_t n);

NOINLINE void *here(void) {
  void *p = other_wrap(6543);
  tmt_sink = p;
  return p;
}

int main(void) {
  tmt_start(10);
  void *p = here();
  tmt_print("lto", p);
  tmt_print_total(6543);
  return 0;
}
// CHECK: lto: 4 frames
// CHECK-NEXT: lto-other.c:7 other_alloc
// CHECK-NEXT: lto-other.c:15 other_wrap
// CHECK-NEXT: lto.c:12 here
// CHECK-NEXT: lto.c:19 main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 4
