// wcsdup (glibc's wide-character strdup) is an allocation function of the
// .def, like strdup: the pass passes the call's own site, so the block is
// traced once, with the size malloc was asked for, at the line of the call
// and its inlined callers, also in site-only mode, where a wcsdup left to
// libc (seen only by the interposed malloc) would have no line at all.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s --check-prefixes=CHECK,FULL
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s --check-prefixes=CHECK,FULL
// RUN: env TM_PASS_SITE_ONLY=1 %clang_tm -O2 %s -o %t-site && %t-site | FileCheck %s --check-prefixes=CHECK,SITE
#include <wchar.h>

#include "Inputs/tm_test.h"

static inline __attribute__((always_inline)) wchar_t *copy(const wchar_t *s) {
  return wcsdup(s);
}

NOINLINE wchar_t *name_of(int wide) {
  wchar_t *w = copy(wide ? L"wide" : L"w");
  tmt_sink = w;
  return w;
}

int main(void) {
  tmt_start(10);
  size_t before, after, peak;
  tm_get_traced_memory(&before, &peak);
  wchar_t *w = name_of(1);
  tm_get_traced_memory(&after, &peak);
  printf("traced %zu of %zu bytes\n", after - before, 5 * sizeof(wchar_t));
  // CHECK: traced [[SIZE:[0-9]+]] of [[SIZE]] bytes
  tmt_print("wcsdup", w);
  // FULL: wcsdup: 3 frames
  // SITE: wcsdup: 2 frames
  // CHECK-NEXT: wcsdup.c:15 copy
  // CHECK-NEXT: wcsdup.c:19 name_of
  // FULL-NEXT: wcsdup.c:[[#@LINE-9]] main
  free(w);
  tmt_print("freed", w);
  // CHECK: freed: untraced
  return 0;
}
