/* io_util.c - what the binary and JSON writers and loaders share: a byte
 * buffer with varints, a pointer -> index map (tables of interned strings
 * and tracebacks), UTF-8 validation and CRC-32C.
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

/* ---- pointer map -------------------------------------------------------- */

bool tm_ptr_map_init(tm_ptr_map_t *m, size_t expected) {
  size_t cap = 64;
  while (cap < expected * 2)
    cap *= 2;
  m->slots = tm_raw_calloc(cap * sizeof *m->slots, TM_MEM_OBJECTS);
  m->mask = cap - 1;
  m->count = 0;
  return m->slots != NULL;
}

void tm_ptr_map_free(tm_ptr_map_t *m) {
  tm_raw_free(m->slots);
  m->slots = NULL;
}

static size_t ptr_hash(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

static bool ptr_map_grow(tm_ptr_map_t *m) {
  tm_ptr_map_t n;
  if (!tm_ptr_map_init(&n, m->mask + 1))
    return false;
  for (size_t i = 0; i <= m->mask; i++) {
    if (!m->slots[i].key)
      continue;
    size_t j = ptr_hash(m->slots[i].key) & n.mask;
    while (n.slots[j].key)
      j = (j + 1) & n.mask;
    n.slots[j] = m->slots[i];
  }
  n.count = m->count;
  tm_ptr_map_free(m);
  *m = n;
  return true;
}

bool tm_ptr_map_index(tm_ptr_map_t *m, const void *key, uint32_t next_index,
                      uint32_t *index, bool *added) {
  if ((m->count + 1) * 2 > m->mask + 1 && !ptr_map_grow(m))
    return false;
  size_t j = ptr_hash(key) & m->mask;
  while (m->slots[j].key) {
    if (m->slots[j].key == key) {
      *index = m->slots[j].value;
      *added = false;
      return true;
    }
    j = (j + 1) & m->mask;
  }
  m->slots[j].key = key;
  m->slots[j].value = next_index;
  m->count++;
  *index = next_index;
  *added = true;
  return true;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (overlong
 * forms, surrogates and code points above U+10FFFF are invalid). */
size_t tm_utf8_seq_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return len;
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
