/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_format.c - CPython's text forms: _format_size (every row of the
 * reference's §5.1 tables, both signs, float inputs), str() of Frame,
 * Traceback (the OLDEST frame), Trace, Statistic and StatisticDiff (§5.2's
 * verified lines, test_trace_format), the snprintf contract (truncation,
 * needed length), and Traceback.format (§5.4: CPython's
 * test_format_traceback with real source files, the worked example with
 * limits and most_recent_first, linecache's decoding and newline rules). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"
#include "test_snapshot_fixtures.h"

static const char *size_str(double v, bool sign) {
  static char buf[4][64];
  static int k;
  char *b = buf[k++ & 3];
  size_t n = tm_format_size(b, 64, v, sign);
  CHECK_EQ_INT(n, strlen(b));
  return b;
}

static void test_format_size(void) {
  static const struct {
    double v;
    const char *plain, *sign;
  } rows[] = {
      {0, "0 B", "+0 B"},
      {1, "1 B", "+1 B"},
      {99, "99 B", "+99 B"},
      {100, "100 B", "+100 B"},
      {1023, "1023 B", "+1023 B"},
      {1024, "1024 B", "+1024 B"},
      {9999, "9999 B", "+9999 B"},
      {10239, "10239 B", "+10239 B"},
      {10240, "10.0 KiB", "+10.0 KiB"},
      {10291, "10.0 KiB", "+10.0 KiB"},
      {10292, "10.1 KiB", "+10.1 KiB"},
      {10496, "10.2 KiB", "+10.2 KiB"},
      {10752, "10.5 KiB", "+10.5 KiB"},
      {11008, "10.8 KiB", "+10.8 KiB"},
      {12345, "12.1 KiB", "+12.1 KiB"},
      {51200, "50.0 KiB", "+50.0 KiB"},
      {102349, "100.0 KiB", "+100.0 KiB"},
      {102399, "100.0 KiB", "+100.0 KiB"},
      {102400, "100 KiB", "+100 KiB"},
      {1048576, "1024 KiB", "+1024 KiB"},
      {10485759, "10240 KiB", "+10240 KiB"},
      {10485760, "10.0 MiB", "+10.0 MiB"},
      {104857599, "100.0 MiB", "+100.0 MiB"},
      {104857600, "100 MiB", "+100 MiB"},
      {1073741824, "1024 MiB", "+1024 MiB"},
      {10737418240.0, "10.0 GiB", "+10.0 GiB"},
      {1099511627776.0, "1024 GiB", "+1024 GiB"},
      {108851651149824.0, "99.0 TiB", "+99.0 TiB"},
      {109951162777600.0, "100 TiB", "+100 TiB"},
      {10995116277760000.0, "10000 TiB", "+10000 TiB"},
      {1e20, "90949470 TiB", "+90949470 TiB"},
      {-1, "-1 B", "-1 B"},
      {-1024, "-1024 B", "-1024 B"},
      {-10239, "-10239 B", "-10239 B"},
      {-10240, "-10.0 KiB", "-10.0 KiB"},
      {-102400, "-100 KiB", "-100 KiB"},
      {-10485760, "-10.0 MiB", "-10.0 MiB"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    CHECK_EQ_STR(size_str(rows[i].v, false), rows[i].plain);
    CHECK_EQ_STR(size_str(rows[i].v, true), rows[i].sign);
  }
  static const struct {
    double v;
    const char *s;
  } floats[] = {
      {0.0, "0 B"},       {0.5, "0 B"},         {1.5, "2 B"},
      {2.5, "2 B"},       {3.5, "4 B"},         {19.6, "20 B"},
      {1006.4, "1006 B"}, {1023.5, "1024 B"},   {10239.5, "10240 B"},
      {10240.0, "10.0 KiB"}, {123456.0 / 7, "17.2 KiB"},
  };
  for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++)
    CHECK_EQ_STR(size_str(floats[i].v, false), floats[i].s);
  /* non-finite and negative zero, as Python prints them */
  CHECK_EQ_STR(size_str(1.0 / 0.0, false), "inf TiB");
  CHECK_EQ_STR(size_str(1.0 / 0.0, true), "+inf TiB");
  CHECK_EQ_STR(size_str(-1.0 / 0.0, true), "-inf TiB");
  CHECK_EQ_STR(size_str(-0.0, false), "-0 B");
  /* snprintf contract */
  char small[5];
  CHECK_EQ_INT(tm_format_size(small, sizeof small, 10240, true), 9);
  CHECK_EQ_STR(small, "+10.");
  CHECK_EQ_INT(tm_format_size(NULL, 0, 5, false), 3);
  char one[1] = {'x'};
  CHECK_EQ_INT(tm_format_size(one, 1, 5, false), 3);
  CHECK(one[0] == '\0');
}

static const char *stat_str(const char *file, unsigned line, size_t size,
                            size_t count) {
  static char buf[256];
  tm_frame_t f = {file, line, NULL};
  tm_traceback_t *tb = tm_traceback_new_copy(&f, 1, TM_TOTAL_NFRAME_NONE);
  tm_statistic_t st = {tb, size, count};
  size_t n = tm_format_statistic(buf, sizeof buf, &st);
  CHECK_EQ_INT(n, strlen(buf));
  tm_traceback_free(tb);
  return buf;
}

static const char *diff_str(size_t size, int64_t sd, size_t count,
                            int64_t cd) {
  static char buf[256];
  tm_frame_t f = {"main.c", 42, NULL};
  tm_traceback_t *tb = tm_traceback_new_copy(&f, 1, TM_TOTAL_NFRAME_NONE);
  tm_statistic_diff_t d = {tb, size, sd, count, cd};
  size_t n = tm_format_statistic_diff(buf, sizeof buf, &d);
  CHECK_EQ_INT(n, strlen(buf));
  tm_traceback_free(tb);
  return buf;
}

static void test_str_forms(void) {
  /* §5.2 verified lines */
  CHECK_EQ_STR(stat_str("main.c", 42, 0, 0), "main.c:42: size=0 B, count=0");
  CHECK_EQ_STR(stat_str("main.c", 42, 0, 3),
               "main.c:42: size=0 B, count=3, average=0 B");
  CHECK_EQ_STR(stat_str("main.c", 42, 5, 2),
               "main.c:42: size=5 B, count=2, average=2 B");
  CHECK_EQ_STR(stat_str("main.c", 42, 10240, 1),
               "main.c:42: size=10.0 KiB, count=1, average=10.0 KiB");
  CHECK_EQ_STR(stat_str("main.c", 42, 10240, 2),
               "main.c:42: size=10.0 KiB, count=2, average=5120 B");
  CHECK_EQ_STR(stat_str("main.c", 42, 123456, 7),
               "main.c:42: size=121 KiB, count=7, average=17.2 KiB");
  CHECK_EQ_STR(stat_str("main.c", 42, 1048576, 1),
               "main.c:42: size=1024 KiB, count=1, average=1024 KiB");
  CHECK_EQ_STR(stat_str("main.c", 42, (size_t)5120 << 20, 3),
               "main.c:42: size=5120 MiB, count=3, average=1707 MiB");
  CHECK_EQ_STR(stat_str("main.c", 42, 102399, 1),
               "main.c:42: size=100.0 KiB, count=1, average=100.0 KiB");
  CHECK_EQ_STR(diff_str(0, -66, 0, -1), "main.c:42: size=0 B (-66 B), count=0 (-1)");
  CHECK_EQ_STR(diff_str(5002, 5000, 2, 1),
               "main.c:42: size=5002 B (+5000 B), count=2 (+1), average=2501 B");
  CHECK_EQ_STR(diff_str(30, 0, 3, 0),
               "main.c:42: size=30 B (+0 B), count=3 (+0), average=10 B");
  CHECK_EQ_STR(diff_str(10240, 10240, 1, 1),
               "main.c:42: size=10.0 KiB (+10.0 KiB), count=1 (+1), "
               "average=10.0 KiB");
  CHECK_EQ_STR(diff_str(2048, -1048576, 1, -3),
               "main.c:42: size=2048 B (-1024 KiB), count=1 (-3), "
               "average=2048 B");
  CHECK_EQ_STR(diff_str(10485760, 5242880, 10, 0),
               "main.c:42: size=10.0 MiB (+5120 KiB), count=10 (+0), "
               "average=1024 KiB");
  /* test_trace_format: str(trace) shows the OLDEST frame */
  tm_snapshot_t *s1 = fx_snapshot1();
  const tm_trace_t *t = tm_snapshot_traces(s1);
  char buf[128];
  CHECK_EQ_INT(tm_format_trace(buf, sizeof buf, &t[0]), 12);
  CHECK_EQ_STR(buf, "b.py:4: 10 B");
  tm_format_traceback_str(buf, sizeof buf, t[0].traceback);
  CHECK_EQ_STR(buf, "b.py:4");
  tm_format_frame(buf, sizeof buf, &tm_traceback_frames(t[0].traceback)[1]);
  CHECK_EQ_STR(buf, "b.py:4");
  tm_format_frame(buf, sizeof buf, &tm_traceback_frames(t[0].traceback)[0]);
  CHECK_EQ_STR(buf, "a.py:2");
  tm_format_trace(buf, sizeof buf, &t[5]);
  CHECK_EQ_STR(buf, "<unknown>:0: 7 B");
  /* truncation keeps the snprintf contract */
  char tiny[6];
  CHECK_EQ_INT(tm_format_trace(tiny, sizeof tiny, &t[0]), 12);
  CHECK_EQ_STR(tiny, "b.py:");
  tm_statistic_t st = {t[4].traceback, 66, 1};
  CHECK_EQ_INT(tm_format_statistic(NULL, 0, &st), 40);
  tm_snapshot_free(s1);
  /* an empty traceback formats as "" (CPython raises IndexError) */
  tm_traceback_t *e = tm_traceback_new_copy(NULL, 0, 0);
  CHECK_EQ_INT(tm_format_traceback_str(buf, sizeof buf, e), 0);
  CHECK_EQ_STR(buf, "");
  tm_traceback_free(e);
  /* huge values */
  CHECK_EQ_STR(diff_str(0, INT64_MIN + 1, 0, INT64_MIN + 1),
               "main.c:42: size=0 B (-8388608 TiB), count=0 "
               "(-9223372036854775807)");
}

/* ---- Traceback.format ------------------------------------------------ */

static char tmpdir[64];

static void write_file(const char *name, const char *data, size_t len) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, data, len) == (ssize_t)len);
  close(fd);
}
#define WRITE(name, lit) write_file((name), (lit), sizeof(lit) - 1)

