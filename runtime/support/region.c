/* region.c - reserved, never-moving bump regions (see region.h). */
#include "region.h"

#include "raw_alloc.h"

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void *tm_region_alloc(tm_region_t *r, size_t size) {
  size = round16(size);
  // Under an address-space limit (ulimit -v) take what there is.
  while (!r->base && r->reserved >= TM_REGION_STEP) {
    r->base = tm_raw_reserve(r->reserved);
    if (!r->base)
      r->reserved /= 2;
  }
  if (!r->base)
    return NULL;
  if (size > r->reserved - r->used)
    return NULL;
  size_t end = r->used + size;
  if (end > r->committed) {
    size_t want =
        (end - r->committed + TM_REGION_STEP - 1) & ~(TM_REGION_STEP - 1);
    if (want > r->reserved - r->committed)
      want = r->reserved - r->committed;
    if (tm_raw_commit(r->base + r->committed, want, TM_MEM_TABLES) != 0)
      return NULL;
    r->committed += want;
  }
  void *p = r->base + r->used;
  r->used = end;
  return p;
}

void tm_region_unalloc(tm_region_t *r, size_t size) {
  r->used -= round16(size);
}

void tm_region_reset(tm_region_t *r) {
  if (r->base)
    tm_raw_decommit(r->base, r->committed, TM_MEM_TABLES);
  r->committed = 0;
  r->used = 0;
}
