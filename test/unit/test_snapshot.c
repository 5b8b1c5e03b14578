/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_snapshot.c - the snapshot model: insertion order, copying, per-
 * snapshot interning (identical tracebacks share a pointer), the builder of
 * snapshot_build.h, info, and CPython's test_create_snapshot / fixtures. */
#include <stdint.h>

#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"
#include "test_snapshot_fixtures.h"

static void test_create_snapshot(void) {
  /* CPython: raw [(0, 5, (('a.py', 2),), 10)] with limit 5. */
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(5, &s) == TM_OK);
  FX_ADD(s, 0, 5, 10, {"a.py", 2});
  CHECK_EQ_INT(tm_snapshot_traceback_limit(s), 5);
  CHECK_EQ_INT(tm_snapshot_count(s), 1);
  const tm_trace_t *t = tm_snapshot_traces(s);
  CHECK_EQ_INT(t[0].size, 5);
  CHECK_EQ_INT(t[0].domain, 0);
  CHECK_EQ_INT(tm_traceback_total_nframe(t[0].traceback), 10);
  CHECK_EQ_INT(tm_traceback_length(t[0].traceback), 1);
  CHECK_EQ_STR(fx_frame_str(t[0].traceback, 0), "a.py:2");
  tm_snapshot_free(s);
}

static void test_order_and_interning(void) {
  tm_snapshot_t *s = fx_snapshot1();
  CHECK_EQ_INT(tm_snapshot_count(s), 6);
  const tm_trace_t *t = tm_snapshot_traces(s);
  static const unsigned doms[] = {0, 0, 0, 1, 2, 3};
  static const size_t sizes[] = {10, 10, 10, 2, 66, 7};
  for (int i = 0; i < 6; i++) {
    CHECK_EQ_INT(t[i].domain, doms[i]);
    CHECK_EQ_INT(t[i].size, sizes[i]);
  }
  /* identical tracebacks: one pointer; strings interned */
  CHECK(t[0].traceback == t[1].traceback && t[1].traceback == t[2].traceback);
  CHECK(t[0].traceback != t[3].traceback);
  CHECK(tm_traceback_frames(t[0].traceback)[1].filename ==
        tm_traceback_frames(t[3].traceback)[1].filename);
  CHECK_EQ_STR(fx_tb_raw(t[3].traceback), "a.py:5,b.py:4");
  CHECK_EQ_INT(tm_snapshot_traceback_count(s), 4);
  /* same frames, different total_nframe: distinct interned tracebacks, but
   * equal as CPython Tracebacks */
  FX_ADD(s, 0, 1, 7, {"a.py", 2}, {"b.py", 4});
  t = tm_snapshot_traces(s);
  CHECK(t[6].traceback != t[0].traceback);
  CHECK(tm_traceback_equal(t[6].traceback, t[0].traceback));
  CHECK_EQ_INT(tm_traceback_total_nframe(t[6].traceback), 7);
  /* function names take part in interning but not in equality */
  tm_frame_t f[2] = {{"a.py", 2, "main"}, {"b.py", 4, NULL}};
  CHECK(tm_snapshot_add_trace(s, 0, 1, f, 2, 3) == TM_OK);
  t = tm_snapshot_traces(s);
  CHECK(t[7].traceback != t[0].traceback);
  CHECK(tm_traceback_equal(t[7].traceback, t[0].traceback));
  CHECK_EQ_STR(tm_traceback_frames(t[7].traceback)[0].function, "main");
  /* copies: the caller's buffers can go away */
  char name[16];
  strcpy(name, "tmp.c");
  tm_frame_t g = {name, 9, NULL};
  CHECK(tm_snapshot_add_trace(s, 0, 1, &g, 1, TM_TOTAL_NFRAME_NONE) == TM_OK);
  strcpy(name, "XXXXX");
  t = tm_snapshot_traces(s);
  CHECK_EQ_STR(fx_tb_raw(t[8].traceback), "tmp.c:9");
  CHECK_EQ_INT(tm_traceback_total_nframe(t[8].traceback), TM_TOTAL_NFRAME_NONE);
  /* empty traceback */
  CHECK(tm_snapshot_add_trace(s, 5, 3, NULL, 0, 0) == TM_OK);
  t = tm_snapshot_traces(s);
  CHECK_EQ_INT(tm_traceback_length(t[9].traceback), 0);
  /* NULL filename refused */
  tm_frame_t bad = {NULL, 1, NULL};
  CHECK(tm_snapshot_add_trace(s, 0, 1, &bad, 1, 1) == TM_EINVAL);
  CHECK_EQ_INT(tm_snapshot_count(s), 10);
  tm_snapshot_free(s);
}

