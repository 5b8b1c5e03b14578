/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ptr_map.c - growth of the pointer-identity map (ptr_map.h); lookups are
 * inline in the header. */
#include "ptr_map.h"

#include "raw_alloc.h"

void tm_ptr_map_init(tm_ptr_map_t *m, size_t slot_size, size_t expected) {
  size_t cap = 64;
  while (cap < expected * 2)
    cap *= 2;
  m->slots = NULL;
  m->slot_size = slot_size;
  m->first_cap = cap;
  m->cap = 0;
  m->count = 0;
}

void tm_ptr_map_free(tm_ptr_map_t *m) {
  tm_raw_free(m->slots);
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
}

bool tm_ptr_map_grow(tm_ptr_map_t *m) {
  size_t ncap = m->cap ? m->cap * 2 : m->first_cap;
  if (ncap > SIZE_MAX / m->slot_size)
    return false;
  unsigned char *s = tm_raw_calloc(ncap * m->slot_size, TM_MEM_OBJECTS);
  if (!s)
    return false;
  for (size_t i = 0; i < m->cap; i++) {
    const unsigned char *old = tm_ptr_map_slot_at(m, i);
    const void *key = tm_ptr_map_key(old);
    if (!key)
      continue;
    size_t j = tm_ptr_hash(key) & (ncap - 1);
    while (tm_ptr_map_key(s + j * m->slot_size))
      j = (j + 1) & (ncap - 1);
    memcpy(s + j * m->slot_size, old, m->slot_size);
  }
  tm_raw_free(m->slots);
  m->slots = s;
  m->cap = ncap;
  return true;
}
