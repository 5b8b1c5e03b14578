/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_leaks.c - the leak classification section of the binary dump
 * (header flag bit 0, io/dump.c): a round trip keeps every record, a dump
 * without one loads without one, and every bad leaks section (with a valid
 * checksum) is refused with its exact message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dump_payload.h"
#include "io.h"
#include "snapshot.h"
#include "tracemalloc.h"

/* info: limit 1, no traced memory, zeros, pid -1, time 0, program "";
 * one string "a.c", two tracebacks (a.c:7, a.c:8), one trace of 10 B. */
#define BASE                                                                   \
  2, 0, 0, 0, 0, 0, 1, 0, 0, 1, 3, 'a', '.', 'c', 2, 1, 2, 0, 7, 0, 1, 2, 0,   \
      8, 0, 1, 0, 10
#define BAD(msg, ...) BAD_SECTION(1, msg, __VA_ARGS__)

static void test_sections(void) {
  tm_snapshot_t *s = NULL;
  size_t n;
  // No flag: no classification (what every older dump is).
  const unsigned char plain[] = {BASE};
  CHECK_EQ_INT(load_payload(plain, sizeof plain, 0, &s), TM_OK);
  CHECK(tm_snapshot_leaks(s, &n) == NULL && n == 0);
  tm_snapshot_free(s);
  // Flag with an empty section: a classification without records.
  const unsigned char empty[] = {BASE, 0};
  CHECK_EQ_INT(load_payload(empty, sizeof empty, 1, &s), TM_OK);
  CHECK(tm_snapshot_leaks(s, &n) != NULL && n == 0);
  tm_snapshot_free(s);
  const unsigned char two[] = {BASE, 2, 0, 1, 3, 96, 1, 3, 1, 4};
  CHECK_EQ_INT(load_payload(two, sizeof two, 1, &s), TM_OK);
  const tm_leak_rec_t *r = tm_snapshot_leaks(s, &n);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(r[0].kind, TM_LEAK_DIRECT);
  CHECK_EQ_INT(r[0].blocks, 3);
  CHECK_EQ_INT(r[0].bytes, 96);
  CHECK_EQ_INT(tm_traceback_frames(r[0].tb)[0].lineno, 7);
  CHECK_EQ_INT(r[1].kind, TM_LEAK_REACHABLE);
  CHECK_EQ_INT(tm_traceback_frames(r[1].tb)[0].lineno, 8);
  tm_snapshot_free(s);

  BAD("truncated: leak records needs more bytes, 0 left");
  BAD("corrupt: leak record 0: traceback index 2 out of range (2 "
      "tracebacks)",
      1, 2, 1, 1, 8);
  BAD("corrupt: leak record 0: kind 4 is not 1 (definitely lost), 2 "
      "(indirectly lost) or 3 (reachable)",
      1, 0, 4, 1, 8);
  BAD("corrupt: leak record 0: kind 0 is not 1 (definitely lost), 2 "
      "(indirectly lost) or 3 (reachable)",
      1, 0, 0, 1, 8);
  BAD("corrupt: leak record 0: 0 blocks", 1, 0, 1, 0, 8);
  BAD("corrupt: leak record 1: not after the previous one (records are in "
      "increasing (traceback, kind) order, each pair once)",
      2, 0, 2, 1, 8, 0, 2, 1, 8);
  BAD("corrupt: leak record 1: not after the previous one (records are in "
      "increasing (traceback, kind) order, each pair once)",
      2, 1, 1, 1, 8, 0, 1, 1, 8);
  BAD("corrupt: 1 unexpected bytes after the leak records", 0, 9);
  BAD("truncated: 5 leak records need at least 20 bytes, 4 left", 5, 0, 1, 1,
      8);
  BAD("corrupt: leak record 1: the leaked bytes total more than 2^63-1", 2, 0,
      1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 2, 1, 1);
  // Without the flag, a leaks section is bytes after the traces.
  UNFLAGGED_SECTION();
}

