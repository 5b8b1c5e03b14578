/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_drop.c - runtime memory exhaustion (tm_raw_set_limit): traces
 * are dropped and counted, the accounting stays exact, nothing crashes, and
 * tracing recovers when memory comes back. */
#include <stdint.h>

#include "check.h"
#include "check_valid.h"
#include "internal.h"
#include "raw_alloc.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

static const struct tm_site s_one = {"one.c", "one", NULL, 1, 0, 0, 0};
static const struct tm_site s_two = {"two.c", "two", NULL, 2, 0, 0, 0};

static struct tm_site sites[200000];

int main(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc((void *)0x10, 100, &s_one);
  CHECK_EQ_INT(tm_track(5, 0x10, 1), 0);
  tm_raw_set_limit(TM_MEM_TABLES, tm_raw_usage(TM_MEM_TABLES));

  // Fill the tables until they cannot grow: every failure is counted, the
  // program's view (current) counts exactly the traces kept.
  size_t ok = 0, failed = 0, want = 101, cur, peak;
  for (uintptr_t i = 1; i <= 200000; i++) {
    int rc = tm_track(0, i * 32 + 0x100000, 2);
    ok += rc == 0;
    failed += rc == -1;
    want += rc == 0 ? 2 : 0;
  }
  CHECK(failed > 0);
  CHECK_EQ_INT(ok + failed, 200000);
  CHECK_EQ_INT(tm_get_dropped_traces(), failed);
  tm_get_traced_memory(&cur, NULL);
  CHECK_EQ_INT(cur, want);
  CHECK_EQ_INT(tm_track(9, 0x1, 1), -1); // a new domain table
  CHECK_EQ_INT(tm_get_dropped_traces(), failed + 1);

  // New tracebacks until interning fails: the in-place replace of 0x10
  // then drops the old trace too (no stale size stays counted).
  uint64_t before = tm_get_dropped_traces();
  size_t n = 0;
  while (n < 200000 && tm_get_dropped_traces() == before) {
    sites[n] = (struct tm_site){"gen.c", "gen", NULL, (uint32_t)n + 1, 0, 0, 0};
    tm_core_on_alloc((void *)0x10, 50, &sites[n++]);
  }
  CHECK(n < 200000);
  CHECK_EQ_INT(tm_get_dropped_traces(), before + 1);
  tm_get_traced_memory(&cur, &peak);
  CHECK_EQ_INT(cur, want - 100);
  CHECK_EQ_INT(peak, want);
  tm_traceback_t *tb = (tm_traceback_t *)&tb;
  CHECK_EQ_INT(tm_get_object_traceback((void *)0x10, &tb), TM_OK);
  CHECK(tb == NULL);
  // A known traceback into an existing key needs no memory.
  CHECK_EQ_INT(tm_track(5, 0x10, 3), 0);
  tm_get_traced_memory(&cur, NULL);
  CHECK_EQ_INT(cur, want - 100 + 2);
  CHECK(tm_get_tracemalloc_memory() ==
        tm_raw_usage(TM_MEM_TABLES) + tm_shadow_memory());
  CHECK_VALID(); // full tables that could not grow: still whole

  // Memory comes back: tracing goes on; clear resets the counter.
  tm_raw_set_limit(TM_MEM_TABLES, 0);
  CHECK_EQ_INT(tm_track(9, 0x1, 1), 0);
  tm_core_on_alloc((void *)0x20, 7, &s_two);
  tm_core_on_alloc((void *)0x20, 7, &sites[n]);
  tm_traceback_t *tb2 = NULL;
  CHECK_EQ_INT(tm_get_object_traceback((void *)0x20, &tb2), TM_OK);
  CHECK(tb2 != NULL);
  tm_traceback_free(tb2);
  tm_clear_traces();
  CHECK_EQ_INT(tm_get_dropped_traces(), 0);
  CHECK_VALID();
  tm_stop();

  // Tracing starts under exhaustion: nothing recorded, nothing breaks.
  CHECK_EQ_INT(tm_start(1), TM_OK);
  // After stop nothing may be charged at all (shadow stacks are not
  // charged: shadow_stack.h), and a limit of 0 means none: leave one byte.
  tm_raw_set_limit(TM_MEM_TABLES, tm_raw_usage(TM_MEM_TABLES) + 1);
  tm_core_on_alloc((void *)0x30, 7, &s_two);
  CHECK_EQ_INT(tm_track(0, 0x40, 1), -1);
  CHECK_EQ_INT(tm_get_dropped_traces(), 2);
  tm_get_traced_memory(&cur, &peak);
  CHECK_EQ_INT(cur, 0);
  CHECK_EQ_INT(peak, 0);
  tm_snapshot_t *snap = NULL; // snapshots are TM_MEM_OBJECTS: still fine
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(snap), 0);
  tm_snapshot_free(snap);
  tm_raw_set_limit(TM_MEM_TABLES, 0);
  tm_stop();
  return CHECK_DONE();
}
