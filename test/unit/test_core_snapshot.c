/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_snapshot.c - tm_take_snapshot: every trace of every domain
 * (domain 0 first), identical tracebacks shared, the limit, and the info
 * block (counters at the time, pid, time, program name). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "tracemalloc.h"

static const struct tm_site s_x = {"x.c", "x", NULL, 7, 0, 0, 0};
static const struct tm_site s_y = {"y.c", "y", NULL, 8, 0, 0, 0};

int main(void) {
  CHECK_EQ_INT(tm_start(10), TM_OK);
  for (uintptr_t i = 1; i <= 1000; i++)
    tm_core_on_alloc((void *)(i * 16), 10, i % 2 ? &s_x : &s_y);
  tm_track(5, 0x10, 100);
  tm_track(6, 0x10, 200);
  tm_core_on_free((void *)16);
  size_t cur, peak;
  tm_get_traced_memory(&cur, &peak);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(snap), 1001);
  CHECK_EQ_INT(tm_snapshot_traceback_limit(snap), 10);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  const tm_traceback_t *tx = NULL, *ty = NULL;
  int shared = 1, zero_first = 1;
  size_t sum = 0;
  for (size_t i = 0; i < 1001; i++) {
    sum += t[i].size;
    if (i > 0 && t[i].domain == 0 && t[i - 1].domain != 0)
      zero_first = 0;
    if (t[i].domain != 0)
      continue;
    const tm_frame_t *f = tm_traceback_frames(t[i].traceback);
    const tm_traceback_t **slot = f->lineno == 7 ? &tx : &ty;
    if (*slot && *slot != t[i].traceback)
      shared = 0;
    *slot = t[i].traceback;
  }
  CHECK(shared && tx && ty && tx != ty);
  CHECK(zero_first);
  CHECK_EQ_INT(t[999].domain, 5);
  CHECK_EQ_INT(t[1000].domain, 6);
  CHECK_EQ_INT(sum, cur);
  tm_snapshot_info_t info = {.size = sizeof info};
  CHECK_EQ_INT(tm_snapshot_get_info(snap, &info), TM_OK);
  CHECK_EQ_INT(info.traced_current, cur);
  CHECK_EQ_INT(info.traced_peak, peak);
  CHECK(info.tracemalloc_memory > 0);
  CHECK_EQ_INT(info.dropped_traces, 0);
  CHECK_EQ_INT(info.pid, getpid());
  CHECK(info.time_ns >= (int64_t)ts.tv_sec * 1000000000);
  CHECK_EQ_STR(info.program, "test_core_snapshot");
  CHECK(info.has_traced_memory);
  const tm_frame_t *fx = tm_traceback_frames(tx);
  CHECK_EQ_INT(tm_traceback_length(tx), 1);
  CHECK_EQ_INT(tm_traceback_total_nframe(tx), 1);
  CHECK_EQ_STR(fx->filename, "x.c");
  CHECK_EQ_STR(fx->function, "x");
  tm_snapshot_free(snap);
  tm_stop();
  return CHECK_DONE();
}
