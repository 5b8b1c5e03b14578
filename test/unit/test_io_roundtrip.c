/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_roundtrip.c - binary and JSON dump/load round trips: every field
 * (traces in order, tracebacks with function names and total_nframe incl.
 * None, traceback limit, info), 0 traces, empty tracebacks, non-UTF-8 and
 * escaped file names, 1M traces (size per trace), and the atomic write
 * (no temporary file left behind, target untouched on failure). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "io.h"
#include "raw_alloc.h"
#include "snapshot_build.h"
#include "tracemalloc.h"

static char dir[256];

static const char *path_in_dir(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

static tm_snapshot_t *sample(void) {
  tm_snapshot_t *s;
  CHECK_EQ_INT(tm_snapshot_new(25, &s), TM_OK);
  tm_frame_t f1[] = {{"a.c", 2, "alloc"}, {"b.c", 4, "main"}};
  tm_frame_t f2[] = {{"a.c", 5, NULL}, {"b.c", 4, "main"}};
  tm_frame_t f3[] = {{"we\"ird\\name\n\t\x01\x7f.c", 7, "f"}};
  tm_frame_t f4[] = {{"caf\xc3\xa9/\xff\xfe\xed\xa0\x80.c", 4000000000u, "g"}};
  for (int i = 0; i < 3; i++)
    tm_snapshot_add_trace(s, 0, 10, f1, 2, 3);
  tm_snapshot_add_trace(s, 1, 2, f2, 2, TM_TOTAL_NFRAME_NONE);
  // The biggest size a loaded snapshot allows: the sizes total 2^63-1
  // (io.h; 30 + 2 + 99 for the others).
  tm_snapshot_add_trace(s, 4000000000u, (size_t)INT64_MAX - 131, f3, 1, 1);
  tm_snapshot_add_trace(s, 7, 0, f4, 1, UINT32_MAX - 1);
  // What an empty traceback loads as (CPython's, io.h).
  tm_frame_t unknown[] = {{"<unknown>", 0, NULL}};
  tm_snapshot_add_trace(s, 0, 99, unknown, 1, 0);
  tm_snapshot_info_t info = {.size = sizeof info,
                             .traced_current = 123,
                             .traced_peak = 456,
                             .tracemalloc_memory = 789,
                             .dropped_traces = 5,
                             .pid = 4242,
                             .time_ns = 1700000000123456789LL,
                             .program = "/usr/bin/prog \xff",
                             .has_traced_memory = true};
  CHECK_EQ_INT(tm_snapshot_set_info(s, &info), TM_OK);
  return s;
}

static int same_str(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

/* Equal traces in the same order; functions compared when with_functions. */
static void check_same_traces(const tm_snapshot_t *a, const tm_snapshot_t *b,
                              int with_functions) {
  CHECK_EQ_INT(tm_snapshot_count(a), tm_snapshot_count(b));
  CHECK_EQ_INT(tm_snapshot_traceback_limit(a), tm_snapshot_traceback_limit(b));
  size_t n = tm_snapshot_count(a) < tm_snapshot_count(b) ? tm_snapshot_count(a)
                                                         : tm_snapshot_count(b);
  const tm_trace_t *ta = tm_snapshot_traces(a), *tb = tm_snapshot_traces(b);
  int bad = 0;
  for (size_t i = 0; i < n && bad < 5; i++) {
    size_t la = tm_traceback_length(ta[i].traceback);
    int ok = ta[i].domain == tb[i].domain && ta[i].size == tb[i].size &&
             la == tm_traceback_length(tb[i].traceback) &&
             tm_traceback_total_nframe(ta[i].traceback) ==
                 tm_traceback_total_nframe(tb[i].traceback);
    const tm_frame_t *fa = tm_traceback_frames(ta[i].traceback);
    const tm_frame_t *fb = tm_traceback_frames(tb[i].traceback);
    for (size_t k = 0; ok && k < la; k++)
      ok = same_str(fa[k].filename, fb[k].filename) &&
           fa[k].lineno == fb[k].lineno &&
           (!with_functions || same_str(fa[k].function, fb[k].function));
    if (!ok) {
      bad++;
      fprintf(stderr, "trace %zu differs\n", i);
    }
  }
  CHECK_EQ_INT(bad, 0);
}

static void check_info(const tm_snapshot_t *a, const tm_snapshot_t *b) {
  tm_snapshot_info_t x = {.size = sizeof x}, y = {.size = sizeof y};
  tm_snapshot_get_info(a, &x);
  tm_snapshot_get_info(b, &y);
  CHECK_EQ_INT(x.traced_current, y.traced_current);
  CHECK_EQ_INT(x.traced_peak, y.traced_peak);
  CHECK_EQ_INT(x.tracemalloc_memory, y.tracemalloc_memory);
  CHECK_EQ_INT(x.dropped_traces, y.dropped_traces);
  CHECK_EQ_INT(x.pid, y.pid);
  CHECK_EQ_INT(x.time_ns, y.time_ns);
  CHECK_EQ_STR(x.program, y.program);
  CHECK_EQ_INT(x.has_traced_memory, y.has_traced_memory);
}

static int count_dir_entries(void) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

static void test_binary_roundtrip(void) {
  tm_snapshot_t *s = sample(), *l = NULL;
  const char *p = path_in_dir("sample.tmd");
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_OK);
  CHECK_EQ_INT(tm_snapshot_load(p, &l), TM_OK);
  if (l) {
    check_same_traces(s, l, 1);
    check_info(s, l);
    // Identical tracebacks still share one pointer after loading.
    CHECK(tm_snapshot_traces(l)[0].traceback ==
          tm_snapshot_traces(l)[2].traceback);
  }
  // Overwriting keeps exactly one file and no temporary.
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_OK);
  CHECK_EQ_INT(count_dir_entries(), 1);
  tm_snapshot_free(l);
  tm_snapshot_free(s);
}

