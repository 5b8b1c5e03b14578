/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_statistics.c - Snapshot.statistics() and compare_to(): every case of
 * CPython's TestSnapshot (group_by_line/file/traceback/cumulative, the
 * statistic and statistic_diff formats), the reference's "additional
 * expected values", the compare_to tie-break example, argument checks,
 * recursion in cumulative mode, empty tracebacks and cross-snapshot keys. */
#include <stdlib.h>

#include "raw_alloc.h"
#include "test_snapshot_fixtures.h"

static char joined[8192];

/* str(Statistic) of every item, joined with " | ". */
static const char *stats_str(const tm_snapshot_t *s, tm_key_t k, bool cum) {
  tm_statistics_t *st = NULL;
  joined[0] = '\0';
  if (tm_snapshot_statistics(s, k, cum, &st) != TM_OK)
    return tm_error_message();
  for (size_t i = 0; i < tm_statistics_count(st); i++) {
    char line[256];
    tm_format_statistic(line, sizeof line, &tm_statistics_items(st)[i]);
    if (i)
      strcat(joined, " | ");
    strcat(joined, line);
    CHECK(tm_traceback_total_nframe(tm_statistics_items(st)[i].traceback) ==
          TM_TOTAL_NFRAME_NONE);
  }
  tm_statistics_free(st);
  return joined;
}

/* "rawtb size/count, ..." with raw (most recent first) tracebacks. */
static const char *stats_compact(const tm_snapshot_t *s, tm_key_t k, bool cum) {
  tm_statistics_t *st = NULL;
  joined[0] = '\0';
  if (tm_snapshot_statistics(s, k, cum, &st) != TM_OK)
    return tm_error_message();
  for (size_t i = 0; i < tm_statistics_count(st); i++) {
    const tm_statistic_t *x = &tm_statistics_items(st)[i];
    size_t len = strlen(joined);
    snprintf(joined + len, sizeof joined - len, "%s%s %zu/%zu", i ? ", " : "",
             fx_tb_raw(x->traceback), x->size, x->count);
  }
  tm_statistics_free(st);
  return joined;
}

static const char *diffs_str(const tm_snapshot_t *n, const tm_snapshot_t *o,
                             tm_key_t k, bool cum) {
  tm_statistic_diffs_t *d = NULL;
  joined[0] = '\0';
  if (tm_snapshot_compare_to(n, o, k, cum, &d) != TM_OK)
    return tm_error_message();
  for (size_t i = 0; i < tm_statistic_diffs_count(d); i++) {
    char line[256];
    tm_format_statistic_diff(line, sizeof line, &tm_statistic_diffs_items(d)[i]);
    if (i)
      strcat(joined, " | ");
    strcat(joined, line);
  }
  tm_statistic_diffs_free(d);
  return joined;
}

static const char *diffs_compact(const tm_snapshot_t *n, const tm_snapshot_t *o,
                                 tm_key_t k, bool cum) {
  tm_statistic_diffs_t *d = NULL;
  joined[0] = '\0';
  if (tm_snapshot_compare_to(n, o, k, cum, &d) != TM_OK)
    return tm_error_message();
  for (size_t i = 0; i < tm_statistic_diffs_count(d); i++) {
    const tm_statistic_diff_t *x = &tm_statistic_diffs_items(d)[i];
    size_t len = strlen(joined);
    snprintf(joined + len, sizeof joined - len,
             "%s%s (%zu,%+lld,%zu,%+lld)", i ? ", " : "",
             fx_tb_raw(x->traceback), x->size, (long long)x->size_diff,
             x->count, (long long)x->count_diff);
  }
  tm_statistic_diffs_free(d);
  return joined;
}

