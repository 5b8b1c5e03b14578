/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* arena.c - bump allocation in growing chunks from
 * tm_raw_alloc(TM_MEM_OBJECTS), freed all at once (declared in snapshot.h):
 * where a snapshot keeps its strings and tracebacks, and the statistics
 * results their keys.
 *
 * Separate from snapshot.c: an allocator, used by the snapshot and by the
 * analysis results alike, that knows nothing of either.
 */
#include "raw_alloc.h"
#include "snapshot.h"

struct tm_arena_chunk {
  tm_arena_chunk_t *next;
  size_t size;
};

#define ARENA_FIRST_CHUNK ((size_t)16 * 1024)
#define ARENA_MAX_CHUNK ((size_t)1024 * 1024)
#define ARENA_HEADER ((sizeof(tm_arena_chunk_t) + 15) & ~(size_t)15)

void tm_arena_init(tm_arena_t *a) {
  a->head = NULL;
  a->cur = NULL;
  a->left = 0;
  a->next_size = ARENA_FIRST_CHUNK;
}

void *tm_arena_alloc(tm_arena_t *a, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if (size > a->left) {
    /* Growing chunks keep the number of mappings logarithmic in the total
     * while small snapshots stay small. */
    size_t want = a->next_size;
    if (want < size + ARENA_HEADER)
      want = size + ARENA_HEADER;
    tm_arena_chunk_t *c = tm_raw_alloc(want, TM_MEM_OBJECTS);
    if (!c)
      return NULL;
    c->next = a->head;
    c->size = want;
    a->head = c;
    a->cur = (char *)c + ARENA_HEADER;
    a->left = want - ARENA_HEADER;
    if (a->next_size < ARENA_MAX_CHUNK)
      a->next_size *= 2;
  }
  void *p = a->cur;
  a->cur += size;
  a->left -= size;
  return p;
}

void tm_arena_free(tm_arena_t *a) {
  tm_arena_chunk_t *c = a->head;
  while (c) {
    tm_arena_chunk_t *next = c->next;
    tm_raw_free(c);
    c = next;
  }
  tm_arena_init(a);
}