/* The writer: records in any order come back sorted, equal. */
static void test_round_trip(void) {
  tm_snapshot_t *s;
  tm_snapshot_new(5, &s);
  tm_frame_t f[] = {{"a.c", 2, "f"}, {"b.c", 4, NULL}};
  tm_snapshot_add_trace(s, 0, 10, f, 2, 3);
  const tm_traceback_t *t1 = tm_snapshot_traces(s)[0].traceback;
  // A traceback no trace uses (the block was freed after the scan).
  const char *c = tm_snapshot_intern_string(s, "c.c", 3);
  tm_frame_t g = {c, 9, NULL};
  const tm_traceback_t *t2 = tm_snapshot_intern_traceback(s, &g, 1, 1);
  tm_leak_rec_t recs[] = {{t2, TM_LEAK_INDIRECT, 2, 64},
                          {t1, TM_LEAK_REACHABLE, 1, 10},
                          {t1, TM_LEAK_DIRECT, 1, 32}};
  CHECK_EQ_INT(tm_snapshot_set_leaks(s, recs, 3), TM_OK);
  tm_buf_t b;
  CHECK_EQ_INT(tm_io_serialize_binary(s, &b), TM_OK);
  CHECK_EQ_INT(b.data[10], 1); // the flag
  tm_snapshot_t *l = NULL;
  CHECK_EQ_INT(tm_snapshot_load_buffer(b.data, b.len, NAME, &l), TM_OK);
  size_t n;
  const tm_leak_rec_t *r = tm_snapshot_leaks(l, &n);
  CHECK_EQ_INT(n, 3);
  // Traceback index order (t1 first: the traces' come first), then kind.
  CHECK_EQ_INT(r[0].kind, TM_LEAK_DIRECT);
  CHECK_EQ_INT(r[0].bytes, 32);
  CHECK_EQ_INT(r[1].kind, TM_LEAK_REACHABLE);
  CHECK_EQ_INT(r[2].kind, TM_LEAK_INDIRECT);
  CHECK_EQ_INT(r[2].blocks, 2);
  CHECK_EQ_STR(tm_traceback_frames(r[2].tb)[0].filename, "c.c");
  CHECK_EQ_INT(tm_traceback_frames(r[0].tb)[0].lineno, 2);
  tm_snapshot_free(l);
  tm_buf_free(&b);
  tm_snapshot_free(s);
}

static tm_status_t load_json(const char *text, tm_snapshot_t **out) {
  return tm_snapshot_load_buffer(text, strlen(text), "s.json", out);
}

#define DOC                                                                    \
  "{\"format\": \"tracemalloc-json\", \"version\": 1, "                        \
  "\"traceback_limit\": 5, \"traces\": [{\"domain\": 0, \"size\": 10, "        \
  "\"traceback\": [[\"a.c\", 2]], \"total_nframe\": 1}]"
#define REC(kind)                                                              \
  "{\"kind\": \"" kind "\", \"blocks\": 1, \"size\": 8, "                      \
  "\"traceback\": [[\"a.c\", 2]], \"total_nframe\": 1}"

static void test_json(void) {
  // binary -> JSON -> binary is byte-identical with a classification.
  tm_snapshot_t *s;
  tm_snapshot_new(5, &s);
  tm_frame_t f[] = {{"a.c", 2, "f"}, {"b.c", 4, NULL}};
  tm_snapshot_add_trace(s, 0, 10, f, 2, 3);
  const tm_traceback_t *t1 = tm_snapshot_traces(s)[0].traceback;
  const char *c = tm_snapshot_intern_string(s, "c.c", 3);
  tm_frame_t g = {c, 9, NULL};
  const tm_traceback_t *t2 = tm_snapshot_intern_traceback(s, &g, 1, 1);
  tm_leak_rec_t recs[] = {{t2, TM_LEAK_INDIRECT, 2, 64},
                          {t1, TM_LEAK_DIRECT, 1, 32}};
  CHECK_EQ_INT(tm_snapshot_set_leaks(s, recs, 2), TM_OK);
  check_json_round_trip(
      s, "\"leaks\": [\n  {\"kind\": \"definitely_lost\", \"blocks\": 1, "
         "\"size\": 32, \"traceback\": [[\"a.c\", 2], [\"b.c\", 4]]");
  tm_snapshot_free(s);

  size_t n;
  CHECK_EQ_INT(load_json(DOC "}", &s), TM_OK);
  CHECK(tm_snapshot_leaks(s, &n) == NULL);
  tm_snapshot_free(s);
  // "leaks" before "traces" is read after them.
  CHECK_EQ_INT(
      load_json(
          "{\"leaks\": [" REC(
              "reachable") "], "
                           "\"format\": \"tracemalloc-json\", \"version\": 1, "
                           "\"traceback_limit\": 5, \"traces\": []}",
          &s),
      TM_OK);
  CHECK(tm_snapshot_leaks(s, &n) != NULL && n == 1);
  tm_snapshot_free(s);
  CHECK_EQ_INT(load_json(DOC ", \"leaks\": []}", &s), TM_OK);
  CHECK(tm_snapshot_leaks(s, &n) != NULL && n == 0);
  tm_snapshot_free(s);
  CHECK_EQ_INT(load_json(DOC ", \"leaks\": [" REC("lost") "]}", &s),
               TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:172: leak 0: kind is not \"definitely_lost\", "
               "\"indirectly_lost\" or \"reachable\"");
  CHECK_EQ_INT(
      load_json(
          DOC ", \"leaks\": [" REC("reachable") ", " REC("reachable") "]}", &s),
      TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:162: leaks: the same traceback and kind twice");
  CHECK_EQ_INT(load_json(DOC ", \"leaks\": [{\"kind\": \"reachable\"}]}", &s),
               TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               "s.json:1:163: leak 0: missing key \"blocks\"");
  CHECK_EQ_INT(
      load_json(DOC ", \"leaks\": [{\"kind\": \"reachable\", \"blocks\": 0}]}",
                &s),
      TM_EFORMAT);
}

int main(void) {
  test_sections();
  test_round_trip();
  test_json();
  return CHECK_DONE();
}