#define CONTAINS(buf, lit)                                                     \
  (memmem((buf).data, (buf).len, lit, sizeof(lit) - 1) != NULL)

static void test_json_roundtrip(void) {
  tm_snapshot_t *s = sample(), *l = NULL, *l2 = NULL;
  char p[512];
  snprintf(p, sizeof p, "%s", path_in_dir("sample.json"));
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_OK); // ".json" -> JSON
  CHECK_EQ_INT(tm_snapshot_load(p, &l), TM_OK);
  if (l) {
    check_same_traces(s, l, 0);
    tm_snapshot_info_t i = {.size = sizeof i};
    tm_snapshot_get_info(l, &i);
    CHECK(i.has_traced_memory);
    CHECK_EQ_INT(i.traced_current, 123);
    CHECK_EQ_INT(i.traced_peak, 456);
    // The optional members keep the info (json_write.c).
    CHECK_EQ_INT(i.pid, 4242);
    CHECK_EQ_INT(i.dropped_traces, 5);
    CHECK_EQ_INT(i.tracemalloc_memory, 789);
    CHECK_EQ_INT(i.time_ns, 1700000000123456789LL);
    CHECK_EQ_STR(i.program, "/usr/bin/prog \xff");
    // JSON -> binary -> load keeps it too.
    CHECK_EQ_INT(tm_snapshot_dump(l, path_in_dir("again.tmd")), TM_OK);
    CHECK_EQ_INT(tm_snapshot_load(path_in_dir("again.tmd"), &l2), TM_OK);
    if (l2)
      check_same_traces(l, l2, 1);
  }
  tm_buf_t a, b;
  CHECK_EQ_INT(tm_io_serialize_json(s, &a), TM_OK);
  CHECK_EQ_INT(tm_io_serialize_json(l, &b), TM_OK);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  // The escaping rules, byte for byte.
  CHECK(CONTAINS(a, "\"we\\\"ird\\\\name\\n\\t\\u0001\\u007f.c\""));
  CHECK(CONTAINS(a, "\"caf\xc3\xa9/\\udcff\\udcfe\\udced\\udca0"
                    "\\udc80.c\", 4000000000]"));
  CHECK(CONTAINS(a, "\"total_nframe\": null"));
  tm_buf_free(&a);
  tm_buf_free(&b);
  unlink(path_in_dir("again.tmd"));
  unlink(p);
  tm_snapshot_free(l2);
  tm_snapshot_free(l);
  tm_snapshot_free(s);
}