static void test_group_by_line(void) {
  tm_snapshot_t *s1 = fx_snapshot1(), *s2 = fx_snapshot2();
  CHECK_EQ_STR(stats_compact(s1, TM_KEY_LINENO, false),
               "b.py:1 66/1, a.py:2 30/3, <unknown>:0 7/1, a.py:5 2/1");
  CHECK_EQ_STR(stats_compact(s2, TM_KEY_LINENO, false),
               "a.py:5 5002/2, c.py:578 400/1, a.py:2 30/3");
  CHECK_EQ_STR(diffs_compact(s2, s1, TM_KEY_LINENO, false),
               "a.py:5 (5002,+5000,2,+1), c.py:578 (400,+400,1,+1), "
               "b.py:1 (0,-66,0,-1), <unknown>:0 (0,-7,0,-1), "
               "a.py:2 (30,+0,3,+0)");
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
}

static void test_group_by_file(void) {
  tm_snapshot_t *s1 = fx_snapshot1(), *s2 = fx_snapshot2();
  CHECK_EQ_STR(stats_compact(s1, TM_KEY_FILENAME, false),
               "b.py:0 66/1, a.py:0 32/4, <unknown>:0 7/1");
  CHECK_EQ_STR(stats_compact(s2, TM_KEY_FILENAME, false),
               "a.py:0 5032/5, c.py:0 400/1");
  CHECK_EQ_STR(diffs_compact(s2, s1, TM_KEY_FILENAME, false),
               "a.py:0 (5032,+5000,5,+1), c.py:0 (400,+400,1,+1), "
               "b.py:0 (0,-66,0,-1), <unknown>:0 (0,-7,0,-1)");
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
}

static void test_group_by_traceback(void) {
  tm_snapshot_t *s1 = fx_snapshot1(), *s2 = fx_snapshot2();
  CHECK_EQ_STR(stats_compact(s1, TM_KEY_TRACEBACK, false),
               "b.py:1 66/1, a.py:2,b.py:4 30/3, <unknown>:0 7/1, "
               "a.py:5,b.py:4 2/1");
  CHECK_EQ_STR(stats_compact(s2, TM_KEY_TRACEBACK, false),
               "a.py:5,b.py:4 5002/2, c.py:578 400/1, a.py:2,b.py:4 30/3");
  CHECK_EQ_STR(diffs_compact(s2, s1, TM_KEY_TRACEBACK, false),
               "a.py:5,b.py:4 (5002,+5000,2,+1), c.py:578 (400,+400,1,+1), "
               "b.py:1 (0,-66,0,-1), <unknown>:0 (0,-7,0,-1), "
               "a.py:2,b.py:4 (30,+0,3,+0)");
  tm_statistics_t *st = (tm_statistics_t *)1;
  CHECK(tm_snapshot_statistics(s1, TM_KEY_TRACEBACK, true, &st) == TM_EINVAL);
  CHECK(st == NULL);
  CHECK_EQ_STR(tm_error_message(),
               "cumulative mode cannot by used with key type 'traceback'");
  tm_statistic_diffs_t *d = (tm_statistic_diffs_t *)1;
  CHECK(tm_snapshot_compare_to(s2, s1, TM_KEY_TRACEBACK, true, &d) ==
        TM_EINVAL);
  CHECK(d == NULL);
  CHECK_EQ_STR(tm_error_message(),
               "cumulative mode cannot by used with key type 'traceback'");
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
}

static void test_group_by_cumulative(void) {
  tm_snapshot_t *s1 = fx_snapshot1();
  CHECK_EQ_STR(stats_compact(s1, TM_KEY_FILENAME, true),
               "b.py:0 98/5, a.py:0 32/4, <unknown>:0 7/1");
  CHECK_EQ_STR(stats_compact(s1, TM_KEY_LINENO, true),
               "b.py:1 66/1, b.py:4 32/4, a.py:2 30/3, <unknown>:0 7/1, "
               "a.py:5 2/1");
  tm_snapshot_free(s1);
}

