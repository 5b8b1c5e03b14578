/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_json_read.c - the tracemalloc-json reader: accepted documents (key
 * order, traces before traceback_limit, unknown members, null total_nframe,
 * escapes, surrogate pairs, surrogateescape bytes, BOM) and every rejection,
 * with the exact "FILE:LINE:COL: problem" message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io.h"
#include "raw_alloc.h"
#include "tracemalloc.h"

static tm_snapshot_t *load_ok(const char *doc) {
  tm_snapshot_t *s = NULL;
  // An exact-size heap copy so that ASan sees any overread.
  size_t n = strlen(doc);
  char *copy = malloc(n ? n : 1);
  memcpy(copy, doc, n);
  tm_status_t st = tm_snapshot_load_buffer(copy, n, "t.json", &s);
  free(copy);
  if (st != TM_OK)
    fprintf(stderr, "unexpected failure: %s\n", tm_error_message());
  CHECK_EQ_INT(st, TM_OK);
  return s;
}

static void reject(int line, const char *doc, tm_status_t want,
                   const char *msg) {
  tm_snapshot_t *s = (tm_snapshot_t *)1;
  size_t n = strlen(doc);
  char *copy = malloc(n ? n : 1);
  memcpy(copy, doc, n);
  tm_status_t st = tm_snapshot_load_buffer(copy, n, "t.json", &s);
  free(copy);
  if (st != want || s != NULL || strcmp(tm_error_message(), msg) != 0) {
    fprintf(stderr, "line %d: got %d '%s'\n   want %d '%s'\n", line, st,
            tm_error_message(), want, msg);
    check_failed++;
  } else {
    check_passed++;
  }
}

#define HEAD                                                                   \
  "{\"format\": \"tracemalloc-json\", \"version\": 1, "                        \
  "\"traceback_limit\": 3, \"traces\": "
#define REJECT(doc, msg) reject(__LINE__, doc, TM_EFORMAT, msg)

