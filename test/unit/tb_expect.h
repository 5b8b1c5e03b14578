/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tb_expect.h - the unit tests' check of a snapshot traceback against
 * "file:line" strings, most recent first, and its total_nframe; a mismatch
 * prints the test's line and the frame that differs. */
#ifndef TM_TEST_TB_EXPECT_H
#define TM_TEST_TB_EXPECT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "tracemalloc.h"

static inline void expect(const tm_traceback_t *tb, uint32_t total, int n,
                          const char **want, int line) {
  int ok = tb && (int)tm_traceback_length(tb) == n &&
           tm_traceback_total_nframe(tb) == total;
  for (int i = 0; ok && i < n; i++) {
    const tm_frame_t *f = &tm_traceback_frames(tb)[i];
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%u", f->filename, f->lineno);
    ok = strcmp(buf, want[i]) == 0;
    if (!ok)
      fprintf(stderr, "line %d: frame %d is %s, want %s\n", line, i, buf,
              want[i]);
  }
  if (tb && !ok)
    fprintf(stderr, "line %d: %zu frames, total %u\n", line,
            tm_traceback_length(tb), tm_traceback_total_nframe(tb));
  CHECK(ok);
}
#define EXPECT(tb, total, ...)                                                 \
  do {                                                                         \
    const char *w_[] = {__VA_ARGS__};                                          \
    expect((tb), (total), (int)(sizeof w_ / sizeof *w_), w_, __LINE__);        \
  } while (0)

#endif /* TM_TEST_TB_EXPECT_H */
