/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_timeline.c - the timeline in snapshots and in both formats: the
 * C API's checks, the binary section (header flag bit 4) and the JSON member
 * "timeline" round-trip exactly (binary -> JSON -> binary byte for byte),
 * a dump without one loads without one, and every corrupt section is
 * refused with a message naming the problem. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io.h"
#include "snapshot_io.h"
#include "tracemalloc.h"

static const tm_timeline_point_t good[] = {
    {0, 0, 0, 0},
    {10000000, 4096, 4096, 12},
    {15500000, 1u << 20, 1u << 20, 40},
    {20000000, 100, 1u << 20, 41},
    {20000000, 0, 0, 41}, // a clear: same time, peak back to 0
};
enum { NGOOD = sizeof good / sizeof *good };

static tm_snapshot_t *with_timeline(const tm_timeline_point_t *p, size_t n) {
  tm_snapshot_t *s = NULL;
  CHECK_EQ_INT(tm_snapshot_new(1, &s), TM_OK);
  tm_frame_t f = {"a.c", 3, "main"};
  CHECK_EQ_INT(tm_snapshot_add_trace(s, 0, 100, &f, 1, 1), TM_OK);
  if (p)
    CHECK_EQ_INT(tm_snapshot_set_timeline(s, p, n), TM_OK);
  return s;
}

static void check_same(const tm_snapshot_t *s, const tm_timeline_point_t *p,
                       size_t n) {
  size_t got = 99;
  const tm_timeline_point_t *q = tm_snapshot_timeline(s, &got);
  CHECK(q != NULL);
  CHECK_EQ_INT(got, n);
  for (size_t i = 0; q && i < n && i < got; i++) {
    CHECK_EQ_INT(q[i].time_ns, p[i].time_ns);
    CHECK_EQ_INT(q[i].current, p[i].current);
    CHECK_EQ_INT(q[i].peak, p[i].peak);
    CHECK_EQ_INT(q[i].allocations, p[i].allocations);
  }
}

static void test_api(void) {
  tm_snapshot_t *s = with_timeline(NULL, 0);
  size_t n = 7;
  CHECK(tm_snapshot_timeline(s, &n) == NULL);
  CHECK_EQ_INT(n, 0);
  tm_timeline_point_t bad[2] = {{5, 0, 0, 0}, {4, 0, 0, 0}};
  CHECK_EQ_INT(tm_snapshot_set_timeline(s, bad, 2), TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "timeline point 1: time goes backwards");
  bad[1] = (tm_timeline_point_t){5, 0, 0, 0};
  bad[0].allocations = 3;
  CHECK_EQ_INT(tm_snapshot_set_timeline(s, bad, 2), TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(),
               "timeline point 1: allocation count goes backwards");
  bad[0] = (tm_timeline_point_t){0, 8, 7, 0};
  CHECK_EQ_INT(tm_snapshot_set_timeline(s, bad, 1), TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), "timeline point 0: current 8 above peak 7");
  CHECK(tm_snapshot_timeline(s, &n) == NULL); // unchanged by the failures
  CHECK_EQ_INT(tm_snapshot_set_timeline(s, NULL, 0), TM_OK);
  CHECK(tm_snapshot_timeline(s, &n) != NULL); // an empty timeline is one
  CHECK_EQ_INT(n, 0);
  tm_snapshot_free(s);
}

static void test_roundtrip(void) {
  tm_snapshot_t *s = with_timeline(good, NGOOD);
  tm_buf_t bin, json, bin2;
  CHECK_EQ_INT(tm_io_serialize_binary(s, &bin), TM_OK);
  CHECK_EQ_INT(bin.data[10], 0x10); // flag bit 4, nothing else
  tm_snapshot_t *a = NULL, *b = NULL;
  CHECK_EQ_INT(tm_snapshot_load_buffer(bin.data, bin.len, "x.tmd", &a), TM_OK);
  check_same(a, good, NGOOD);
  CHECK_EQ_INT(tm_io_serialize_json(a, &json), TM_OK);
  CHECK(strstr((const char *)json.data,
               "\n \"timeline\": [\n  {\"time_ns\": 0, \"current\": 0, "
               "\"peak\": 0, \"allocations\": 0},\n  {\"time_ns\": 10000000, "
               "\"current\": 4096, \"peak\": 4096, \"allocations\": 12},") !=
        NULL);
  CHECK_EQ_INT(tm_snapshot_load_buffer(json.data, json.len, "x.json", &b),
               TM_OK);
  check_same(b, good, NGOOD);
  CHECK_EQ_INT(tm_io_serialize_binary(b, &bin2), TM_OK);
  CHECK(bin.len == bin2.len && memcmp(bin.data, bin2.data, bin.len) == 0);
  tm_snapshot_free(a);
  tm_snapshot_free(b);
  tm_buf_free(&json);
  tm_buf_free(&bin2);
  tm_buf_free(&bin);
  tm_snapshot_free(s);

  // Without a timeline: no flag, no section, none after loading.
  s = with_timeline(NULL, 0);
  CHECK_EQ_INT(tm_io_serialize_binary(s, &bin), TM_OK);
  CHECK_EQ_INT(bin.data[10], 0);
  CHECK_EQ_INT(tm_snapshot_load_buffer(bin.data, bin.len, "x.tmd", &a), TM_OK);
  size_t n;
  CHECK(tm_snapshot_timeline(a, &n) == NULL);
  CHECK_EQ_INT(tm_io_serialize_json(a, &json), TM_OK);
  CHECK(strstr((const char *)json.data, "timeline") == NULL);
  tm_snapshot_free(a);
  tm_buf_free(&json);
  tm_buf_free(&bin);
  tm_snapshot_free(s);
}

