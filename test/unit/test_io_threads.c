/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_threads.c - the thread table and each trace's thread in the
 * binary dump (header flag bit 3, io/dump.c) and in JSON ("threads" and a
 * per-trace "thread"): a round trip keeps them, binary -> JSON -> binary
 * is byte-identical, a snapshot without threads is written exactly as
 * before, and every bad section is refused with its exact message. Also
 * the snapshot API's checks (tm_snapshot_add_trace_thread). */
#define _GNU_SOURCE // memmem
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dump_payload.h"
#include "io.h"
#include "snapshot.h"
#include "tracemalloc.h"

/* info: limit 1, zeros, pid -1, program ""; one string "a.c", one
 * traceback (a.c:7); two traces of 10 and 20 B. */
#define BASE                                                                   \
  2, 0, 0, 0, 0, 0, 1, 0, 0, 1, 3, 'a', '.', 'c', 1, 1, 2, 0, 7, 0, 2, 0, 10,  \
      0, 20
#define BAD(msg, ...) BAD_SECTION(8, msg, __VA_ARGS__)

static void test_sections(void) {
  tm_snapshot_t *s = NULL;
  size_t n;
  // No flag: no thread table, every trace's thread unknown.
  const unsigned char plain[] = {BASE};
  CHECK_EQ_INT(load_payload(plain, sizeof plain, 0, &s), TM_OK);
  CHECK(tm_snapshot_threads(s, &n) == NULL && n == 0);
  CHECK_EQ_INT(tm_snapshot_traces(s)[1].thread, TM_THREAD_NONE);
  tm_snapshot_free(s);
  // Two threads (tid 5 live "wa", tid -1 ended ""), traces on 2 and none.
  const unsigned char two[] = {BASE, 2, 10, 0, 2, 'w', 'a', 1, 1, 0, 2, 0};
  CHECK_EQ_INT(load_payload(two, sizeof two, 8, &s), TM_OK);
  const tm_thread_info_t *t = tm_snapshot_threads(s, &n);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(t[0].tid, 5);
  CHECK_EQ_STR(t[0].name, "wa");
  CHECK(!t[0].ended);
  CHECK_EQ_INT(t[1].tid, -1);
  CHECK_EQ_STR(t[1].name, "");
  CHECK(t[1].ended);
  CHECK_EQ_INT(tm_snapshot_traces(s)[0].thread, 2);
  CHECK_EQ_INT(tm_snapshot_traces(s)[1].thread, TM_THREAD_NONE);
  tm_snapshot_free(s);
  // An empty table: each trace's thread is then 0.
  const unsigned char none[] = {BASE, 0, 0, 0};
  CHECK_EQ_INT(load_payload(none, sizeof none, 8, &s), TM_OK);
  tm_snapshot_free(s);

  BAD("truncated: threads needs more bytes, 0 left");
  BAD("corrupt: thread ended flag 2 is out of range (at most 1)", 1, 10, 2, 0,
      1, 1);
  BAD("corrupt: thread name 0 contains a NUL byte", 1, 10, 0, 1, 0, 1, 1);
  BAD("truncated: thread name 0 needs 9 bytes, 3 left", 1, 10, 0, 9, 'a', 1, 1);
  BAD("truncated: 5 threads need at least 15 bytes, 6 left", 5, 10, 0, 0, 1, 1,
      1);
  BAD("corrupt: trace 1: thread 2 out of range (1 threads)", 1, 10, 0, 0, 1, 2);
  BAD("truncated: trace thread needs more bytes, 0 left", 1, 10, 0, 0, 1);
  BAD("corrupt: 1 unexpected bytes after the threads", 1, 10, 0, 0, 1, 1, 7);
  // Without the flag, a thread section is bytes after the traces.
  const unsigned char extra[] = {BASE, 0, 0, 0};
  CHECK_EQ_INT(load_payload(extra, sizeof extra, 0, &s), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               NAME ": corrupt: 3 unexpected bytes after the traces");
}