static const char *fmt(const tm_traceback_t *tb, bool has_limit, int limit,
                       bool mrf) {
  static char buf[4096];
  char *s = NULL;
  if (tm_traceback_format(tb, has_limit, limit, mrf, &s) != TM_OK)
    return tm_error_message();
  snprintf(buf, sizeof buf, "%s", s);
  tm_free(s);
  return buf;
}

static tm_traceback_t *tb_of(const fx_frame_t *raw, size_t n) {
  tm_frame_t f[16];
  for (size_t i = 0; i < n; i++)
    f[i] = (tm_frame_t){raw[i].filename, raw[i].lineno, NULL};
  return tm_traceback_new_copy(f, n, (uint32_t)n);
}
#define TB(...) tb_of(FX(__VA_ARGS__), FXN(__VA_ARGS__))

static void test_format_traceback_cpython(void) {
  /* linecache.getline patched to '  <file, line>' in CPython; here real
   * files carry that text on those lines. */
  WRITE("b.py", "1\n2\n3\n  <b.py, 4>\n");
  WRITE("a.py", "1\n  <a.py, 2>\n");
  tm_snapshot_t *s1 = fx_snapshot1();
  const tm_traceback_t *tb = tm_snapshot_traces(s1)[0].traceback;
  const char *B = "  File \"b.py\", line 4\n    <b.py, 4>";
  const char *A = "  File \"a.py\", line 2\n    <a.py, 2>";
  char both[256];
  snprintf(both, sizeof both, "%s\n%s", B, A);
  CHECK_EQ_STR(fmt(tb, false, 0, false), both);
  CHECK_EQ_STR(fmt(tb, true, 1, false), A);
  CHECK_EQ_STR(fmt(tb, true, -1, false), B);
  snprintf(both, sizeof both, "%s\n%s", A, B);
  CHECK_EQ_STR(fmt(tb, false, 0, true), both);
  CHECK_EQ_STR(fmt(tb, true, 1, true), A);
  CHECK_EQ_STR(fmt(tb, true, -1, true), B);
  CHECK_EQ_STR(fmt(tb, true, 0, false), "");
  CHECK_EQ_STR(fmt(tb, true, -2, false), "");
  CHECK_EQ_STR(fmt(tb, true, -5, true), "");
  snprintf(both, sizeof both, "%s\n%s", B, A);
  CHECK_EQ_STR(fmt(tb, true, 2, false), both);
  CHECK_EQ_STR(fmt(tb, true, 99, false), both);
  tm_snapshot_free(s1);
}

