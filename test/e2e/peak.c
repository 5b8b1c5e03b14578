// The peak happens mid-run: 8 table blocks and a 50000-byte scratch buffer
// are live together, then all freed; afterwards the program keeps 4 small
// blocks and makes 100 temporary allocations. The exit dump's `peak` shows
// exactly the blocks live at the peak (not the ones live at exit), and
// `history` the calls, bytes and temporaries of each line.
// REQUIRES: runtime, cli
// RUN: %clang_tm -O2 %s -o %t
// RUN: rm -f %t.tmd
// RUN: env TRACEMALLOC=1 TRACEMALLOC_DUMP=%t.tmd %t
// RUN: %tracemalloc peak %t.tmd | FileCheck %s --check-prefix=PEAK
// RUN: %tracemalloc history %t.tmd --sort calls | FileCheck %s --check-prefix=HIST
// RUN: %tracemalloc stats %t.tmd | FileCheck %s --check-prefix=LIVE
#include <stdlib.h>

void *volatile keep[8];

__attribute__((noinline)) void *table(void) { return malloc(1000); }
__attribute__((noinline)) void *scratch(void) { return malloc(50000); }
__attribute__((noinline)) void *tail(int i) { return malloc(100 + i); }
__attribute__((noinline)) char *tmp(void) { return malloc(16); }

int main(void) {
  for (int i = 0; i < 8; i++)
    keep[i] = table();
  void *volatile s = scratch(); // the peak: 8 x 1000 + 50000 bytes
  free(s);
  for (int i = 0; i < 8; i++)
    free(keep[i]);
  for (int i = 0; i < 4; i++)
    keep[i] = tail(i);
  for (int i = 0; i < 100; i++) {
    char *volatile t = tmp();
    t[0] = 1;
    free(t);
  }
  return 0;
}
// PEAK-DAG: {{^/.*}}/peak.c:18: size=48.8 KiB, count=1, average=48.8 KiB
// PEAK-DAG: {{^/.*}}/peak.c:17: size=8000 B, count=8, average=1000 B
// PEAK-NOT: peak.c:19
// PEAK-NOT: peak.c:20
// HIST-DAG: {{^/.*}}/peak.c:20: calls=100, allocated=1600 B, temporary=100, peak=0 B, live=0 B
// HIST-DAG: {{^/.*}}/peak.c:17: calls=8, allocated=8000 B, temporary=0, peak=8000 B, live=0 B
// HIST-DAG: {{^/.*}}/peak.c:19: calls=4, allocated=406 B, temporary=0, peak=0 B, live=406 B
// HIST-DAG: {{^/.*}}/peak.c:18: calls=1, allocated=48.8 KiB, temporary=1, peak=48.8 KiB, live=0 B
// LIVE: {{^/.*}}/peak.c:19: size=406 B, count=4, average=102 B
// LIVE-NOT: peak.c:17
