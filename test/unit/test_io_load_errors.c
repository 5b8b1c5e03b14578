/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_load_errors.c - every rejection path of the binary loader, with
 * the exact messages: truncation at every byte offset, every single-bit
 * flip, bad magic, future version, unknown flags, and hostile payloads that
 * carry a valid checksum (huge counts, out-of-range indexes, NUL in strings,
 * overlong varints, trailing bytes). Also the file-level errors of
 * tm_snapshot_load. The loader must fail cleanly (status, message naming the
 * file, *out == NULL) and never read out of bounds: run under ASan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io.h"
#include "raw_alloc.h"
#include "tracemalloc.h"

#define NAME "snap.tmd"

static tm_status_t load(const void *d, size_t n, tm_snapshot_t **out) {
  *out = (tm_snapshot_t *)1; // must be reset to NULL on failure
  // A private copy of exactly n bytes, so ASan catches any overread.
  void *copy = malloc(n ? n : 1);
  memcpy(copy, d, n);
  tm_status_t st = tm_snapshot_load_buffer(copy, n, NAME, out);
  free(copy);
  return st;
}

static tm_buf_t sample_dump(void) {
  tm_snapshot_t *s;
  tm_snapshot_new(5, &s);
  tm_frame_t f[] = {{"a.c", 2, "f"}, {"b.c", 4, NULL}};
  tm_snapshot_add_trace(s, 0, 10, f, 2, 3);
  tm_snapshot_add_trace(s, 0, 10, f, 2, 3);
  tm_snapshot_add_trace(s, 2, 300, f + 1, 1, TM_TOTAL_NFRAME_NONE);
  tm_buf_t b;
  tm_io_serialize_binary(s, &b);
  tm_snapshot_free(s);
  return b;
}

static void test_truncated_everywhere(const tm_buf_t *b) {
  char want[256];
  int bad = 0;
  for (size_t off = 0; off < b->len; off++) {
    tm_snapshot_t *out;
    tm_status_t st = load(b->data, off, &out);
    if (off == 0)
      snprintf(want, sizeof want,
               NAME ": empty file, not a tracemalloc "
                    "snapshot");
    else if (off < TM_DUMP_HEADER_LEN)
      snprintf(want, sizeof want,
               NAME ": truncated: header needs 24 bytes, "
                    "%zu left",
               off);
    else
      snprintf(want, sizeof want,
               NAME ": truncated: payload needs %zu "
                    "bytes, %zu left",
               b->len - 24, off - 24);
    if (st != TM_EFORMAT || out != NULL ||
        strcmp(tm_error_message(), want) != 0) {
      if (bad++ < 3)
        fprintf(stderr, "offset %zu: %d '%s' want '%s'\n", off, st,
                tm_error_message(), want);
    }
  }
  CHECK_EQ_INT(bad, 0);
  tm_snapshot_t *out;
  CHECK_EQ_INT(load(b->data, b->len, &out), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(out), 3);
  tm_snapshot_free(out);
}

/* The message prefix a flip of bit `bit` of byte `i` must give. */
static const char *flip_expect(size_t i, tm_status_t *st) {
  *st = TM_EFORMAT;
  if (i < 8)
    return NAME ": not a tracemalloc snapshot (bad magic; expected a binary "
                "dump or tracemalloc-json)";
  if (i < 10) {
    *st = TM_EVERSION;
    return NAME ": unsupported format version ";
  }
  if (i < 12)
    return NAME ": corrupt: unknown header flags 0x";
  if (i < 16 || i >= 24)
    return NAME ": corrupt: checksum mismatch (stored 0x";
  return NULL; // length: truncated or trailing bytes
}

static void test_bit_flips(const tm_buf_t *b) {
  unsigned char *d = malloc(b->len);
  int bad = 0;
  for (size_t i = 0; i < b->len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(d, b->data, b->len);
      d[i] ^= (unsigned char)(1u << bit);
      tm_snapshot_t *out;
      tm_status_t st = load(d, b->len, &out), want_st;
      const char *want = flip_expect(i, &want_st);
      // Flag bit 0 announces a leaks section (the checksum covers the
      // payload only): the loader then finds none after the traces.
      if (i == 10 && bit == 0)
        want = NAME ": truncated: leak records needs more bytes, 0 left";
      // Likewise bit 3 announces a thread section.
      if (i == 10 && bit == 3)
        want = NAME ": truncated: threads needs more bytes, 0 left";
      // Bit 4 announces a timeline section, the same way.
      if (i == 10 && bit == 4)
        want = NAME ": truncated: timeline points needs more bytes, 0 left";
      // Bit 5 (history threads) needs a history and threads (bits 1, 3).
      if (i == 10 && bit == 5)
        want = NAME ": corrupt: header flags 0x0020: history threads";
      // Bit 1 announces a history section, likewise.
      if (i == 10 && bit == 1)
        want = NAME ": truncated: history records needs more bytes, 0 left";
      const char *msg = tm_error_message();
      bool ok = st == want_st && out == NULL;
      if (want)
        ok = ok && strncmp(msg, want, strlen(want)) == 0;
      else
        ok = ok && (strstr(msg, ": truncated: payload needs ") ||
                    strstr(msg, " trailing bytes after the payload"));
      if (!ok && bad++ < 3)
        fprintf(stderr, "flip %zu.%d: %d '%s'\n", i, bit, st, msg);
    }
  }
  free(d);
  CHECK_EQ_INT(bad, 0);
}