static void test_builder(void) {
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(25, &s) == TM_OK);
  CHECK(tm_snapshot_reserve(s, 1000) == TM_OK);
  const char *a = tm_snapshot_intern_string(s, "a.c", 3);
  const char *a2 = tm_snapshot_intern_string(s, "a.cXX", 3);
  CHECK(a == a2);
  CHECK_EQ_STR(a, "a.c");
  CHECK_EQ_INT(tm_string_length(a), 3);
  const char *main_ = tm_snapshot_intern_string(s, "main", 4);
  tm_frame_t f[2] = {{a, 1, main_}, {a, 2, NULL}};
  const tm_traceback_t *tb = tm_snapshot_intern_traceback(s, f, 2, 2);
  CHECK(tb == tm_snapshot_intern_traceback(s, f, 2, 2));
  CHECK(tb != tm_snapshot_intern_traceback(s, f, 2, 3));
  CHECK(tb != tm_snapshot_intern_traceback(s, f, 1, 2));
  for (int i = 0; i < 3000; i++)
    CHECK(tm_snapshot_append(s, (unsigned)i % 3, (size_t)i, tb) == TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(s), 3000);
  CHECK_EQ_INT(tm_snapshot_traces(s)[2999].size, 2999);
  CHECK_EQ_INT(tm_snapshot_traces(s)[2999].domain, 2);
  /* many strings and tracebacks: the tables grow */
  char buf[32];
  for (int i = 0; i < 20000; i++) {
    int n = snprintf(buf, sizeof buf, "file%d.c", i);
    const char *fn = tm_snapshot_intern_string(s, buf, (size_t)n);
    CHECK(fn == tm_snapshot_intern_string(s, buf, (size_t)n));
    tm_frame_t g = {fn, (unsigned)i, NULL};
    tb = tm_snapshot_intern_traceback(s, &g, 1, 1);
    CHECK(tb && tb == tm_snapshot_intern_traceback(s, &g, 1, 1));
  }
  CHECK_EQ_INT(tm_snapshot_traceback_count(s), 20003);
  tm_snapshot_free(s);
}

static void test_info(void) {
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(1, &s) == TM_OK);
  tm_snapshot_info_t info = {.size = sizeof info};
  CHECK(tm_snapshot_get_info(s, &info) == TM_OK);
  CHECK_EQ_INT(info.pid, -1);
  CHECK_EQ_INT(info.time_ns, 0);
  CHECK_EQ_STR(info.program, "");
  CHECK(!info.has_traced_memory);
  char prog[16] = "myprog";
  tm_snapshot_info_t in = {.size = sizeof in, .traced_current = 5,
                           .traced_peak = 9, .tracemalloc_memory = 77,
                           .dropped_traces = 3, .pid = 1234, .time_ns = 42,
                           .program = prog, .has_traced_memory = true};
  CHECK(tm_snapshot_set_info(s, &in) == TM_OK);
  strcpy(prog, "zzz");
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  CHECK(tm_snapshot_get_info(s, &info) == TM_OK);
  CHECK_EQ_INT(info.traced_current, 5);
  CHECK_EQ_INT(info.traced_peak, 9);
  CHECK_EQ_INT(info.tracemalloc_memory, 77);
  CHECK_EQ_INT(info.dropped_traces, 3);
  CHECK_EQ_INT(info.pid, 1234);
  CHECK_EQ_INT(info.time_ns, 42);
  CHECK_EQ_STR(info.program, "myprog");
  CHECK(info.has_traced_memory);
  /* an older, shorter struct: only its fields are touched */
  struct { size_t size; uint64_t cur; uint64_t guard; } old = {
      offsetof(tm_snapshot_info_t, traced_peak), 0, 0xabcdef};
  CHECK(tm_snapshot_get_info(s, (tm_snapshot_info_t *)(void *)&old) == TM_OK);
  CHECK_EQ_INT(old.cur, 5);
  CHECK_EQ_INT(old.guard, 0xabcdef);
  info.size = 0;
  CHECK(tm_snapshot_get_info(s, &info) == TM_EINVAL);
  tm_snapshot_free(s);
}

static void test_standalone_traceback(void) {
  tm_frame_t f[2] = {{"x.c", 3, "f"}, {"y.c", 4, NULL}};
  tm_traceback_t *tb = tm_traceback_new_copy(f, 2, 9);
  CHECK(tb != NULL);
  CHECK_EQ_STR(fx_tb_raw(tb), "x.c:3,y.c:4");
  CHECK_EQ_STR(tm_traceback_frames(tb)[0].function, "f");
  CHECK(tm_traceback_frames(tb)[1].function == NULL);
  CHECK_EQ_INT(tm_traceback_total_nframe(tb), 9);
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(1, &s) == TM_OK);
  CHECK(tm_snapshot_add_trace(s, 0, 1, f, 2, 1) == TM_OK);
  CHECK(tm_traceback_equal(tb, tm_snapshot_traces(s)[0].traceback));
  tm_snapshot_free(s);
  tm_traceback_free(tb);
  tm_traceback_free(NULL);
  tm_snapshot_free(NULL);
  CHECK_EQ_INT(tm_snapshot_count(NULL), 0);
}

static void test_no_leak(void) {
  size_t before = tm_raw_usage(TM_MEM_OBJECTS);
  tm_snapshot_t *s1 = fx_snapshot1(), *s2 = fx_snapshot2();
  CHECK(tm_raw_usage(TM_MEM_OBJECTS) > before);
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), before);
}

int main(void) {
  test_create_snapshot();
  test_order_and_interning();
  test_builder();
  test_info();
  test_standalone_traceback();
  test_no_leak();
  return CHECK_DONE();
}
