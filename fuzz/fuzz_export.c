/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_export.c - libFuzzer target for `tracemalloc export`'s formats of
 * other tools (tools/tracemalloc/export.h): whatever snapshot the loader
 * accepts, the pickle, collapsed and pprof writers must produce their
 * format without crashing, and their framing must hold: a pickle ends with
 * STOP, a folded file ends with a line break, the pprof gzip member carries
 * the CRC-32 and length of its stored payload. Seeds: corpus/fuzz_export
 * (the loader's seeds). */
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* The payload of a gzip member made of stored blocks, checked block by
 * block; its CRC and length must match the trailer. */
static void check_gzip(const tm_buf_t *g) {
  FUZZ_ASSERT(g->len >= 10 + 5 + 8);
  FUZZ_ASSERT(g->data[0] == 0x1f && g->data[1] == 0x8b && g->data[2] == 8);
  size_t pos = 10, total = 0;
  uint32_t crc_seen = 0;
  tm_buf_t payload = {0};
  for (;;) {
    FUZZ_ASSERT(pos + 5 <= g->len);
    unsigned final = g->data[pos] & 1;
    FUZZ_ASSERT((g->data[pos] >> 1) == 0); // BTYPE 00
    size_t n = g->data[pos + 1] | (size_t)g->data[pos + 2] << 8;
    size_t nn = g->data[pos + 3] | (size_t)g->data[pos + 4] << 8;
    FUZZ_ASSERT((n ^ nn) == 0xffff);
    FUZZ_ASSERT(pos + 5 + n <= g->len);
    tm_buf_append(&payload, g->data + pos + 5, n);
    pos += 5 + n;
    total += n;
    if (final)
      break;
  }
  FUZZ_ASSERT(pos + 8 == g->len);
  if (!payload.failed) {
    crc_seen = cli_crc32(payload.data, payload.len);
    FUZZ_ASSERT(le32(g->data + pos) == crc_seen);
  }
  FUZZ_ASSERT(le32(g->data + pos + 4) == (uint32_t)total);
  tm_buf_free(&payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  tm_snapshot_t *s = NULL;
  if (tm_snapshot_load_buffer(data, size, "fuzz", &s) != TM_OK)
    return 0;
  tm_buf_t out;
  if (cli_export_pickle(s, &out)) {
    FUZZ_ASSERT(out.len >= 3 && out.data[0] == 0x80 &&
                out.data[out.len - 1] == '.');
    tm_buf_free(&out);
  }
  if (cli_export_collapsed(s, &out)) {
    FUZZ_ASSERT(out.len == 0 || out.data[out.len - 1] == '\n');
    tm_buf_free(&out);
  }
  if (cli_export_pprof(s, &out)) {
    check_gzip(&out);
    tm_buf_free(&out);
  }
  tm_snapshot_free(s);
  return 0;
}
