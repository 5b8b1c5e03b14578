/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* region.c - never-moving bump regions mapped chunk by chunk (region.h). */
#include "region.h"

#include "raw_alloc.h"

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void *tm_region_alloc(tm_region_t *r, size_t size) {
  size = round16(size);
  size_t off = r->used;
  for (;;) {
    unsigned k = tm_region_chunk_of(off);
    if (k >= TM_REGION_CHUNKS)
      return NULL;
    size_t end = tm_region_chunk_start(k + 1);
    if (size <= end - off)
      break;
    off = end; // does not fit in chunk k: start the next one
  }
  if (size > r->reserved || off > r->reserved - size)
    return NULL;
  unsigned k = tm_region_chunk_of(off);
  while (r->nchunks <= k) {
    unsigned n = r->nchunks;
    char *c = tm_raw_map(TM_REGION_STEP << n, TM_MEM_TABLES);
    if (!c)
      return NULL;
    r->chunk[n] = c;
    r->adj[n] = (uintptr_t)c - tm_region_chunk_start(n);
    r->nchunks = n + 1;
  }
  r->prev_used = r->used;
  r->last = off;
  r->used = off + size;
  return tm_region_at(r, off);
}

void tm_region_unalloc(tm_region_t *r) { r->used = r->prev_used; }

void tm_region_reset(tm_region_t *r) {
  for (unsigned k = 0; k < r->nchunks; k++) {
    tm_raw_unmap(r->chunk[k], TM_REGION_STEP << k, TM_MEM_TABLES);
    r->chunk[k] = NULL;
    r->adj[k] = 0;
  }
  r->nchunks = 0;
  r->used = r->last = r->prev_used = 0;
}