static void test_format_traceback_example(void) {
  /* §5.4 worked example */
  WRITE("src.c", "first line\n    indented = 1  \n\n\tTabbed\r\nlast");
  tm_traceback_t *tb =
      TB({"src.c", 4}, {"src.c", 3}, {"src.c", 2}, {"src.c", 1}, {"src.c", 5},
         {"src.c", 6}, {"src.c", 0}, {"nonexistent.c", 1});
  CHECK_EQ_STR(fmt(tb, false, 0, false),
               "  File \"nonexistent.c\", line 1\n"
               "  File \"src.c\", line 0\n"
               "  File \"src.c\", line 6\n"
               "  File \"src.c\", line 5\n"
               "    last\n"
               "  File \"src.c\", line 1\n"
               "    first line\n"
               "  File \"src.c\", line 2\n"
               "    indented = 1\n"
               "  File \"src.c\", line 3\n"
               "  File \"src.c\", line 4\n"
               "    Tabbed");
  tm_traceback_free(tb);
  /* 3 frames, limit=-1: the 2 OLDEST frames (not |limit| of them) */
  tb = TB({"src.c", 1}, {"src.c", 2}, {"src.c", 4});
  CHECK_EQ_STR(fmt(tb, true, -1, false),
               "  File \"src.c\", line 4\n    Tabbed\n"
               "  File \"src.c\", line 2\n    indented = 1");
  CHECK_EQ_STR(fmt(tb, true, -1, true),
               "  File \"src.c\", line 2\n    indented = 1\n"
               "  File \"src.c\", line 4\n    Tabbed");
  CHECK_EQ_STR(fmt(tb, true, 2, true),
               "  File \"src.c\", line 1\n    first line\n"
               "  File \"src.c\", line 2\n    indented = 1");
  tm_traceback_free(tb);
}