static void test_formats(void) {
  tm_snapshot_t *s1 = fx_snapshot1(), *s2 = fx_snapshot2();
  /* test_statistic_format / test_statistic_diff_format */
  tm_statistics_t *st = NULL;
  CHECK(tm_snapshot_statistics(s1, TM_KEY_LINENO, false, &st) == TM_OK);
  char line[256];
  tm_format_statistic(line, sizeof line, &tm_statistics_items(st)[0]);
  CHECK_EQ_STR(line, "b.py:1: size=66 B, count=1, average=66 B");
  tm_statistics_free(st);
  tm_statistic_diffs_t *d = NULL;
  CHECK(tm_snapshot_compare_to(s2, s1, TM_KEY_LINENO, false, &d) == TM_OK);
  tm_format_statistic_diff(line, sizeof line, &tm_statistic_diffs_items(d)[0]);
  CHECK_EQ_STR(line,
               "a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B");
  tm_statistic_diffs_free(d);
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
}

/* The "Additional expected values" block of the reference (§7.3). */
static void test_additional_values(void) {
  tm_snapshot_t *s1 = fx_snapshot1(), *s2 = fx_snapshot2();
  CHECK_EQ_STR(stats_str(s1, TM_KEY_TRACEBACK, false),
               "b.py:1: size=66 B, count=1, average=66 B | b.py:4: size=30 B, "
               "count=3, average=10 B | <unknown>:0: size=7 B, count=1, "
               "average=7 B | b.py:4: size=2 B, count=1, average=2 B");
  CHECK_EQ_STR(stats_str(s1, TM_KEY_FILENAME, true),
               "b.py:0: size=98 B, count=5, average=20 B | a.py:0: size=32 B, "
               "count=4, average=8 B | <unknown>:0: size=7 B, count=1, "
               "average=7 B");
  CHECK_EQ_STR(stats_str(s2, TM_KEY_FILENAME, false),
               "a.py:0: size=5032 B, count=5, average=1006 B | c.py:0: "
               "size=400 B, count=1, average=400 B");
  CHECK_EQ_STR(stats_str(s2, TM_KEY_FILENAME, true),
               "b.py:0: size=5032 B, count=5, average=1006 B | a.py:0: "
               "size=5032 B, count=5, average=1006 B | c.py:0: size=400 B, "
               "count=1, average=400 B");
  CHECK_EQ_STR(stats_str(s2, TM_KEY_LINENO, true),
               "b.py:4: size=5032 B, count=5, average=1006 B | a.py:5: "
               "size=5002 B, count=2, average=2501 B | c.py:578: size=400 B, "
               "count=1, average=400 B | a.py:2: size=30 B, count=3, "
               "average=10 B");
  CHECK_EQ_STR(diffs_str(s2, s1, TM_KEY_FILENAME, true),
               "a.py:0: size=5032 B (+5000 B), count=5 (+1), average=1006 B | "
               "b.py:0: size=5032 B (+4934 B), count=5 (+0), average=1006 B | "
               "c.py:0: size=400 B (+400 B), count=1 (+1), average=400 B | "
               "<unknown>:0: size=0 B (-7 B), count=0 (-1)");
  CHECK_EQ_STR(diffs_str(s2, s1, TM_KEY_LINENO, true),
               "b.py:4: size=5032 B (+5000 B), count=5 (+1), average=1006 B | "
               "a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B | "
               "c.py:578: size=400 B (+400 B), count=1 (+1), average=400 B | "
               "b.py:1: size=0 B (-66 B), count=0 (-1) | "
               "<unknown>:0: size=0 B (-7 B), count=0 (-1) | "
               "a.py:2: size=30 B (+0 B), count=3 (+0), average=10 B");
  CHECK_EQ_STR(diffs_str(s1, s2, TM_KEY_LINENO, false),
               "a.py:5: size=2 B (-5000 B), count=1 (-1), average=2 B | "
               "c.py:578: size=0 B (-400 B), count=0 (-1) | "
               "b.py:1: size=66 B (+66 B), count=1 (+1), average=66 B | "
               "<unknown>:0: size=7 B (+7 B), count=1 (+1), average=7 B | "
               "a.py:2: size=30 B (+0 B), count=3 (+0), average=10 B");
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
}

