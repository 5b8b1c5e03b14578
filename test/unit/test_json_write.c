/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_json_write.c - the tracemalloc-json writer: the exact document for a
 * small snapshot (layout, traced_memory present or not, null total_nframe,
 * empty traces), the string escaping rules, and the surrogateescape round
 * trip of every byte value 0x01..0xff in a file name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io.h"
#include "raw_alloc.h"
#include "tracemalloc.h"

static char *json_of(const tm_snapshot_t *s) {
  tm_buf_t b;
  CHECK_EQ_INT(tm_io_serialize_json(s, &b), TM_OK);
  char *text = malloc(b.len + 1);
  memcpy(text, b.data, b.len);
  text[b.len] = '\0';
  tm_buf_free(&b);
  return text;
}

static void test_exact_document(void) {
  tm_snapshot_t *s;
  tm_snapshot_new(2, &s);
  char *t = json_of(s);
  CHECK_EQ_STR(t, "{\"format\": \"tracemalloc-json\", \"version\": 1, "
                  "\"traceback_limit\": 2,\n \"traces\": []}\n");
  free(t);
  tm_frame_t f[] = {{"a.py", 2, "fn"}, {"b.py", 4, NULL}};
  tm_snapshot_add_trace(s, 0, 10, f, 2, 3);
  tm_snapshot_add_trace(s, 4294967295u, 18446744073709551615ull, f + 1, 1,
                        TM_TOTAL_NFRAME_NONE);
  tm_snapshot_add_trace(s, 1, 0, NULL, 0, 0);
  tm_snapshot_info_t info = {.size = sizeof info,
                             .traced_current = 1,
                             .traced_peak = 18446744073709551615ull,
                             .has_traced_memory = true};
  tm_snapshot_set_info(s, &info);
  t = json_of(s);
  CHECK_EQ_STR(
      t,
      "{\"format\": \"tracemalloc-json\", \"version\": 1, \"traceback_limit\": "
      "2,\n"
      " \"traced_memory\": {\"current\": 1, \"peak\": 18446744073709551615},\n"
      " \"traces\": [\n"
      "  {\"domain\": 0, \"size\": 10, \"traceback\": [[\"a.py\", 2], "
      "[\"b.py\", 4]], \"total_nframe\": 3, \"functions\": [\"fn\", null]},\n"
      "  {\"domain\": 4294967295, \"size\": 18446744073709551615, "
      "\"traceback\": [[\"b.py\", 4]], \"total_nframe\": null},\n"
      "  {\"domain\": 1, \"size\": 0, \"traceback\": [], \"total_nframe\": 0}\n"
      " ]}\n");
  free(t);
  tm_snapshot_free(s);
  tm_snapshot_new(-7, &s);
  t = json_of(s);
  CHECK(strstr(t, "\"traceback_limit\": -7,") != NULL);
  free(t);
  tm_snapshot_free(s);
}

/* The JSON text of a one-frame snapshot's file name. */
static char *escaped(const char *name) {
  tm_snapshot_t *s;
  tm_snapshot_new(1, &s);
  tm_frame_t f = {name, 1, NULL};
  tm_snapshot_add_trace(s, 0, 1, &f, 1, 1);
  char *t = json_of(s);
  tm_snapshot_free(s);
  char *start = strstr(t, "[[\"") + 3, *end = strstr(t, "\", 1]]");
  *end = '\0';
  memmove(t, start, strlen(start) + 1);
  return t;
}

static void test_escapes(void) {
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"plain/path.c", "plain/path.c"},
      {"q\"b\\s/", "q\\\"b\\\\s/"},
      {"\b\f\n\r\t", "\\b\\f\\n\\r\\t"},
      {"\x01\x1f\x7f", "\\u0001\\u001f\\u007f"},
      {"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5 "
                                                    "\xf0\x9f\x98\x80"},
      {"\xff\xfe", "\\udcff\\udcfe"},
      {"\xc3", "\\udcc3"},                       // truncated sequence
      {"\xc0\xaf", "\\udcc0\\udcaf"},            // overlong
      {"\xed\xa0\x80", "\\udced\\udca0\\udc80"}, // UTF-8 of a surrogate
      {"\xf4\x90\x80\x80", "\\udcf4\\udc90\\udc80\\udc80"}, // > U+10FFFF
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *t = escaped(cases[i].in);
    CHECK_EQ_STR(t, cases[i].out);
    free(t);
  }
}

/* Every byte value survives JSON, alone and inside valid UTF-8 text. */
static void test_every_byte(void) {
  tm_snapshot_t *s, *l = NULL;
  tm_snapshot_new(1, &s);
  char names[255][8];
  for (int b = 1; b < 256; b++) {
    snprintf(names[b - 1], sizeof names[0], "\xc3\xa9%c!", b);
    tm_frame_t f = {names[b - 1], (unsigned)b, NULL};
    tm_snapshot_add_trace(s, 0, 1, &f, 1, 1);
  }
  tm_buf_t buf;
  tm_io_serialize_json(s, &buf);
  CHECK_EQ_INT(tm_snapshot_load_buffer(buf.data, buf.len, "b.json", &l), TM_OK);
  int bad = 0;
  for (size_t i = 0; l && i < 255; i++) {
    const tm_frame_t *f =
        tm_traceback_frames(tm_snapshot_traces(l)[i].traceback);
    if (strcmp(f->filename, names[i]) != 0)
      bad++;
  }
  CHECK_EQ_INT(bad, 0);
  tm_buf_free(&buf);
  tm_snapshot_free(l);
  tm_snapshot_free(s);
}

int main(void) {
  // Every object the loaders and writers allocate is given back, on the
  // error paths too (tm_raw memory is invisible to LeakSanitizer).
  size_t objects_before = tm_raw_usage(TM_MEM_OBJECTS);
  test_exact_document();
  test_escapes();
  test_every_byte();
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), objects_before);
  return CHECK_DONE();
}
