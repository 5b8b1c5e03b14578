/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* filenames.c - string interning for filenames and function names.
 *
 * Design. Strings are copied, NUL-terminated, into a reserved region
 * (region.h) behind a 16-byte header {hash, length}; a power-of-two open
 * addressing set of region offsets (linear probing, load <= 1/2) finds an
 * existing copy. Only the slow path of traceback interning (a traceback seen
 * for the first time, then only its unseen sites) comes here, so the set is
 * guarded by the caller's intern lock and never read concurrently.
 */
#include "filenames.h"

#include <stdint.h>
#include <string.h>

#include "raw_alloc.h"
#include "region.h"

typedef struct str_hdr {
  uint64_t hash;
  uint64_t len;
} str_hdr_t;

#define STRINGS_RESERVE ((size_t)1 << 30)

static tm_region_t strings = {.reserved = STRINGS_RESERVE};
static uint32_t *set;    /* region offset / 16 + 1, 0 = empty */
static uint32_t set_cap; /* power of two */
static uint32_t set_count;

static uint64_t hash_str(const char *s, size_t len) {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a: short strings, slow path only
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return h ^ (h >> 32);
}

static str_hdr_t *hdr_at(uint32_t id) {
  return (str_hdr_t *)tm_region_at(&strings, (size_t)(id - 1) * 16);
}

static int set_grow(void) {
  uint32_t ncap = set_cap ? set_cap * 2 : 256;
  uint32_t *nset = tm_raw_calloc((size_t)ncap * sizeof *nset, TM_MEM_TABLES);
  if (!nset)
    return -1;
  for (uint32_t i = 0; i < set_cap; i++) {
    uint32_t id = set[i];
    if (!id)
      continue;
    uint32_t j = (uint32_t)hdr_at(id)->hash & (ncap - 1);
    while (nset[j])
      j = (j + 1) & (ncap - 1);
    nset[j] = id;
  }
  tm_raw_free(set);
  set = nset;
  set_cap = ncap;
  return 0;
}

static const char *insert(const char *s, size_t len, uint64_t h, uint32_t j) {
  str_hdr_t *hdr = tm_region_alloc(&strings, sizeof *hdr + len + 1);
  if (!hdr)
    return NULL;
  hdr->hash = h;
  hdr->len = len;
  memcpy(hdr + 1, s, len + 1);
  set[j] = (uint32_t)(tm_region_last(&strings) / 16 + 1);
  set_count++;
  return (const char *)(hdr + 1);
}

const char *tm_filenames_intern(const char *s) {
  if (!s)
    return NULL;
  if ((set_count + 1) * 2 > set_cap && set_grow() != 0)
    return NULL;
  size_t len = strlen(s);
  uint64_t h = hash_str(s, len);
  uint32_t j = (uint32_t)h & (set_cap - 1);
  for (;; j = (j + 1) & (set_cap - 1)) {
    uint32_t id = set[j];
    if (!id)
      return insert(s, len, h, j);
    str_hdr_t *hdr = hdr_at(id);
    if (hdr->hash == h && hdr->len == len && memcmp(hdr + 1, s, len) == 0)
      return (const char *)(hdr + 1);
  }
}

void tm_filenames_reset(void) {
  tm_raw_free(set);
  set = NULL;
  set_cap = set_count = 0;
  tm_region_reset(&strings);
}
