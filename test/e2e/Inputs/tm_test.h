/* tm_test.h - helpers for the end-to-end tests: print a block's traceback
 * (most recent first, file basenames) through the public API only. */
#ifndef TM_TEST_H
#define TM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracemalloc.h"

#define NOINLINE __attribute__((noinline))
/* What users write to keep a function out of the instrumentation (see
 * docs/pass.md, "Opting out"), unless tracemalloc.h already provides it. */
#ifndef TM_NO_INSTRUMENT
#define TM_NO_INSTRUMENT __attribute__((annotate("tm_skip"), noinline))
#endif

/* Keep results alive and calls un-foldable without extra frames. */
static void *volatile tmt_sink;

static const char *tmt_base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* "LABEL: N frames" then one "  file:line function" per frame, then "  abs"
 * if every file name is absolute. (An object traceback has no total_nframe:
 * CPython's get_object_traceback() gives None; see tmt_print_total.) */
static void tmt_print(const char *label, const void *p) {
  tm_traceback_t *tb = NULL;
  if (tm_get_object_traceback(p, &tb) != TM_OK || !tb) {
    printf("%s: untraced\n", label);
    return;
  }
  size_t n = tm_traceback_length(tb);
  const tm_frame_t *f = tm_traceback_frames(tb);
  int abs = 1;
  printf("%s: %zu frames\n", label, n);
  for (size_t i = 0; i < n; i++) {
    printf("  %s:%u %s\n", tmt_base(f[i].filename), f[i].lineno,
           f[i].function ? f[i].function : "?");
    abs &= f[i].filename[0] == '/';
  }
  printf("  %s\n", abs ? "abs" : "relative");
  fflush(stdout);
  tm_traceback_free(tb);
}

/* "total_nframe T" of the (first) trace of exactly `size` bytes in a fresh
 * snapshot, or "no trace of N bytes". */
static void tmt_print_total(size_t size) {
  tm_snapshot_t *snap = NULL;
  if (tm_take_snapshot(&snap) != TM_OK) {
    printf("tm_take_snapshot failed: %s\n", tm_error_message());
    return;
  }
  const tm_trace_t *t = tm_snapshot_traces(snap);
  size_t n = tm_snapshot_count(snap), i;
  for (i = 0; i < n && t[i].size != size; i++)
    ;
  if (i == n)
    printf("no trace of %zu bytes\n", size);
  else
    printf("total_nframe %u\n", tm_traceback_total_nframe(t[i].traceback));
  tm_snapshot_free(snap);
}

static void tmt_start(int nframe) {
  if (tm_start(nframe) != TM_OK) {
    printf("tm_start failed: %s\n", tm_error_message());
    exit(1);
  }
}

#endif
