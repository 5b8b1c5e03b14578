// Memory over time, end to end: a program whose memory rises for about
// 100 ms, peaks mid-run and falls again; its exit dump carries the
// timeline, and `tracemalloc timeline` marks the peak ('#') in the middle
// of the chart, with its exact size and allocation count, and the SVG
// chart's marker at the same point.
// REQUIRES: runtime, cli
// RUN: %clang_tm -O2 %s -o %t
// RUN: rm -f %t.tmd
// RUN: env TRACEMALLOC=1 TRACEMALLOC_DUMP=%t.tmd %t
// RUN: %tracemalloc timeline %t.tmd | FileCheck --strict-whitespace %s
// RUN: %tracemalloc timeline %t.tmd -o %t.svg
// RUN: FileCheck --check-prefix=SVG %s < %t.svg
#include <stdlib.h>
#include <time.h>

enum { N = 20, SIZE = 100000 };

void *volatile keep[N];

static void pause_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

int main(void) {
  for (int i = 0; i < N; i++) { // up to N * SIZE bytes, the peak
    keep[i] = malloc(SIZE);
    pause_ms(5);
  }
  for (int i = N - 1; i > 0; i--) { // down to one block
    free(keep[i]);
    pause_ms(5);
  }
  pause_ms(50);
  return 0;
}
// The program's own allocations only: the peak is exactly N * SIZE bytes,
// reached by allocation N.
// CHECK: Memory over time: {{.*}}timeline.c.tmp
// CHECK-NEXT: Peak: 1953 KiB at {{[0-9.]+}} ms (allocation 20); at the end: 97.7 KiB
// The peak's column is mid-run: after the rise, before the fall and the
// 50 ms at the end.
// CHECK: {{^}}1953 KiB ^{{[ ]{12,50}#}}
// CHECK: {{^}}     0 B +---
// SVG: <circle id="peak" {{.*}} data-bytes="2000000"/>