static void test_accept(void) {
  tm_snapshot_t *s = load_ok(
      "\xEF\xBB\xBF {\"traces\": [{\"size\": 5, \"traceback\": "
      "[[\"a\\u00e9\\ud83d\\ude00\\/\\udcff.c\", 0]], \"extra\": [1, {\"x\": "
      "null}], \"total_nframe\": null, \"domain\": 4294967295}],\n"
      "\"unknown\": {\"a\": [true, false, -1.5e+3]}, \"version\": 1, "
      "\"traceback_limit\": -1, \"format\": \"tracemalloc-json\"}\r\n");
  if (s) {
    CHECK_EQ_INT(tm_snapshot_count(s), 1);
    CHECK_EQ_INT(tm_snapshot_traceback_limit(s), -1);
    const tm_trace_t *t = tm_snapshot_traces(s);
    CHECK_EQ_INT(t->domain, 4294967295u);
    CHECK_EQ_INT(t->size, 5);
    CHECK_EQ_INT(tm_traceback_total_nframe(t->traceback), TM_TOTAL_NFRAME_NONE);
    CHECK_EQ_STR(tm_traceback_frames(t->traceback)[0].filename,
                 "a\xc3\xa9\xf0\x9f\x98\x80/\xff.c");
    tm_snapshot_info_t i = {.size = sizeof i};
    tm_snapshot_get_info(s, &i);
    CHECK(!i.has_traced_memory);
  }
  tm_snapshot_free(s);
  s = load_ok("{\"format\":\"tracemalloc-json\",\"version\":1,"
              "\"traceback_limit\":1,\"traced_memory\":{\"peak\":9,"
              "\"current\":18446744073709551615},\"traces\":[]}");
  if (s) {
    tm_snapshot_info_t i = {.size = sizeof i};
    tm_snapshot_get_info(s, &i);
    CHECK(i.has_traced_memory);
    CHECK(i.traced_current == UINT64_MAX);
    CHECK_EQ_INT(i.traced_peak, 9);
  }
  tm_snapshot_free(s);
  // An empty traceback is CPython's ("<unknown>", 0) frame (io.h).
  s = load_ok(HEAD "[{\"domain\": 0, \"size\": 1, \"traceback\": [], "
                   "\"total_nframe\": 0}]}");
  if (s) {
    const tm_traceback_t *tb = tm_snapshot_traces(s)->traceback;
    CHECK_EQ_INT(tm_traceback_length(tb), 1);
    CHECK_EQ_STR(tm_traceback_frames(tb)[0].filename, "<unknown>");
    CHECK_EQ_INT(tm_traceback_frames(tb)[0].lineno, 0);
    CHECK_EQ_INT(tm_traceback_total_nframe(tb), 0);
  }
  tm_snapshot_free(s);
  // The optional members: function names and the snapshot info.
  s = load_ok("{\"format\": \"tracemalloc-json\", \"version\": 1, "
              "\"traceback_limit\": 2, \"program\": \"./a\", \"pid\": 7, "
              "\"time_ns\": 5, \"dropped_traces\": 3, "
              "\"tracemalloc_memory\": 9, \"traces\": [{\"functions\": "
              "[\"f\", null], \"domain\": 0, \"size\": 1, \"traceback\": "
              "[[\"a.c\", 1], [\"b.c\", 2]], \"total_nframe\": 2}]}");
  if (s) {
    const tm_traceback_t *tb = tm_snapshot_traces(s)->traceback;
    CHECK_EQ_STR(tm_traceback_frames(tb)[0].function, "f");
    CHECK(tm_traceback_frames(tb)[1].function == NULL);
    tm_snapshot_info_t i = {.size = sizeof i};
    CHECK_EQ_INT(tm_snapshot_get_info(s, &i), TM_OK);
    CHECK_EQ_STR(i.program, "./a");
    CHECK_EQ_INT(i.pid, 7);
    CHECK_EQ_INT(i.time_ns, 5);
    CHECK_EQ_INT(i.dropped_traces, 3);
    CHECK_EQ_INT(i.tracemalloc_memory, 9);
  }
  tm_snapshot_free(s);
  REJECT(HEAD "[{\"domain\": 0, \"size\": 1, \"traceback\": [[\"a.c\", 1]], "
              "\"total_nframe\": 1, \"functions\": []}]}",
         "t.json:1:79: trace 0: \"functions\" has 0 entries, the traceback 1 "
         "frames");
  // Sizes that would wrap a 64-bit sum are refused (io.h).
  REJECT(HEAD "[{\"domain\": 0, \"size\": 9223372036854775807, "
              "\"traceback\": [], \"total_nframe\": 0}, {\"domain\": 0, "
              "\"size\": 1, \"traceback\": [], \"total_nframe\": 0}]}",
         "t.json:1:158: trace 1: the sizes total more than "
         "9223372036854775807 bytes (2^63-1), which no process can hold");
}