static void test_empty(void) {
  tm_snapshot_t *s, *l = NULL;
  tm_snapshot_new(1, &s);
  const char *p = path_in_dir("empty.tmd");
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_OK);
  CHECK_EQ_INT(tm_snapshot_load(p, &l), TM_OK);
  if (l) {
    CHECK_EQ_INT(tm_snapshot_count(l), 0);
    CHECK_EQ_INT(tm_snapshot_traceback_limit(l), 1);
    check_info(s, l);
  }
  tm_snapshot_free(l);
  l = NULL;
  CHECK_EQ_INT(tm_snapshot_dump_json(s, p), TM_OK); // JSON at any name
  CHECK_EQ_INT(tm_snapshot_load(p, &l), TM_OK);
  if (l)
    CHECK_EQ_INT(tm_snapshot_count(l), 0);
  unlink(p);
  tm_snapshot_free(l);
  tm_snapshot_free(s);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1M traces over 1000 tracebacks: size per trace and speed. */
static void test_million(void) {
  tm_snapshot_t *s, *l = NULL;
  tm_snapshot_new(3, &s);
  const tm_traceback_t *tbs[1000];
  char name[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "src/file%d.c", i % 50);
    tm_frame_t f[3] = {
        {tm_snapshot_intern_string(s, name, strlen(name)), (unsigned)i, NULL},
        {tm_snapshot_intern_string(s, "src/main.c", 10), 10, NULL},
        {tm_snapshot_intern_string(s, "src/start.c", 11), 1, NULL}};
    tbs[i] = tm_snapshot_intern_traceback(s, f, 3, 3 + i % 7);
  }
  tm_snapshot_reserve(s, 1000000);
  uint64_t x = 42;
  for (int i = 0; i < 1000000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    tm_snapshot_append(s, (x >> 60) == 0 ? 3 : 0, (x >> 33) % 5000,
                       tbs[(x >> 40) % 1000]);
  }
  const char *p = path_in_dir("million.tmd");
  double t0 = now();
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_OK);
  double t1 = now();
  CHECK_EQ_INT(tm_snapshot_load(p, &l), TM_OK);
  double t2 = now();
  struct stat sb;
  stat(p, &sb);
  double per = sb.st_size / 1e6;
  printf("1M traces: %lld bytes (%.2f B/trace), dump %.3f s, load %.3f s\n",
         (long long)sb.st_size, per, t1 - t0, t2 - t1);
  CHECK(per <= 12.0);
  if (l)
    check_same_traces(s, l, 1);
  unlink(p);
  tm_snapshot_free(l);
  tm_snapshot_free(s);
}

static void test_write_failures(void) {
  tm_snapshot_t *s = sample();
  char p[600];
  snprintf(p, sizeof p, "%s/no/such/dir/x.tmd", dir);
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_EIO);
  char want[700];
  snprintf(want, sizeof want,
           "%s: cannot create temporary file: No such file or directory", p);
  CHECK_EQ_STR(tm_error_message(), want);
  // A directory at the target: rename fails, the temporary is removed.
  snprintf(p, sizeof p, "%s/adir", dir);
  mkdir(p, 0777);
  CHECK_EQ_INT(tm_snapshot_dump(s, p), TM_EIO);
  CHECK(strstr(tm_error_message(), ": rename failed: ") != NULL);
  CHECK_EQ_INT(count_dir_entries(), 1);
  rmdir(p);
  CHECK_EQ_INT(tm_snapshot_dump(s, ""), TM_EINVAL);
  tm_snapshot_free(s);
}

int main(void) {
  // Every object the loaders and writers allocate is given back, on the
  // error paths too (tm_raw memory is invisible to LeakSanitizer).
  size_t objects_before = tm_raw_usage(TM_MEM_OBJECTS);
  snprintf(dir, sizeof dir, "%s/tm-io-XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(dir))
    return 2;
  CHECK_EQ_INT(tm_crc32c("123456789", 9), 0xE3069283u);
  test_binary_roundtrip();
  unlink(path_in_dir("sample.tmd"));
  test_json_roundtrip();
  test_empty();
  test_write_failures();
  test_million();
  rmdir(dir);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), objects_before);
  return CHECK_DONE();
}
