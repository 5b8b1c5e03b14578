/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* io_util.c - what the binary and JSON writers and loaders share: a byte
 * buffer with varints and CRC-32C. (Their pointer -> index maps are
 * support/ptr_map.h, their UTF-8 decoder support/utf8.h.)
 *
 * Design: writers serialise the whole snapshot into one tm_buf_t (memory from
 * tm_raw_alloc, never malloc, because TRACEMALLOC_DUMP runs inside the traced
 * program at exit), then hand it to tm_io_write_atomic (atomic_write.c),
 * which is the only place that touches the file system.
 */
#include "io.h"

#include <pthread.h>
#include <string.h>

#include "error.h"
#include "raw_alloc.h"

/* ---- buffer ------------------------------------------------------------ */

void tm_buf_reserve(tm_buf_t *b, size_t extra) {
  if (b->failed || b->cap - b->len >= extra)
    return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < extra) {
    if (cap > SIZE_MAX / 2) {
      b->failed = true;
      return;
    }
    cap *= 2;
  }
  unsigned char *p = tm_raw_realloc(b->data, cap, TM_MEM_OBJECTS);
  if (!p) {
    b->failed = true;
    return;
  }
  b->data = p;
  b->cap = cap;
}

void tm_buf_append(tm_buf_t *b, const void *p, size_t n) {
  tm_buf_reserve(b, n);
  if (b->failed || n == 0)
    return;
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

void tm_buf_putc(tm_buf_t *b, unsigned char c) {
  if (b->cap - b->len < 1)
    tm_buf_reserve(b, 1);
  if (!b->failed)
    b->data[b->len++] = c;
}

void tm_buf_puts(tm_buf_t *b, const char *s) { tm_buf_append(b, s, strlen(s)); }

void tm_buf_put_varint(tm_buf_t *b, uint64_t v) {
  if (b->cap - b->len < 10)
    tm_buf_reserve(b, 10);
  if (b->failed)
    return;
  unsigned char *p = b->data + b->len;
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  b->len = (size_t)(p - b->data);
}

void tm_buf_put_u64_decimal(tm_buf_t *b, uint64_t v) {
  char tmp[24];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  tm_buf_append(b, tmp + i, sizeof tmp - i);
}

void tm_buf_free(tm_buf_t *b) {
  tm_raw_free(b->data);
  memset(b, 0, sizeof *b);
}

/* ---- CRC-32C ------------------------------------------------------------ */

/* Slicing-by-8 tables: 8 KiB, built once. 1M traces are ~5 MB of payload,
 * which this checks in a few milliseconds. */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    crc_table[0][i] = c;
  }
  for (int t = 1; t < 8; t++)
    for (int i = 0; i < 256; i++)
      crc_table[t][i] =
          (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t tm_crc32c(const void *data, size_t len) {
  pthread_once(&crc_once, crc_init);
  const unsigned char *p = data;
  uint32_t c = 0xFFFFFFFFu;
  while (len >= 8) {
    // Explicit little-endian assembly keeps the result host independent.
    uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                  (uint32_t)p[7] << 24;
    c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
        crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
        crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
        crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len--)
    c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
  return c ^ 0xFFFFFFFFu;
}