static void test_reject_syntax(void) {
  REJECT("{", "t.json:1:2: unexpected end of input in the document");
  REJECT("{\"format\": \"tracemalloc-json\",}",
         "t.json:1:31: expected a key string in the document");
  REJECT(HEAD "[]} x", "t.json:1:82: unexpected data after the JSON document");
  REJECT(HEAD "[]}{}", "t.json:1:81: unexpected data after the JSON document");
  REJECT(HEAD "[{\"domain\": 01}]}",
         "t.json:1:90: leading zeros are not allowed in a number");
  REJECT(HEAD "[{\"domain\": 1.5}]}",
         "t.json:1:90: domain: expected an integer in range [0; 4294967295]");
  REJECT(HEAD "[{\"domain\": -1}]}",
         "t.json:1:90: domain: integer out of range [0; 4294967295]");
  REJECT(HEAD "[{\"domain\": 4294967296}]}",
         "t.json:1:90: domain: integer out of range [0; 4294967295]");
  REJECT(HEAD "[{\"domain\": \"0\"}]}",
         "t.json:1:90: domain: expected an integer");
  REJECT(HEAD "[{\"domain\": 1,}]}",
         "t.json:1:92: expected a key string in a trace object");
  REJECT(HEAD "[{\"domain\": 1 \"size\": 2}]}",
         "t.json:1:92: expected ',' or '}' in a trace object");
  REJECT(HEAD "[{\"domain\": 1, \"domain\": 2}]}",
         "t.json:1:93: duplicate key \"domain\"");
  REJECT(HEAD "[{\"domain\": 1, \"size\": 2, \"traceback\": [], "
              "\"total_nframe\": 1},]}",
         "t.json:1:140: expected '{' to start a trace object");
  REJECT(HEAD "[{\"domain\": 1, \"size\": 2, \"traceback\": []}]}",
         "t.json:1:79: trace 0: missing key \"total_nframe\"");
  REJECT("{\"format\": \"tracemalloc-json\", \"version\": 1, \"traces\": []}",
         "t.json:1:1: missing key \"traceback_limit\" (not a tracemalloc-json "
         "document?)");
  REJECT("{\"a\": \"\x01\"}", "t.json:1:8: control character 0x01 in a string");
  REJECT("{\"a\": \"\xff\"}", "t.json:1:8: invalid UTF-8 in a string");
  REJECT("{\"a\": \"\xed\xa0\x80\"}", "t.json:1:8: invalid UTF-8 in a string");
  REJECT("{\"a\": \"\\x\"}", "t.json:1:8: invalid escape sequence in a string");
  REJECT("{\"a\": \"\\ud800\"}", "t.json:1:8: lone surrogate \\ud800 in a "
                                 "string");
  REJECT("{\"a\": \"\\udc7f\"}", "t.json:1:8: lone surrogate \\udc7f in a "
                                 "string");
  REJECT("{\"a\": \"\\u0000\"}", "t.json:1:8: \\u0000 is not allowed in a "
                                 "string");
  REJECT("{\"a\": \"\\u12\"}", "t.json:1:10: invalid \\u escape");
  REJECT("{\"a\": \"abc", "t.json:1:7: unterminated string");
  REJECT("{\"a\": tru}", "t.json:1:7: invalid literal");
  REJECT("{\"a\": [1 2]}", "t.json:1:10: expected ',' or ']'");
  REJECT("{\"a\": 1.}", "t.json:1:9: invalid number: digits expected after "
                        "'.'");
  REJECT("{\"a\": 1e}", "t.json:1:9: invalid number: digits expected in the "
                        "exponent");
  REJECT("{\"a\": -}", "t.json:1:7: invalid number");
  REJECT("{\"a\": NaN}", "t.json:1:7: expected a value");
  REJECT("{\n  \"a\":\n    [1,\n     ]}", "t.json:4:6: expected a value");
  REJECT("{\"format\": \"tracemalloc-pickle\"}",
         "t.json:1:12: not a tracemalloc-json document (format is "
         "\"tracemalloc-pickle\")");
  reject(__LINE__, "{\"version\": 2}", TM_EVERSION,
         "t.json:1:13: unsupported tracemalloc-json version 2 (this library "
         "reads version 1)");
  REJECT(HEAD "[{\"domain\": 0, \"size\": 1, \"traceback\": [[\"a\", 1, "
              "2]], \"total_nframe\": 1}]}",
         "t.json:1:125: expected ']' to end a frame [filename, lineno]");
  REJECT(HEAD "[{\"domain\": 0, \"size\": 1, \"traceback\": [[1, 1]], "
              "\"total_nframe\": 1}]}",
         "t.json:1:119: frame: expected the filename string");
  REJECT(HEAD "[{\"domain\": 0, \"size\": 1, \"traceback\": [], "
              "\"total_nframe\": 4294967295}]}",
         "t.json:1:137: total_nframe: integer out of range [0; 4294967294]");
}

static void test_limits(void) {
  // 100 nested arrays in an unknown member: over the depth limit.
  char doc[400] = "{\"x\": ";
  for (int i = 0; i < 100; i++)
    strcat(doc, "[");
  strcat(doc, "]}");
  REJECT(doc, "t.json:1:70: nesting deeper than 64 levels");
  // A 2 MiB string.
  size_t n = 2u << 20;
  char *big = malloc(n + 32);
  strcpy(big, "{\"x\": \"");
  memset(big + 7, 'a', n);
  strcpy(big + 7 + n, "\"}");
  REJECT(big, "t.json:1:7: string longer than 1048576 bytes");
  free(big);
}

int main(void) {
  // Every object the loaders and writers allocate is given back, on the
  // error paths too (tm_raw memory is invisible to LeakSanitizer).
  size_t objects_before = tm_raw_usage(TM_MEM_OBJECTS);
  test_accept();
  test_reject_syntax();
  test_limits();
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), objects_before);
  return CHECK_DONE();
}