/* Two threads, traces on each and one on none. */
static tm_snapshot_t *sample(void) {
  tm_snapshot_t *s;
  tm_snapshot_new(5, &s);
  uint32_t a = 0, b = 0;
  CHECK_EQ_INT(tm_snapshot_add_thread(s, 4242, "main", false, &a), TM_OK);
  // Thread names are bytes: not UTF-8 survives JSON (surrogateescape).
  CHECK_EQ_INT(tm_snapshot_add_thread(s, 4243, "w\xff\"1", true, &b), TM_OK);
  CHECK_EQ_INT(a, 1);
  CHECK_EQ_INT(b, 2);
  tm_frame_t f[] = {{"a.c", 2, "f"}, {"b.c", 4, NULL}};
  CHECK_EQ_INT(tm_snapshot_add_trace_thread(s, 0, 10, f, 2, 3, b), TM_OK);
  CHECK_EQ_INT(tm_snapshot_add_trace_thread(s, 0, 20, f, 2, 3, a), TM_OK);
  CHECK_EQ_INT(tm_snapshot_add_trace_thread(s, 3, 30, f + 1, 1, 1, 0), TM_OK);
  CHECK_EQ_INT(tm_snapshot_add_trace_thread(s, 0, 1, f, 2, 3, 3), TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "thread 3 is not in the snapshot (2 "
                                   "threads)");
  return s;
}

static void check_sample(const tm_snapshot_t *l) {
  size_t n;
  const tm_thread_info_t *t = tm_snapshot_threads(l, &n);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(t[0].tid, 4242);
  CHECK_EQ_STR(t[0].name, "main");
  CHECK(!t[0].ended);
  CHECK_EQ_INT(t[1].tid, 4243);
  CHECK_EQ_STR(t[1].name, "w\xff\"1");
  CHECK(t[1].ended);
  CHECK_EQ_INT(tm_snapshot_count(l), 3);
  CHECK_EQ_INT(tm_snapshot_traces(l)[0].thread, 2);
  CHECK_EQ_INT(tm_snapshot_traces(l)[1].thread, 1);
  CHECK_EQ_INT(tm_snapshot_traces(l)[2].thread, 0);
}

static void test_round_trip(void) {
  tm_snapshot_t *s = sample();
  tm_buf_t b, j, b2;
  CHECK_EQ_INT(tm_io_serialize_binary(s, &b), TM_OK);
  CHECK_EQ_INT(b.data[10], 8); // the flag
  tm_snapshot_t *l = NULL, *lj = NULL, *lb = NULL;
  CHECK_EQ_INT(tm_snapshot_load_buffer(b.data, b.len, NAME, &l), TM_OK);
  check_sample(l);
  CHECK_EQ_INT(tm_io_serialize_json(l, &j), TM_OK);
  tm_buf_putc(&j, '\0'); // for strstr (not part of the document)
  j.len--;
  // The JSON members, exactly.
  CHECK(strstr((const char *)j.data,
               "{\"domain\": 0, \"size\": 10, \"thread\": 1, \"traceback\": "
               "[[\"a.c\", 2], [\"b.c\", 4]]") != NULL);
  CHECK(strstr((const char *)j.data,
               "{\"domain\": 3, \"size\": 30, \"traceback\"") != NULL);
  CHECK(strstr((const char *)j.data,
               ",\n \"threads\": [\n  {\"tid\": 4242, \"name\": \"main\", "
               "\"ended\": false},\n  {\"tid\": 4243, \"name\": "
               "\"w\\udcff\\\"1\", \"ended\": true}\n ]}\n") != NULL);
  CHECK_EQ_INT(tm_snapshot_load_buffer(j.data, j.len, "s.json", &lj), TM_OK);
  check_sample(lj);
  CHECK_EQ_INT(tm_io_serialize_binary(lj, &b2), TM_OK);
  CHECK_EQ_INT(b2.len, b.len);
  CHECK(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0);
  // A filtered snapshot keeps the table and the traces' threads.
  tm_filter_t f = {
      .kind = TM_FILTER_THREAD, .inclusive = true, .thread_id = 4243};
  CHECK_EQ_INT(tm_snapshot_filter_traces(l, &f, 1, &lb), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(lb), 1);
  CHECK_EQ_INT(tm_snapshot_traces(lb)[0].size, 10);
  CHECK_EQ_INT(tm_snapshot_traces(lb)[0].thread, 2);
  size_t n;
  tm_snapshot_threads(lb, &n);
  CHECK_EQ_INT(n, 2);
  tm_snapshot_free(lb);
  tm_buf_free(&b);
  tm_buf_free(&b2);
  tm_buf_free(&j);
  tm_snapshot_free(l);
  tm_snapshot_free(lj);
  tm_snapshot_free(s);

  // Without threads: no flag, no JSON member (as before threads).
  tm_snapshot_new(5, &s);
  tm_frame_t g = {"a.c", 2, NULL};
  tm_snapshot_add_trace(s, 0, 10, &g, 1, 1);
  CHECK_EQ_INT(tm_io_serialize_binary(s, &b), TM_OK);
  CHECK_EQ_INT(b.data[10], 0);
  CHECK_EQ_INT(tm_io_serialize_json(s, &j), TM_OK);
  CHECK(memmem(j.data, j.len, "thread", 6) == NULL);
  tm_buf_free(&b);
  tm_buf_free(&j);
  tm_snapshot_free(s);
}

