/* system_frames.h - the standard-library calls of system-frames*.cpp and a
 * dump of a snapshot's traces: one line per trace, sorted by its first
 * frame's line, "trace: FILE:LINE FUNCTION;" per frame, with a '!' before
 * FILE when it is not the test's own file (then a system header's frame was
 * recorded). */
#ifndef SYSTEM_FRAMES_H
#define SYSTEM_FRAMES_H

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tm_test.h"

struct Big {
  char b[40];
};

static int sf_by_line(const void *a, const void *b) {
  const tm_trace_t *x = (const tm_trace_t *)a, *y = (const tm_trace_t *)b;
  unsigned lx = tm_traceback_frames(x->traceback)[0].lineno;
  unsigned ly = tm_traceback_frames(y->traceback)[0].lineno;
  return lx < ly ? -1 : lx > ly;
}

static void sf_dump(const char *self) {
  tm_snapshot_t *snap = NULL;
  if (tm_take_snapshot(&snap) != TM_OK) {
    printf("tm_take_snapshot failed: %s\n", tm_error_message());
    return;
  }
  size_t n = tm_snapshot_count(snap);
  tm_trace_t *t = (tm_trace_t *)calloc(n ? n : 1, sizeof *t);
  memcpy(t, tm_snapshot_traces(snap), n * sizeof *t);
  qsort(t, n, sizeof *t, sf_by_line);
  for (size_t i = 0; i < n; i++) {
    const tm_frame_t *f = tm_traceback_frames(t[i].traceback);
    size_t k = tm_traceback_length(t[i].traceback);
    printf("trace:");
    for (size_t j = 0; j < k; j++)
      printf(" %s%s:%u %s;", strcmp(tmt_base(f[j].filename), self) ? "!" : "",
             tmt_base(f[j].filename), f[j].lineno,
             f[j].function ? f[j].function : "?");
    printf("\n");
  }
  printf("%zu traces\n", n);
  free(t);
  tm_snapshot_free(snap);
}

#endif
