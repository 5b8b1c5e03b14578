/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ptr_map.h - a map keyed by pointer identity: open addressing, linear
 * probing, power-of-two capacity, load factor at most 1/2, memory from
 * tm_raw_alloc(TM_MEM_OBJECTS).
 *
 * The analysis code keys many side tables by an interned pointer (a
 * snapshot's tracebacks and strings are interned, so pointer identity is
 * content identity): the writers' string and traceback indexes, the filter's
 * per-traceback cache, statistics' per-traceback sums. They differ only in
 * what a slot carries, so the slot is the caller's struct, whose FIRST
 * member must be `const void *key`-compatible (a pointer; NULL = empty
 * slot), and the map stores slots of that size inline: a lookup touches one
 * slot, key and value side by side.
 *
 * Not for the tracing hot path: the trace table, the traceback intern set
 * and the frame set in runtime/core are specialised (lock-free reads,
 * pre-computed hashes, no slot-size multiply) and keep their own tables.
 */
#ifndef TM_PTR_MAP_H
#define TM_PTR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct tm_ptr_map {
  unsigned char *slots; /* cap slots of slot_size bytes; NULL until used */
  size_t slot_size;
  size_t first_cap; /* capacity of the first allocation */
  size_t cap;       /* 0 or a power of two */
  size_t count;
} tm_ptr_map_t;

/* An empty map of slots of slot_size bytes (>= sizeof(void *), the key
 * first) sized for about `expected` keys. Allocates nothing: the first
 * insertion does, so a map that stays empty costs nothing. */
void tm_ptr_map_init(tm_ptr_map_t *m, size_t slot_size, size_t expected);
void tm_ptr_map_free(tm_ptr_map_t *m);
/* Double the capacity (or make the first allocation). False on OOM, the
 * map unchanged. */
bool tm_ptr_map_grow(tm_ptr_map_t *m);

/* The key of a slot (its first member). */
static inline const void *tm_ptr_map_key(const void *slot) {
  const void *k;
  memcpy(&k, slot, sizeof k);
  return k;
}

/* Slot i of cap (for iteration: skip slots whose key is NULL). */
static inline void *tm_ptr_map_slot_at(const tm_ptr_map_t *m, size_t i) {
  return m->slots + i * m->slot_size;
}

static inline size_t tm_ptr_hash(const void *p) {
  uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;
  return (size_t)(h ^ (h >> 29));
}

/* The slot of key (non-NULL), inserting it if absent: then *added is true
 * and the slot is all zero bytes but for the key. NULL on out-of-memory.
 * A returned slot stays valid until the next insertion. */
static inline void *tm_ptr_map_get(tm_ptr_map_t *m, const void *key,
                                   bool *added) {
  if ((m->count + 1) * 2 > m->cap && !tm_ptr_map_grow(m))
    return NULL;
  size_t mask = m->cap - 1, j = tm_ptr_hash(key) & mask;
  for (;; j = (j + 1) & mask) {
    void *slot = tm_ptr_map_slot_at(m, j);
    const void *k = tm_ptr_map_key(slot);
    if (k == key) {
      *added = false;
      return slot;
    }
    if (!k) {
      memcpy(slot, &key, sizeof key);
      m->count++;
      *added = true;
      return slot;
    }
  }
}

/* The index map the writers use: the index of key, inserting next_index if
 * absent (*added = true). False on out-of-memory. */
typedef struct tm_ptr_index_slot {
  const void *key;
  uint32_t value;
} tm_ptr_index_slot_t;

static inline bool tm_ptr_map_index(tm_ptr_map_t *m, const void *key,
                                    uint32_t next_index, uint32_t *index,
                                    bool *added) {
  tm_ptr_index_slot_t *s = tm_ptr_map_get(m, key, added);
  if (!s)
    return false;
  if (*added)
    s->value = next_index;
  *index = s->value;
  return true;
}

#endif /* TM_PTR_MAP_H */