static tm_status_t load_json(const char *text, tm_snapshot_t **out) {
  return tm_snapshot_load_buffer(text, strlen(text), "s.json", out);
}

#define DOC(thread) "{" BODY(thread)
#define BODY(thread)                                                           \
  "\"format\": \"tracemalloc-json\", \"version\": 1, "                         \
  "\"traceback_limit\": 5, \"traces\": [{\"domain\": 0, \"size\": 10, "        \
  "\"thread\": " thread ", \"traceback\": [[\"a.c\", 2]], \"total_nframe\": "  \
  "1}]"
#define T1 "{\"tid\": 7, \"name\": \"w\", \"ended\": false}"

static void test_json_errors(void) {
  tm_snapshot_t *s = NULL;
  // "threads" before "traces" is read after them.
  CHECK_EQ_INT(load_json("{\"threads\": [" T1 "], " BODY("0") "}", &s), TM_OK);
  size_t n;
  tm_snapshot_threads(s, &n);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(tm_snapshot_traces(s)[0].thread, 1);
  tm_snapshot_free(s);
  CHECK_EQ_INT(load_json(DOC("1") ", \"threads\": [" T1 "]}", &s), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:115: thread 1 is not in \"threads\" (1 threads)");
  CHECK_EQ_INT(load_json(DOC("0") "}", &s), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:115: thread 0 is not in \"threads\" (0 threads)");
  CHECK_EQ_INT(
      load_json(DOC("0") ", \"threads\": [{\"tid\": 7, \"name\": \"w\"}]}", &s),
      TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:178: thread 0: missing key \"ended\"");
  CHECK_EQ_INT(load_json(DOC("0") ", \"threads\": [{\"tid\": 7, \"name\": 3, "
                                  "\"ended\": true}]}",
                         &s),
               TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:197: thread 0: name: expected a string");
  CHECK_EQ_INT(load_json(DOC("0") ", \"threads\": [{\"tid\": 7, \"name\": "
                                  "\"a\\u0000b\", \"ended\": true}]}",
                         &s),
               TM_EFORMAT);
  CHECK_EQ_INT(load_json(DOC("-1") ", \"threads\": []}", &s), TM_EFORMAT);
  CHECK(s == NULL);
}

int main(void) {
  test_sections();
  test_round_trip();
  test_json_errors();
  return CHECK_DONE();
}
