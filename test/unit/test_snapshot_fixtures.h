/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_snapshot_fixtures.h - CPython's create_snapshots() fixtures
 * (Lib/test/test_tracemalloc.py) and small helpers shared by the analysis
 * unit tests (snapshot, statistics, filters, formats). */
#ifndef TM_TEST_SNAPSHOT_FIXTURES_H
#define TM_TEST_SNAPSHOT_FIXTURES_H

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tracemalloc.h"

/* Raw frames go most recent first, as in CPython's raw trace tuples. */
typedef struct fx_frame {
  const char *filename;
  unsigned int lineno;
} fx_frame_t;

static inline void fx_add(tm_snapshot_t *s, unsigned int domain, size_t size,
                          const fx_frame_t *raw, size_t n, uint32_t total) {
  tm_frame_t frames[32];
  for (size_t i = 0; i < n; i++) {
    frames[i].filename = raw[i].filename;
    frames[i].lineno = raw[i].lineno;
    frames[i].function = NULL;
  }
  CHECK(tm_snapshot_add_trace(s, domain, size, frames, n, total) == TM_OK);
}

#define FX(...) ((const fx_frame_t[]){__VA_ARGS__})
#define FXN(...) (sizeof((const fx_frame_t[]){__VA_ARGS__}) / sizeof(fx_frame_t))
#define FX_ADD(s, d, sz, total, ...)                                           \
  fx_add((s), (d), (sz), FX(__VA_ARGS__), FXN(__VA_ARGS__), (total))

/* Snapshot 1 and 2 of create_snapshots(), traceback_limit 2. */
static inline tm_snapshot_t *fx_snapshot1(void) {
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(2, &s) == TM_OK);
  for (int i = 0; i < 3; i++)
    FX_ADD(s, 0, 10, 3, {"a.py", 2}, {"b.py", 4});
  FX_ADD(s, 1, 2, 3, {"a.py", 5}, {"b.py", 4});
  FX_ADD(s, 2, 66, 1, {"b.py", 1});
  FX_ADD(s, 3, 7, 1, {"<unknown>", 0});
  return s;
}

static inline tm_snapshot_t *fx_snapshot2(void) {
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(2, &s) == TM_OK);
  for (int i = 0; i < 3; i++)
    FX_ADD(s, 0, 10, 3, {"a.py", 2}, {"b.py", 4});
  FX_ADD(s, 2, 2, 3, {"a.py", 5}, {"b.py", 4});
  FX_ADD(s, 2, 5000, 3, {"a.py", 5}, {"b.py", 4});
  FX_ADD(s, 4, 400, 1, {"c.py", 578});
  return s;
}

/* "file:line" of frame i (most recent first) of a traceback. */
static inline const char *fx_frame_str(const tm_traceback_t *tb, size_t i) {
  static char buf[4][256];
  static int k;
  char *b = buf[k++ & 3];
  const tm_frame_t *f = &tm_traceback_frames(tb)[i];
  snprintf(b, 256, "%s:%u", f->filename, f->lineno);
  return b;
}

/* A traceback as raw text "a.py:2,b.py:4" (most recent first). */
static inline const char *fx_tb_raw(const tm_traceback_t *tb) {
  static char buf[4][1024];
  static int k;
  char *b = buf[k++ & 3];
  b[0] = '\0';
  size_t n = tm_traceback_length(tb);
  for (size_t i = 0; i < n; i++) {
    const tm_frame_t *f = &tm_traceback_frames(tb)[i];
    size_t len = strlen(b);
    snprintf(b + len, 1024 - len, "%s%s:%u", i ? "," : "", f->filename,
             f->lineno);
  }
  return b;
}

#endif /* TM_TEST_SNAPSHOT_FIXTURES_H */