/* §3's tie-break example: many keys with |size_diff| = 100. */
static void test_compare_tie_break(void) {
  tm_snapshot_t *o = NULL, *n = NULL;
  CHECK(tm_snapshot_new(1, &o) == TM_OK);
  CHECK(tm_snapshot_new(1, &n) == TM_OK);
  /* A: new 100/1. B: old 100/1. C: old 300/1, new 400/2. D: old 200/1,
   * new 100/1. E: old 50+50, new 200/1. F, G: 7/1 in both. H: new 50+50. */
  FX_ADD(n, 0, 100, 1, {"A.c", 1});
  FX_ADD(o, 0, 100, 1, {"B.c", 1});
  FX_ADD(o, 0, 300, 1, {"C.c", 1});
  FX_ADD(n, 0, 200, 1, {"C.c", 1});
  FX_ADD(n, 0, 200, 1, {"C.c", 1});
  FX_ADD(o, 0, 200, 1, {"D.c", 1});
  FX_ADD(n, 0, 100, 1, {"D.c", 1});
  FX_ADD(o, 0, 50, 1, {"E.c", 1});
  FX_ADD(o, 0, 50, 1, {"E.c", 1});
  FX_ADD(n, 0, 200, 1, {"E.c", 1});
  FX_ADD(o, 0, 7, 1, {"F.c", 1});
  FX_ADD(n, 0, 7, 1, {"F.c", 1});
  FX_ADD(o, 0, 7, 1, {"G.c", 1});
  FX_ADD(n, 0, 7, 1, {"G.c", 1});
  FX_ADD(n, 0, 50, 1, {"H.c", 1});
  FX_ADD(n, 0, 50, 1, {"H.c", 1});
  CHECK_EQ_STR(diffs_str(n, o, TM_KEY_LINENO, false),
               "C.c:1: size=400 B (+100 B), count=2 (+1), average=200 B | "
               "E.c:1: size=200 B (+100 B), count=1 (-1), average=200 B | "
               "H.c:1: size=100 B (+100 B), count=2 (+2), average=50 B | "
               "A.c:1: size=100 B (+100 B), count=1 (+1), average=100 B | "
               "D.c:1: size=100 B (-100 B), count=1 (+0), average=100 B | "
               "B.c:1: size=0 B (-100 B), count=0 (-1) | "
               "G.c:1: size=7 B (+0 B), count=1 (+0), average=7 B | "
               "F.c:1: size=7 B (+0 B), count=1 (+0), average=7 B");
  tm_snapshot_free(o);
  tm_snapshot_free(n);
}

