/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_defer.c - allocations seen while the runtime is busy on the
 * thread (what a signal handler that interrupts it does): queued, recorded
 * in order once the runtime is done (with their own site), counted as
 * dropped past the queue; the runtime's own "ignore" brackets record
 * nothing. The handler is simulated by raising tm_reentrant as the runtime
 * does around its table work. */
#include <stdint.h>

#include "check.h"
#include "internal.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

static const struct tm_site s_main = {"main.c", "main", NULL, 1, 0, 0, 0};
static const struct tm_site s_handler = {"handler.c", "on_signal", NULL, 7,
                                         0, 0, 0};

static size_t traced_count(void) {
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  size_t n = snap ? tm_snapshot_count(snap) : 0;
  tm_snapshot_free(snap);
  return n;
}

static unsigned line_of(uintptr_t p) {
  tm_traceback_t *tb = NULL;
  CHECK_EQ_INT(tm_get_object_traceback((void *)p, &tb), TM_OK);
  unsigned line = tb ? tm_traceback_frames(tb)[0].lineno : 0;
  tm_traceback_free(tb);
  return line;
}

int main(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc((void *)0x1000, 10, &s_main);
  CHECK(tm_thread_self != NULL);

  // "Busy": 100 handler allocations and one handler free of 0x1000.
  tm_reentrant++;
  for (uintptr_t i = 0; i < 100; i++)
    tm_core_on_alloc((void *)(0x10000 + i * 16), 20, &s_handler);
  tm_core_on_free((void *)0x1000);
  tm_reentrant--;
  CHECK(tm_thread_self == NULL); // parked: the next allocation flushes
  // The first 64 allocations are queued, the 36 others are dropped and
  // counted; the free finds the queue full and is lost (0x1000 stays).
  CHECK_EQ_INT(tm_get_dropped_traces(), 100 - TM_DEFER_SLOTS);

  // The next allocation records the queue first, then itself.
  tm_core_on_alloc((void *)0x2000, 30, &s_main);
  CHECK(tm_thread_self != NULL);
  CHECK_EQ_INT(traced_count(), 1 + TM_DEFER_SLOTS + 1);
  CHECK_EQ_INT(line_of(0x10000), 7);
  CHECK_EQ_INT(line_of(0x10000 + (TM_DEFER_SLOTS - 1) * 16), 7);
  CHECK_EQ_INT(line_of(0x10000 + TM_DEFER_SLOTS * 16), 0); // dropped
  CHECK_EQ_INT(line_of(0x2000), 1);
  CHECK_EQ_INT(line_of(0x1000), 1);
  size_t cur;
  tm_get_traced_memory(&cur, NULL);
  CHECK_EQ_INT(cur, 10 + TM_DEFER_SLOTS * 20 + 30);

  // A deferred free and realloc-like sequence, in order: alloc then free.
  tm_reentrant++;
  tm_core_on_alloc((void *)0x3000, 5, &s_handler);
  tm_core_on_free((void *)0x3000);
  tm_core_on_free((void *)0x2000);
  tm_reentrant--;
  tm_snapshot_t *snap = NULL; // a snapshot on the thread records them too
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(snap), 1 + TM_DEFER_SLOTS);
  tm_snapshot_free(snap);
  CHECK_EQ_INT(line_of(0x3000), 0);
  CHECK_EQ_INT(line_of(0x2000), 0);

  // The runtime's own calls into the allocator: nothing queued or counted.
  uint64_t dropped = tm_get_dropped_traces();
  tm_reentrant += TM_REENTRANT_IGNORE;
  tm_core_on_alloc((void *)0x4000, 5, &s_handler);
  tm_reentrant -= TM_REENTRANT_IGNORE;
  CHECK(tm_thread_self != NULL);
  CHECK_EQ_INT(traced_count(), 1 + TM_DEFER_SLOTS);
  CHECK_EQ_INT(tm_get_dropped_traces(), dropped);
  tm_stop();
  return CHECK_DONE();
}
