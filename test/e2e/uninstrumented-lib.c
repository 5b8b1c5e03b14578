// Allocations made inside a library built without the pass (and through a
// function pointer to malloc) are traced through interposition and
// attributed to the line of the nearest instrumented caller; frees done by
// the library untrace the block.
// REQUIRES: runtime
// RUN: %clang -O2 -fPIC -shared %S/Inputs/plain-lib.c -o %t-plain.so
// RUN: %clang_tm -O0 %s %t-plain.so -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s %t-plain.so -o %t2 && %t2 | FileCheck %s
#include "Inputs/tm_test.h"

void *plain_alloc(size_t n);
char *plain_strdup(const char *s);
void plain_free(void *p);

NOINLINE void *through_lib(void) {
  void *p = plain_alloc(3000);
  tmt_sink = p;
  return p;
}

void *(*volatile fp)(size_t) = malloc;

int main(void) {
  tmt_start(10);
  void *p = through_lib();
  tmt_print("lib", p);
  // CHECK: lib: 2 frames
  // CHECK-NEXT: uninstrumented-lib.c:16 through_lib
  // CHECK-NEXT: uninstrumented-lib.c:[[#@LINE-4]] main
  char *s = plain_strdup("hello");
  tmt_print("strdup", s);
  // CHECK: strdup: 1 frames
  // CHECK-NEXT: uninstrumented-lib.c:[[#@LINE-3]] main
  void *q = fp(3333);
  tmt_print("pointer", q);
  // CHECK: pointer: 1 frames
  // CHECK-NEXT: uninstrumented-lib.c:[[#@LINE-3]] main
  plain_free(p);
  tmt_print("freed", p);
  // CHECK: freed: untraced
  return 0;
}