static void test_argument_checks(void) {
  tm_snapshot_t *s1 = fx_snapshot1();
  tm_key_t k = TM_KEY_TRACEBACK;
  CHECK(tm_key_parse("lineno", &k) == TM_OK && k == TM_KEY_LINENO);
  CHECK(tm_key_parse("filename", &k) == TM_OK && k == TM_KEY_FILENAME);
  CHECK(tm_key_parse("traceback", &k) == TM_OK && k == TM_KEY_TRACEBACK);
  CHECK(tm_key_parse("foo", &k) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: 'foo'");
  CHECK(tm_key_parse("Lineno", &k) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: 'Lineno'");
  CHECK(tm_key_parse("it's", &k) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: \"it's\"");
  CHECK(tm_key_parse("a\\b\n", &k) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: 'a\\\\b\\n'");
  CHECK(tm_key_parse("", &k) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: ''");
  CHECK(tm_key_parse(NULL, &k) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: None");
  CHECK_EQ_STR(tm_key_name(TM_KEY_FILENAME), "filename");
  CHECK_EQ_STR(tm_key_name(TM_KEY_LINENO), "lineno");
  CHECK_EQ_STR(tm_key_name(TM_KEY_TRACEBACK), "traceback");
  CHECK(tm_key_name((tm_key_t)7) == NULL);
  /* unknown key is reported before the cumulative check */
  tm_statistics_t *st = NULL;
  CHECK(tm_snapshot_statistics(s1, (tm_key_t)7, true, &st) == TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "unknown key_type: 7");
  CHECK(tm_snapshot_statistics(s1, TM_KEY_LINENO, false, NULL) == TM_EINVAL);
  tm_snapshot_free(s1);
}

static void test_cumulative_recursion(void) {
  /* a.py:1 -> a.py:2 -> a.py:1, size 100 */
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(3, &s) == TM_OK);
  FX_ADD(s, 0, 100, 3, {"a.py", 1}, {"a.py", 2}, {"a.py", 1});
  CHECK_EQ_STR(stats_compact(s, TM_KEY_LINENO, true),
               "a.py:1 200/2, a.py:2 100/1");
  CHECK_EQ_STR(stats_compact(s, TM_KEY_FILENAME, true), "a.py:0 300/3");
  /* limit-1 snapshot: cumulative equals non-cumulative */
  tm_snapshot_t *one = NULL;
  CHECK(tm_snapshot_new(1, &one) == TM_OK);
  FX_ADD(one, 0, 5, 9, {"x.c", 3});
  FX_ADD(one, 0, 6, 9, {"y.c", 3});
  CHECK_EQ_STR(stats_compact(one, TM_KEY_LINENO, true), "y.c:3 6/1, x.c:3 5/1");
  tm_snapshot_free(one);
  tm_snapshot_free(s);
}

static void test_sort_details(void) {
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(3, &s) == TM_OK);
  /* descending: larger filename, then larger lineno first; x.c:10 > x.c:2 */
  FX_ADD(s, 0, 5, 1, {"x.c", 2});
  FX_ADD(s, 0, 5, 1, {"x.c", 10});
  FX_ADD(s, 0, 5, 1, {"w.c", 99});
  FX_ADD(s, 0, 5, 1, {"\xc3\xa9.c", 1}); /* é sorts after ASCII */
  CHECK_EQ_STR(stats_compact(s, TM_KEY_LINENO, false),
               "\xc3\xa9.c:1 5/1, x.c:10 5/1, x.c:2 5/1, w.c:99 5/1");
  tm_snapshot_free(s);
  /* traceback order is over OLDEST-first frames; a proper prefix is smaller */
  CHECK(tm_snapshot_new(3, &s) == TM_OK);
  FX_ADD(s, 0, 5, 1, {"a.py", 1});
  FX_ADD(s, 0, 5, 2, {"b.py", 2}, {"a.py", 1});
  FX_ADD(s, 0, 5, 2, {"a.py", 9}, {"b.py", 0});
  FX_ADD(s, 0, 5, 2, {"z.py", 9}, {"a.py", 1});
  CHECK_EQ_STR(stats_compact(s, TM_KEY_TRACEBACK, false),
               "a.py:9,b.py:0 5/1, z.py:9,a.py:1 5/1, b.py:2,a.py:1 5/1, "
               "a.py:1 5/1");
  /* same frames, different total_nframe: one group */
  FX_ADD(s, 0, 1, 7, {"a.py", 1});
  FX_ADD(s, 0, 1, TM_TOTAL_NFRAME_NONE, {"a.py", 1});
  CHECK_EQ_STR(stats_compact(s, TM_KEY_TRACEBACK, false),
               "a.py:1 7/3, a.py:9,b.py:0 5/1, z.py:9,a.py:1 5/1, "
               "b.py:2,a.py:1 5/1");
  tm_snapshot_free(s);
}

static void test_empty(void) {
  tm_snapshot_t *e = NULL, *s1 = fx_snapshot1();
  CHECK(tm_snapshot_new(1, &e) == TM_OK);
  tm_statistics_t *st = NULL;
  for (int k = 0; k < 3; k++) {
    CHECK(tm_snapshot_statistics(e, (tm_key_t)k, false, &st) == TM_OK);
    CHECK_EQ_INT(tm_statistics_count(st), 0);
    tm_statistics_free(st);
  }
  CHECK_EQ_STR(diffs_compact(e, e, TM_KEY_LINENO, false), "");
  CHECK_EQ_STR(diffs_compact(e, s1, TM_KEY_LINENO, false),
               "b.py:1 (0,-66,0,-1), a.py:2 (0,-30,0,-3), "
               "<unknown>:0 (0,-7,0,-1), a.py:5 (0,-2,0,-1)");
  tm_snapshot_free(e);
  /* hand-made empty traceback: lineno and traceback give Traceback(()),
   * filename is CPython's IndexError */
  CHECK(tm_snapshot_new(1, &e) == TM_OK);
  CHECK(tm_snapshot_add_trace(e, 0, 8, NULL, 0, 0) == TM_OK);
  FX_ADD(e, 0, 4, 1, {"a.c", 1});
  CHECK_EQ_STR(stats_compact(e, TM_KEY_LINENO, false), " 8/1, a.c:1 4/1");
  CHECK_EQ_STR(stats_compact(e, TM_KEY_TRACEBACK, false), " 8/1, a.c:1 4/1");
  CHECK_EQ_STR(stats_compact(e, TM_KEY_LINENO, true), "a.c:1 4/1");
  CHECK_EQ_STR(stats_compact(e, TM_KEY_FILENAME, true), "a.c:0 4/1");
  CHECK(tm_snapshot_statistics(e, TM_KEY_FILENAME, false, &st) == TM_EINVAL);
  CHECK(strstr(tm_error_message(), "tuple index out of range") != NULL);
  tm_statistic_diffs_t *d = NULL;
  CHECK(tm_snapshot_compare_to(s1, e, TM_KEY_FILENAME, false, &d) ==
        TM_EINVAL);
  CHECK(d == NULL);
  CHECK_EQ_STR(diffs_compact(e, s1, TM_KEY_LINENO, false),
               "b.py:1 (0,-66,0,-1), a.py:2 (0,-30,0,-3), "
               " (8,+8,1,+1), <unknown>:0 (0,-7,0,-1), a.c:1 (4,+4,1,+1), "
               "a.py:5 (0,-2,0,-1)");
  tm_snapshot_free(e);
  tm_snapshot_free(s1);
}

static void test_cross_snapshot_keys(void) {
  /* keys from different snapshots compare by content */
  tm_snapshot_t *a = NULL, *b = NULL;
  CHECK(tm_snapshot_new(2, &a) == TM_OK);
  CHECK(tm_snapshot_new(2, &b) == TM_OK);
  FX_ADD(a, 0, 10, 2, {"m.c", 1}, {"n.c", 2});
  FX_ADD(b, 0, 1, 2, {"zz.c", 1}); /* different string layout in b */
  FX_ADD(b, 0, 30, 5, {"m.c", 1}, {"n.c", 2});
  CHECK_EQ_STR(diffs_compact(b, a, TM_KEY_TRACEBACK, false),
               "m.c:1,n.c:2 (30,+20,1,+0), zz.c:1 (1,+1,1,+1)");
  CHECK_EQ_STR(diffs_compact(b, a, TM_KEY_FILENAME, true),
               "n.c:0 (30,+20,1,+0), m.c:0 (30,+20,1,+0), zz.c:0 (1,+1,1,+1)");
  tm_snapshot_free(a);
  tm_snapshot_free(b);
}

static void test_oom(void) {
  tm_snapshot_t *s1 = fx_snapshot1();
  size_t used = tm_raw_usage(TM_MEM_OBJECTS);
  tm_raw_set_limit(TM_MEM_OBJECTS, used + 64);
  tm_statistics_t *st = NULL;
  CHECK(tm_snapshot_statistics(s1, TM_KEY_LINENO, true, &st) == TM_ENOMEM);
  CHECK(st == NULL);
  tm_statistic_diffs_t *d = NULL;
  CHECK(tm_snapshot_compare_to(s1, s1, TM_KEY_LINENO, true, &d) == TM_ENOMEM);
  tm_raw_set_limit(TM_MEM_OBJECTS, 0);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), used);
  tm_snapshot_free(s1);
}

int main(void) {
  test_group_by_line();
  test_group_by_file();
  test_group_by_traceback();
  test_group_by_cumulative();
  test_formats();
  test_additional_values();
  test_compare_tie_break();
  test_argument_checks();
  test_cumulative_recursion();
  test_sort_details();
  test_empty();
  test_cross_snapshot_keys();
  test_oom();
  return CHECK_DONE();
}