static void test_header_messages(const tm_buf_t *b) {
  unsigned char *d = malloc(b->len);
  tm_snapshot_t *out;
  memcpy(d, b->data, b->len);
  d[8] = 2; // a future format version
  CHECK_EQ_INT(load(d, b->len, &out), TM_EVERSION);
  CHECK_EQ_STR(tm_error_message(), NAME ": unsupported format version 2 "
                                        "(this library reads version 1)");
  memcpy(d, b->data, b->len);
  d[11] = 0x80;
  CHECK_EQ_INT(load(d, b->len, &out), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(), NAME ": corrupt: unknown header flags "
                                        "0x8000");
  CHECK_EQ_INT(load("hello world", 11, &out), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               NAME ": not a tracemalloc snapshot (bad "
                    "magic; expected a binary dump or tracemalloc-json)");
  CHECK_EQ_INT(load("\x89TMS", 4, &out), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(), NAME ": truncated: header needs 24 "
                                        "bytes, 4 left");
  // Extra bytes after the payload.
  unsigned char *e = malloc(b->len + 3);
  memcpy(e, b->data, b->len);
  memset(e + b->len, 0, 3);
  CHECK_EQ_INT(load(e, b->len + 3, &out), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(), NAME ": corrupt: 3 trailing bytes after "
                                        "the payload");
  free(e);
  free(d);
}

