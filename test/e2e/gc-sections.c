// Site tables survive --gc-sections with GNU ld and lld (they are referenced
// by the code that uses them); gc-sections-lld.c runs this with lld.
// REQUIRES: runtime
// RUN: %clang_tm -O2 -ffunction-sections -fdata-sections -Wl,--gc-sections %s %S/Inputs/lto-other.c -o %t-bfd && %t-bfd | FileCheck %s
#include "Inputs/tm_test.h"

void *other_wrap(size_t n);

int main(void) {
  tmt_start(10);
  void *p = other_wrap(1357);
  tmt_print("gc", p);
  // CHECK: gc: 3 frames
  // CHECK-NEXT: lto-other.c:7 other_alloc
  // CHECK-NEXT: lto-other.c:15 other_wrap
  // CHECK-NEXT: gc-sections.c:[[#@LINE-5]] main
  return 0;
}
