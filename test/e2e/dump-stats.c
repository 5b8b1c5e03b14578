// The whole chain: TRACEMALLOC=N starts tracing at startup,
// TRACEMALLOC_DUMP writes a snapshot at exit, and `tracemalloc stats` shows
// the program's own lines first (CPython's str(Statistic)).
// REQUIRES: runtime, cli
// RUN: %clang_tm -O2 %s -o %t
// RUN: rm -f %t.tmd %t.json
// RUN: env TRACEMALLOC=5 TRACEMALLOC_DUMP=%t.tmd %t
// RUN: %tracemalloc stats %t.tmd --limit 2 | FileCheck %s
// RUN: env TRACEMALLOC=5 TRACEMALLOC_DUMP=%t.json %t
// RUN: %tracemalloc stats %t.json --limit 2 | FileCheck %s
// RUN: %tracemalloc stats %t.tmd --key traceback --limit 1 | FileCheck %s --check-prefix=TB
#include <stdlib.h>

void *volatile keep[64];

__attribute__((noinline)) void *big(void) { return malloc(100000); }
__attribute__((noinline)) void *small(int i) { return malloc(1000 + i); }

int main(void) {
  keep[0] = big();
  for (int i = 1; i < 64; i++)
    keep[i] = small(0);
  return 0;
}
// CHECK: {{^/.*}}/dump-stats.c:16: size=97.7 KiB, count=1, average=97.7 KiB
// CHECK-NEXT: {{^/.*}}/dump-stats.c:17: size=61.5 KiB, count=63, average=1000 B
// TB: dump-stats.c:20