/* A file around `payload` with a correct header and checksum. */
static tm_status_t load_payload(const unsigned char *p, size_t n) {
  unsigned char *d = malloc(24 + n);
  memcpy(d, TM_DUMP_MAGIC, 8);
  uint32_t crc = tm_crc32c(p, n);
  unsigned char h[16] = {1, 0, 0, 0};
  for (int i = 0; i < 4; i++)
    h[4 + i] = (unsigned char)(crc >> (8 * i));
  for (int i = 0; i < 8; i++)
    h[8 + i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(d + 8, h, 16);
  memcpy(d + 24, p, n);
  tm_snapshot_t *out;
  tm_status_t st = load(d, 24 + n, &out);
  if (st == TM_OK)
    tm_snapshot_free(out);
  else
    CHECK(out == NULL);
  free(d);
  return st;
}

/* info: limit 1, no traced memory, zeros, pid -1, time 0, program "" */
#define INFO 2, 0, 0, 0, 0, 0, 1, 0, 0
#define HOSTILE(msg, ...)                                                      \
  do {                                                                         \
    const unsigned char p_[] = {__VA_ARGS__};                                  \
    CHECK_EQ_INT(load_payload(p_, sizeof p_), TM_EFORMAT);                     \
    CHECK_EQ_STR(tm_error_message(), NAME ": " msg);                           \
  } while (0)

static void test_hostile_payloads(void) {
  const unsigned char ok[] = {INFO, 1, 3, 'a', '.', 'c', 1, 1,
                              2,    0, 7, 0,   1,   0,   10};
  CHECK_EQ_INT(load_payload(ok, sizeof ok), TM_OK);
  HOSTILE("truncated: 1099511627776 strings need at least 1099511627776 "
          "bytes, 0 left",
          INFO, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20);
  HOSTILE("truncated: string 0 needs 120 bytes, 7 left", INFO, 1, 120, 'a', 'b',
          'c', 'd', 'e', 'f', 'g');
  HOSTILE("corrupt: string 0 contains a NUL byte", INFO, 1, 3, 'a', 0, 'c', 0,
          0);
  HOSTILE("corrupt: traceback limit 4294967296 is out of range", 0x80, 0x80,
          0x80, 0x80, 0x20, 0, 0, 0, 0, 0, 1, 0, 0);
  // Bits 0 and 1 are known (dump.c: traced memory, peak live set).
  HOSTILE("corrupt: info flags 4 is out of range (at most 3)", 2, 4);
  HOSTILE("truncated: program name 0 needs 5 bytes, 2 left", 2, 0, 0, 0, 0, 0,
          1, 0, 5, 'a', 'b');
  HOSTILE("corrupt: strings at payload offset 9 is not a valid varint", INFO,
          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
  HOSTILE("truncated: strings needs more bytes, 0 left", INFO);
  HOSTILE("truncated: 100 tracebacks need at least 200 bytes, 2 left", INFO, 0,
          100, 0, 0);
  HOSTILE("corrupt: traceback 0: filename index 5 out of range (1 strings)",
          INFO, 1, 1, 'a', 1, 1, 0, 5, 1, 0);
  HOSTILE("corrupt: traceback 0: function index 1 out of range (1 strings)",
          INFO, 1, 1, 'a', 1, 1, 0, 0, 1, 2);
  HOSTILE("corrupt: frame line number 4294967296 is out of range (at most "
          "4294967295)",
          INFO, 1, 1, 'a', 1, 1, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0);
  HOSTILE("truncated: 1000 frames need at least 3000 bytes, 6 left", INFO, 0, 1,
          0xe8, 0x07, 0, 0, 0, 0, 0, 0);
  HOSTILE("corrupt: total_nframe 4294967296 is out of range (at most "
          "4294967295)",
          INFO, 0, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0);
  HOSTILE("truncated: 1000000 traces need at least 2000000 bytes, 0 left", INFO,
          0, 0, 0xc0, 0x84, 0x3d);
  HOSTILE("corrupt: trace 1: traceback index 1 out of range (1 tracebacks)",
          INFO, 0, 1, 0, 0, 2, 0, 5, 2, 5);
  HOSTILE("corrupt: trace domain 4294967296 is out of range (at most "
          "4294967295)",
          INFO, 0, 1, 0, 0, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 5);
  HOSTILE("corrupt: 2 unexpected bytes after the traces", INFO, 0, 1, 0, 0, 1,
          0, 5, 9, 9);
  HOSTILE("truncated: trace size needs more bytes, 0 left", INFO, 0, 1, 0, 0, 1,
          1, 5);
}

/* Out of memory at every allocation of the loaders and writers, swept by
 * raising the TM_MEM_OBJECTS limit step by step: either success or a clean
 * TM_ENOMEM, never a crash, and every byte given back. */
static void test_out_of_memory(const tm_buf_t *b) {
  tm_buf_t json;
  tm_snapshot_t *s = NULL;
  CHECK_EQ_INT(tm_snapshot_load_buffer(b->data, b->len, NAME, &s), TM_OK);
  CHECK_EQ_INT(tm_io_serialize_json(s, &json), TM_OK);
  size_t base = tm_raw_usage(TM_MEM_OBJECTS);
  int ok[3] = {0, 0, 0}, bad = 0;
  for (size_t extra = 0; extra < 400000; extra += extra < 8192 ? 16 : 4096) {
    tm_raw_set_limit(TM_MEM_OBJECTS, base + extra);
    for (int which = 0; which < 3; which++) {
      tm_snapshot_t *out = (tm_snapshot_t *)1;
      tm_buf_t w;
      tm_status_t st =
          which == 0 ? tm_snapshot_load_buffer(b->data, b->len, NAME, &out)
          : which == 1
              ? tm_snapshot_load_buffer(json.data, json.len, NAME, &out)
              : tm_io_serialize_binary(s, &w);
      if (which < 2 && st == TM_OK)
        tm_snapshot_free(out);
      if (which == 2 && st == TM_OK)
        tm_buf_free(&w);
      if (st == TM_OK)
        ok[which]++;
      else if (st != TM_ENOMEM || (which < 2 && out != NULL))
        bad++;
      if (tm_raw_usage(TM_MEM_OBJECTS) != base)
        bad++;
      if (bad == 1 && st != TM_OK)
        fprintf(stderr, "limit +%zu, case %d: %s\n", extra, which,
                tm_error_message());
    }
  }
  tm_raw_set_limit(TM_MEM_OBJECTS, 0);
  CHECK_EQ_INT(bad, 0);
  CHECK(ok[0] > 0 && ok[1] > 0 && ok[2] > 0); // the sweep reached success
  tm_buf_free(&json);
  tm_snapshot_free(s);
}

static void test_files(void) {
  tm_snapshot_t *out = (tm_snapshot_t *)1;
  CHECK_EQ_INT(tm_snapshot_load("/nonexistent/x.tmd", &out), TM_EIO);
  CHECK(out == NULL);
  CHECK_EQ_STR(tm_error_message(), "/nonexistent/x.tmd: cannot open: No such "
                                   "file or directory");
  CHECK_EQ_INT(tm_snapshot_load("/", &out), TM_EIO);
  CHECK_EQ_STR(tm_error_message(), "/: cannot read: Is a directory");
  CHECK_EQ_INT(tm_snapshot_load_buffer(NULL, 0, "e", &out), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(), "e: empty file, not a tracemalloc "
                                   "snapshot");
  CHECK_EQ_INT(tm_snapshot_load_buffer("x", 1, "e", NULL), TM_EINVAL);
  CHECK_EQ_INT(tm_snapshot_load(NULL, &out), TM_EINVAL);
}

int main(void) {
  // Every object the loaders and writers allocate is given back, on the
  // error paths too (tm_raw memory is invisible to LeakSanitizer).
  size_t objects_before = tm_raw_usage(TM_MEM_OBJECTS);
  tm_buf_t b = sample_dump();
  CHECK(b.len > TM_DUMP_HEADER_LEN);
  test_truncated_everywhere(&b);
  test_bit_flips(&b);
  test_header_messages(&b);
  test_hostile_payloads();
  test_out_of_memory(&b);
  test_files();
  tm_buf_free(&b);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), objects_before);
  return CHECK_DONE();
}
