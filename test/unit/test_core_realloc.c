/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_realloc.c - CPython's realloc rules (reference §6.5) through
 * tm_core_on_realloc and tm_core_realloc_begin/_end: re-tag at the realloc
 * site, untraced blocks get a trace, a moving realloc never counts old and
 * new together, a failed realloc leaves the old trace as it was. Fake
 * pointers: the core never dereferences them. */
#include <stdint.h>

#include "check.h"
#include "check_valid.h"
#include "internal.h"
#include "tracemalloc.h"

#define MB ((size_t)1 << 20)

static const struct tm_site s_malloc = {"m.c", "m", NULL, 1, 0, 0, 0};
static const struct tm_site s_realloc = {"r.c", "r", NULL, 2, 0, 0, 0};

static unsigned line_of(void *p) {
  tm_traceback_t *tb = NULL;
  tm_get_object_traceback(p, &tb);
  unsigned line = tb ? tm_traceback_frames(tb)[0].lineno : 0;
  tm_traceback_free(tb);
  return line;
}

static void traced(size_t *cur, size_t *peak) {
  tm_get_traced_memory(cur, peak);
}

static void test_on_realloc(void) {
  size_t cur, peak;
  CHECK_EQ_INT(tm_start(1), TM_OK);
  // An untraced block (allocated before start) gets a trace.
  tm_core_on_realloc((void *)0x1000, (void *)0x1000, 10, &s_realloc);
  CHECK_EQ_INT(line_of((void *)0x1000), 2);
  traced(&cur, &peak);
  CHECK(cur == 10 && peak == 10);
  // In place: re-tagged with the realloc site, size replaced.
  tm_core_on_alloc((void *)0x2000, 100 * MB, &s_malloc);
  CHECK_EQ_INT(line_of((void *)0x2000), 1);
  tm_core_on_realloc((void *)0x2000, (void *)0x2000, 50 * MB, &s_realloc);
  CHECK_EQ_INT(line_of((void *)0x2000), 2);
  traced(&cur, &peak);
  CHECK(cur == 10 + 50 * MB && peak == 10 + 100 * MB);
  // Moving 50 MB -> 400 MB: peak is current - old + new.
  tm_core_on_realloc((void *)0x2000, (void *)0x3000, 400 * MB, &s_realloc);
  traced(&cur, &peak);
  CHECK(cur == 10 + 400 * MB && peak == 10 + 400 * MB);
  CHECK_EQ_INT(line_of((void *)0x2000), 0); // old trace gone
  CHECK_EQ_INT(line_of((void *)0x3000), 2);
  // NULL arguments: realloc(NULL, n) is a malloc; a NULL result is ignored.
  tm_core_on_realloc(NULL, (void *)0x4000, 1, &s_realloc);
  tm_core_on_realloc((void *)0x4000, NULL, 7, &s_realloc);
  tm_core_on_free(NULL);
  traced(&cur, NULL);
  CHECK(cur == 11 + 400 * MB);
  CHECK_VALID();
  tm_stop();
  CHECK_VALID();
}

static void test_begin_end(void) {
  size_t cur, peak;
  tm_core_realloc_token_t tok;
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc((void *)0x10, 100, &s_malloc);
  // Failed realloc: the old trace comes back unchanged.
  tm_core_realloc_begin((void *)0x10, &tok);
  CHECK_EQ_INT(line_of((void *)0x10), 0); // out while the real call runs
  tm_core_realloc_end(&tok, NULL, 5000, &s_realloc);
  CHECK_EQ_INT(line_of((void *)0x10), 1);
  traced(&cur, &peak);
  CHECK(cur == 100 && peak == 100);
  // Success, moved: new trace at the realloc site, peak never old + new.
  tm_core_realloc_begin((void *)0x10, &tok);
  tm_core_realloc_end(&tok, (void *)0x20, 300, &s_realloc);
  traced(&cur, &peak);
  CHECK(cur == 300 && peak == 300);
  CHECK_EQ_INT(line_of((void *)0x10), 0);
  CHECK_EQ_INT(line_of((void *)0x20), 2);
  // Success in place, untraced block: traced now.
  tm_core_realloc_begin((void *)0x30, &tok);
  tm_core_realloc_end(&tok, (void *)0x30, 1, &s_realloc);
  CHECK_EQ_INT(line_of((void *)0x30), 2);
  CHECK_VALID();
  // A clear between begin and end: nothing is restored (its traceback is
  // gone with the clear).
  tm_core_realloc_begin((void *)0x20, &tok);
  tm_clear_traces();
  tm_core_realloc_end(&tok, NULL, 1, &s_realloc);
  traced(&cur, &peak);
  CHECK(cur == 0 && peak == 0);
  CHECK_EQ_INT(line_of((void *)0x20), 0);
  CHECK_VALID();
  // Not tracing at begin, tracing at end: a plain new trace.
  tm_stop();
  tm_core_realloc_begin((void *)0x40, &tok);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_realloc_end(&tok, (void *)0x50, 9, &s_realloc);
  traced(&cur, NULL);
  CHECK(cur == 9);
  CHECK_VALID();
  tm_stop();
  CHECK_VALID();
}

int main(void) {
  test_on_realloc();
  test_begin_end();
  return CHECK_DONE();
}