static void test_linecache_rules(void) {
  /* lone \r and \r\n are line ends; Unicode whitespace is stripped */
  WRITE("nl.c", "one\rtwo\r\nthree\n\xc2\xa0\xe3\x80\x80wide\xe2\x80\x83\n"
                "\x0b\x0c\x1c\x1d\x1e\x1fx\n\xc2\x85\n");
  tm_traceback_t *tb = TB({"nl.c", 6}, {"nl.c", 5}, {"nl.c", 4}, {"nl.c", 3},
                          {"nl.c", 2}, {"nl.c", 1});
  CHECK_EQ_STR(fmt(tb, false, 0, false),
               "  File \"nl.c\", line 1\n    one\n"
               "  File \"nl.c\", line 2\n    two\n"
               "  File \"nl.c\", line 3\n    three\n"
               "  File \"nl.c\", line 4\n    wide\n"
               "  File \"nl.c\", line 5\n    x\n"
               "  File \"nl.c\", line 6");
  tm_traceback_free(tb);
  /* BOM skipped; invalid UTF-8 anywhere: no lines at all */
  WRITE("bom.c", "\xef\xbb\xbf  int x;\n");
  WRITE("bad.c", "int a;\nint \xff;\n");
  WRITE("latin.c", "# -*- coding: latin-1 -*-\nchar *s = \"\xe9\";\n");
  WRITE("latin2.c", "#include <x.h>\n# vim: set fileencoding=iso-8859-1\n"
                    "\xe9t\xe9\n");
  WRITE("nocookie.c", "int x;\n# coding: latin-1\n\xe9\n");
  /* deviation: Python would decode koi8-r; only utf-8, latin-1 and ascii
   * cookies are supported, others give no source line */
  WRITE("cp.c", "# coding: koi8-r\nx\n");
  WRITE("bomlatin.c", "\xef\xbb\xbf# coding: latin-1\nx\n");
  mkdir("dir.c", 0755);
  tm_traceback_t *t2 =
      TB({"bom.c", 1}, {"bad.c", 1}, {"latin.c", 2}, {"latin2.c", 3},
         {"nocookie.c", 1}, {"cp.c", 2}, {"bomlatin.c", 2}, {"dir.c", 1},
         {"<string>", 1}, {"", 1});
  CHECK_EQ_STR(fmt(t2, false, 0, true),
               "  File \"bom.c\", line 1\n    int x;\n"
               "  File \"bad.c\", line 1\n"
               "  File \"latin.c\", line 2\n    char *s = \"\xc3\xa9\";\n"
               "  File \"latin2.c\", line 3\n    \xc3\xa9t\xc3\xa9\n"
               "  File \"nocookie.c\", line 1\n"
               "  File \"cp.c\", line 2\n"
               "  File \"bomlatin.c\", line 2\n"
               "  File \"dir.c\", line 1\n"
               "  File \"<string>\", line 1\n"
               "  File \"\", line 1");
  tm_traceback_free(t2);
  /* absolute names; the cache notices a changed file */
  char abs[128];
  snprintf(abs, sizeof abs, "%s/chg.c", tmpdir);
  WRITE(abs, "old\n");
  tm_traceback_t *t3 = TB({abs, 1});
  char want[256];
  snprintf(want, sizeof want, "  File \"%s\", line 1\n    old", abs);
  CHECK_EQ_STR(fmt(t3, false, 0, false), want);
  WRITE(abs, "newer\n");
  snprintf(want, sizeof want, "  File \"%s\", line 1\n    newer", abs);
  CHECK_EQ_STR(fmt(t3, false, 0, false), want);
  unlink(abs);
  snprintf(want, sizeof want, "  File \"%s\", line 1", abs);
  CHECK_EQ_STR(fmt(t3, false, 0, false), want);
  tm_traceback_free(t3);
  /* more files than cache entries */
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 40; i++) {
      char name[32], text[32];
      snprintf(name, sizeof name, "f%d.c", i);
      int n = snprintf(text, sizeof text, "line of %d\n", i);
      if (round == 0)
        write_file(name, text, (size_t)n);
      tm_traceback_t *t4 = TB({name, 1});
      snprintf(want, sizeof want, "  File \"%s\", line 1\n    line of %d",
               name, i);
      CHECK_EQ_STR(fmt(t4, false, 0, false), want);
      tm_traceback_free(t4);
    }
  }
  tm_linecache_clear();
  char *s = (char *)1;
  CHECK(tm_traceback_format(NULL, false, 0, false, &s) == TM_EINVAL);
  CHECK(s == NULL);
}

