// An instrumented library loaded with dlopen binds to the executable's
// runtime (exported hooks and TLS): its frames join the caller's.
// REQUIRES: runtime
// RUN: %clang %tm_cflags -O2 -fPIC -shared %S/Inputs/dl-lib.c -o %t-lib.so
// RUN: %clang_tm -O0 %s -o %t0 && %t0 %t-lib.so | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 %t-lib.so | FileCheck %s
#include <dlfcn.h>

#include "Inputs/tm_test.h"

typedef void *(*alloc_fn)(size_t);

NOINLINE void *call_lib(alloc_fn fn) {
  void *p = fn(2468);
  tmt_sink = p;
  return p;
}

int main(int argc, char **argv) {
  tmt_start(10);
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  alloc_fn fn = (alloc_fn)dlsym(h, "lib_alloc");
  void *p = call_lib(fn);
  tmt_print("dlopen", p);
  tmt_print_total(2468);
  return 0;
}
// CHECK: dlopen: 4 frames
// CHECK-NEXT: dl-lib.c:7 lib_leaf
// CHECK-NEXT: dl-lib.c:13 lib_alloc
// CHECK-NEXT: dlopen.c:14 call_lib
// CHECK-NEXT: dlopen.c:27 main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 4
