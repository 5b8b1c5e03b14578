/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_payload.h - binary dumps built byte by byte for the tests of the
 * optional dump sections (test_io_leaks.c, test_io_history.c,
 * test_io_threads.c): a payload wrapped in a valid header and checksum;
 * BAD_SECTION, which checks that one is refused with its message, and
 * UNFLAGGED_SECTION, that a section without its flag is; and the
 * binary -> JSON -> binary round trip of a snapshot with a section. */
#ifndef TM_TEST_DUMP_PAYLOAD_H
#define TM_TEST_DUMP_PAYLOAD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io.h"
#include "tracemalloc.h"

#define NAME "snap.tmd"

/* A file around `payload` with header flags `flags` and a valid checksum,
 * loaded. */
static inline tm_status_t load_payload(const unsigned char *p, size_t n,
                                       unsigned flags, tm_snapshot_t **out) {
  unsigned char *d = malloc(24 + n);
  memcpy(d, TM_DUMP_MAGIC, 8);
  uint32_t crc = tm_crc32c(p, n);
  unsigned char h[16] = {1, 0, (unsigned char)flags, 0};
  for (int i = 0; i < 4; i++)
    h[4 + i] = (unsigned char)(crc >> (8 * i));
  for (int i = 0; i < 8; i++)
    h[8 + i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(d + 8, h, 16);
  memcpy(d + 24, p, n);
  tm_status_t st = tm_snapshot_load_buffer(d, 24 + n, NAME, out);
  free(d);
  return st;
}

/* The payload BASE (the including test defines it: everything up to the
 * section) followed by the section bytes, with header flags `flags`, is
 * refused with "snap.tmd: MSG" and no snapshot. */
#define BAD_SECTION(flags, msg, ...)                                           \
  do {                                                                         \
    const unsigned char p_[] = {BASE, __VA_ARGS__};                            \
    tm_snapshot_t *s_ = (tm_snapshot_t *)1;                                    \
    CHECK_EQ_INT(load_payload(p_, sizeof p_, flags, &s_), TM_EFORMAT);         \
    CHECK_EQ_STR(tm_error_message(), NAME ": " msg);                           \
    CHECK(s_ == NULL);                                                         \
  } while (0)

/* The payload BASE followed by one byte, without any header flag, is
 * refused: without its flag, a section is bytes after the traces. */
#define UNFLAGGED_SECTION()                                                    \
  do {                                                                         \
    const unsigned char p_[] = {BASE, 0};                                      \
    tm_snapshot_t *s_ = NULL;                                                  \
    CHECK_EQ_INT(load_payload(p_, sizeof p_, 0, &s_), TM_EFORMAT);             \
    CHECK_EQ_STR(tm_error_message(),                                           \
                 NAME ": corrupt: 1 unexpected bytes after the traces");       \
  } while (0)

/* s dumped, loaded, written as JSON (which must contain `json_part`: the
 * section as JSON), loaded from that and dumped again gives the same bytes
 * as the first dump. */
static inline void check_json_round_trip(const tm_snapshot_t *s,
                                         const char *json_part) {
  tm_buf_t bin1, json, bin2;
  CHECK_EQ_INT(tm_io_serialize_binary(s, &bin1), TM_OK);
  tm_snapshot_t *l1 = NULL, *l2 = NULL;
  CHECK_EQ_INT(tm_snapshot_load_buffer(bin1.data, bin1.len, NAME, &l1), TM_OK);
  CHECK_EQ_INT(tm_io_serialize_json(l1, &json), TM_OK);
  CHECK(strstr((const char *)json.data, json_part) != NULL);
  CHECK_EQ_INT(tm_snapshot_load_buffer(json.data, json.len, "s.json", &l2),
               TM_OK);
  CHECK_EQ_INT(tm_io_serialize_binary(l2, &bin2), TM_OK);
  CHECK(bin1.len == bin2.len && memcmp(bin1.data, bin2.data, bin1.len) == 0);
  tm_buf_free(&bin1);
  tm_buf_free(&bin2);
  tm_buf_free(&json);
  tm_snapshot_free(l1);
  tm_snapshot_free(l2);
}

#endif /* TM_TEST_DUMP_PAYLOAD_H */