/* tm_traceback_format_ex: Python's traceback module puts ", in FUNCTION"
 * after the line number; frames without a name (or an empty one) and
 * flags 0 stay exactly Traceback.format. */
static void test_format_functions(void) {
  WRITE("fn.cc", "int x;\n  auto *p = new Node();  \n");
  tm_frame_t f[3] = {{"fn.cc", 2, "Parser::parseValue()"},
                     {"fn.cc", 1, NULL},
                     {"<unknown>", 0, ""}};
  tm_traceback_t *tb = tm_traceback_new_copy(f, 3, 3);
  char *s = NULL;
  CHECK(tm_traceback_format_ex(tb, false, 0, true, TM_FORMAT_FUNCTIONS, &s) ==
        TM_OK);
  CHECK_EQ_STR(s, "  File \"fn.cc\", line 2, in Parser::parseValue()\n"
                  "    auto *p = new Node();\n"
                  "  File \"fn.cc\", line 1\n"
                  "    int x;\n"
                  "  File \"<unknown>\", line 0");
  tm_free(s);
  s = NULL;
  /* limit 1 keeps the most recent frame; flags 0 is CPython's line */
  CHECK(tm_traceback_format_ex(tb, true, 1, false, 0, &s) == TM_OK);
  CHECK_EQ_STR(s, "  File \"fn.cc\", line 2\n    auto *p = new Node();");
  tm_free(s);
  s = NULL;
  /* limit -2 keeps the oldest frame, whose name is empty */
  CHECK(tm_traceback_format_ex(tb, true, -2, false, TM_FORMAT_FUNCTIONS,
                               &s) == TM_OK);
  CHECK_EQ_STR(s, "  File \"<unknown>\", line 0");
  tm_free(s);
  s = NULL;
  CHECK(tm_traceback_format_ex(tb, false, 0, false, 0x80, &s) == TM_EINVAL);
  CHECK(s == NULL);
  /* CPython's format never shows the names */
  CHECK(tm_traceback_format(tb, true, 1, false, &s) == TM_OK);
  CHECK_EQ_STR(s, "  File \"fn.cc\", line 2\n    auto *p = new Node();");
  tm_free(s);
  tm_traceback_free(tb);
}

int main(void) {
  test_format_size();
  test_str_forms();
  snprintf(tmpdir, sizeof tmpdir, "/tmp/tm-format-XXXXXX");
  if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
    perror("mkdtemp");
    return 1;
  }
  test_format_traceback_cpython();
  test_format_traceback_example();
  test_format_functions();
  test_linecache_rules();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (chdir("/") != 0 || system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
  return CHECK_DONE();
}
