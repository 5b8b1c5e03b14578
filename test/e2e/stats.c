// Statistics of a snapshot, exactly CPython's str(Statistic), grouped by
// line, with the absolute source path the pass recorded.
// REQUIRES: runtime
// RUN: %clang_tm -O2 %s -o %t && %t | FileCheck %s
#include "Inputs/tm_test.h"

NOINLINE void *a(void) { void *p = malloc(100); tmt_sink = p; return p; }
NOINLINE void *b(void) { void *p = calloc(5, 10); tmt_sink = p; return p; }

int main(void) {
  tmt_start(5);
  void *keep[4] = {a(), a(), a(), b()};
  tmt_sink = keep;
  tm_snapshot_t *snap = 0, *mine = 0;
  tm_filter_t f = {TM_FILTER_FILENAME, true, "*/stats.c", TM_LINENO_ANY, false,
                   false, 0};
  tm_statistics_t *st = 0;
  if (tm_take_snapshot(&snap) || tm_snapshot_filter_traces(snap, &f, 1, &mine) ||
      tm_snapshot_statistics(mine, TM_KEY_LINENO, false, &st)) {
    printf("error: %s\n", tm_error_message());
    return 1;
  }
  const tm_statistic_t *items = tm_statistics_items(st);
  for (size_t i = 0; i < tm_statistics_count(st); i++) {
    char buf[512];
    tm_format_statistic(buf, sizeof buf, &items[i]);
    printf("%s\n", buf);
  }
  tm_statistics_free(st);
  tm_snapshot_free(mine);
  tm_snapshot_free(snap);
  return 0;
}
// CHECK: {{^/.*}}/stats.c:7: size=300 B, count=3, average=100 B
// CHECK-NEXT: {{^/.*}}/stats.c:8: size=50 B, count=1, average=50 B
// CHECK-NOT: stats.c