/* A dump of the one-trace snapshot whose timeline section is `section`
 * (count and points, raw), flag bit 4 set, checksum and length right. */
static void load_section(const unsigned char *section, size_t len,
                         const char *want) {
  tm_snapshot_t *s = with_timeline(NULL, 0);
  tm_buf_t bin;
  CHECK_EQ_INT(tm_io_serialize_binary(s, &bin), TM_OK);
  tm_snapshot_free(s);
  unsigned char *d = malloc(bin.len + len);
  memcpy(d, bin.data, bin.len);
  if (len) // section may be NULL then
    memcpy(d + bin.len, section, len);
  size_t total = bin.len + len, payload = total - TM_DUMP_HEADER_LEN;
  d[10] = 0x10;
  uint32_t crc = tm_crc32c(d + TM_DUMP_HEADER_LEN, payload);
  for (int i = 0; i < 4; i++)
    d[12 + i] = (unsigned char)(crc >> (8 * i));
  for (int i = 0; i < 8; i++)
    d[16 + i] = (unsigned char)((uint64_t)payload >> (8 * i));
  tm_snapshot_t *out = NULL;
  tm_status_t st = tm_snapshot_load_buffer(d, total, "t.tmd", &out);
  if (want) {
    CHECK_EQ_INT(st, TM_EFORMAT);
    CHECK(out == NULL);
    CHECK_EQ_STR(tm_error_message(), want);
  } else {
    CHECK_EQ_INT(st, TM_OK);
  }
  tm_snapshot_free(out);
  free(d);
  tm_buf_free(&bin);
}

static void test_corrupt(void) {
  // A good section: 2 points, (dt, current, peak, dallocations) each.
  const unsigned char ok[] = {2, 0, 0, 0, 0, 10, 5, 9, 3};
  load_section(ok, sizeof ok, NULL);
  const unsigned char empty[] = {0};
  load_section(empty, sizeof empty, NULL);
  load_section(NULL, 0,
               "t.tmd: truncated: timeline points needs more bytes, 0 left");
  const unsigned char many[] = {3, 0, 0, 0, 0};
  load_section(many, sizeof many,
               "t.tmd: truncated: 3 timeline points need at least 12 bytes, "
               "4 left");
  const unsigned char above[] = {1, 0, 9, 8, 0};
  load_section(above, sizeof above,
               "t.tmd: corrupt: timeline point 0: current 9 above peak 8");
  const unsigned char cut[] = {2, 0, 0, 0, 0, 0x8a, 0x80, 5, 9};
  load_section(cut, sizeof cut,
               "t.tmd: truncated: timeline peak needs more bytes, 0 left");
  const unsigned char trailing[] = {1, 0, 0, 0, 0, 7};
  load_section(trailing, sizeof trailing,
               "t.tmd: corrupt: 1 unexpected bytes after the timeline");
  // Two time deltas of 2^63: the time would pass 2^64 - 1.
  const unsigned char overflow[] = {
      2,    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0,
      0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0,    0, 0};
  load_section(overflow, sizeof overflow,
               "t.tmd: corrupt: timeline point 1: the time overflows 64 bits");
  // Sizes are bounded like every size in a dump (2^63 - 1).
  const unsigned char huge[] = {1,    0,    0x80, 0x80, 0x80, 0x80, 0x80,
                                0x80, 0x80, 0x80, 0x80, 0x01, 0,    0};
  load_section(huge, sizeof huge,
               "t.tmd: corrupt: timeline current 9223372036854775808 is out of "
               "range (at most 9223372036854775807)");
}

static void json_error(const char *timeline, const char *want) {
  char doc[1024];
  snprintf(doc, sizeof doc,
           "{\"format\": \"tracemalloc-json\", \"version\": 1, "
           "\"traceback_limit\": 1, \"timeline\": %s, \"traces\": []}",
           timeline);
  tm_snapshot_t *out = NULL;
  tm_status_t st = tm_snapshot_load_buffer(doc, strlen(doc), "t.json", &out);
  if (want) {
    CHECK_EQ_INT(st, TM_EFORMAT);
    CHECK_EQ_STR(tm_error_message(), want);
  } else {
    CHECK_EQ_INT(st, TM_OK);
    size_t n;
    CHECK(tm_snapshot_timeline(out, &n) != NULL);
  }
  tm_snapshot_free(out);
}

static void test_json_errors(void) {
  json_error("[]", NULL);
  json_error("[{\"time_ns\": 1, \"current\": 1, \"peak\": 2, "
             "\"allocations\": 3, \"later\": [1]}]",
             NULL); // unknown members are skipped
  json_error("[{\"time_ns\": 1, \"current\": 1, \"peak\": 2}]",
             "t.json:1:81: timeline point 0: missing key \"allocations\"");
  json_error("[{\"time_ns\": 1, \"current\": 3, \"peak\": 2, "
             "\"allocations\": 0}]",
             "t.json:1:81: timeline point 0: current above peak");
  json_error("[{\"time_ns\": 5, \"current\": 0, \"peak\": 0, "
             "\"allocations\": 0}, {\"time_ns\": 4, \"current\": 0, "
             "\"peak\": 0, \"allocations\": 0}]",
             "t.json:1:140: timeline point 1: time goes backwards");
  json_error("[{\"time_ns\": 5, \"current\": 0, \"peak\": 0, "
             "\"allocations\": 2}, {\"time_ns\": 5, \"current\": 0, "
             "\"peak\": 0, \"allocations\": 1}]",
             "t.json:1:140: timeline point 1: allocation count goes "
             "backwards");
  json_error("{}", "t.json:1:80: expected '[' to start the timeline array");
}

int main(void) {
  test_api();
  test_roundtrip();
  test_corrupt();
  test_json_errors();
  return CHECK_DONE();
}
