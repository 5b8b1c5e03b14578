// tmcc as a drop-in compiler: separate compile and link, line tables added
// when no -g is given, the static runtime linked into executables only (a
// -shared library leaves the hooks undefined), TMCC_RUNTIME=shared, -E
// untouched, and a clear error when the matching clang is missing.
// REQUIRES: runtime
// RUN: %tmcc -O2 -c %s -o %t.o
// RUN: %tmcc %t.o -o %t && %t | FileCheck %s
// RUN: env TMCC_RUNTIME=shared %tmcc -O2 %s -o %t-dyn && %t-dyn | FileCheck %s
// RUN: llvm-readelf -d %t-dyn | FileCheck %s --check-prefix=DYN
// RUN: %tmcc -O2 -fPIC -shared %S/Inputs/dl-lib.c -o %t.so
// RUN: llvm-nm -D %t.so | FileCheck %s --check-prefix=SHARED
// RUN: %tmcc -E %s | FileCheck %s --check-prefix=CPP
// RUN: %tmcc -O2 -g0 -c %s -o %t.g0.o 2>&1 | FileCheck %s --check-prefix=G0
// RUN: %tmcc -O2 -g0 -gline-tables-only -c %s -o %t.g0.o 2>&1 | FileCheck %s --check-prefix=NOG0 --allow-empty
// RUN: not env TMCC_LLVM=999 %tmcc -c %s -o %t.bad.o 2>&1 | FileCheck %s --check-prefix=NOCLANG
#include "Inputs/tm_test.h"

NOINLINE void *make(void) {
  void *p = malloc(321);
  tmt_sink = p;
  return p;
}

int main(void) {
  tmt_start(5);
  void *p = make();
  tmt_print("tmcc", p);
  // CPP: tmt_print("tmcc", p);
  return 0;
}
// CHECK: tmcc: 2 frames
// CHECK-NEXT: tmcc.c:19 make
// CHECK-NEXT: tmcc.c:26 main
// CHECK-NEXT: abs
// DYN: (NEEDED) Shared library: [libtracemalloc.so
// SHARED: U __tm_malloc
// SHARED-NOT: T __tm_
// G0: tmcc: warning: -g0 leaves no line tables: every frame will read as line 0, named by the function the allocation was inlined into (drop -g0, or add -gline-tables-only after it)
// NOG0-NOT: warning
// NOCLANG: tmcc: error: clang-999 is not installed: the tracemalloc plugin was built for LLVM 999
