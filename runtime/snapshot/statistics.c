/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* statistics.c - CPython's Snapshot.statistics(): the groups of group_by.c
 * as a result sorted by (size, count, traceback), descending.
 *
 * Ownership (documented in tracemalloc.h): a result's tracebacks and their
 * one-frame keys live in the result (total_nframe is None), but multi-frame
 * keys' frames and all strings point into the snapshot(s), so a result must
 * be freed before its snapshot(s).
 *
 * All memory comes from tm_raw_alloc(TM_MEM_OBJECTS); nothing is traced.
 */
#include <stdlib.h>

#include "error.h"
#include "group_by.h"
#include "raw_alloc.h"

struct tm_statistics {
  tm_statistic_t *items;
  size_t n;
  tm_arena_t arena;
};

/* Descending (size, count, traceback). */
static int stat_order(const void *pa, const void *pb) {
  const tm_statistic_t *a = pa, *b = pb;
  int c = tm_cmp_u64(b->size, a->size);
  if (!c)
    c = tm_cmp_u64(b->count, a->count);
  if (!c)
    c = tm_traceback_cmp(b->traceback, a->traceback);
  return c;
}

static tm_status_t build_statistics(tm_statistics_t *r, const grouping_t *g) {
  tm_traceback_t *tbs = tm_group_own_keys(&r->arena, g);
  r->items = tm_arena_alloc(&r->arena, (g->n ? g->n : 1) * sizeof *r->items);
  if (!tbs || !r->items)
    return tm_set_error(TM_ENOMEM, "out of memory building statistics");
  for (size_t i = 0; i < g->n; i++) {
    r->items[i].traceback = &tbs[i];
    r->items[i].size = (size_t)g->items[i].size;
    r->items[i].count = (size_t)g->items[i].count;
  }
  r->n = g->n;
  qsort(r->items, r->n, sizeof *r->items, stat_order);
  return TM_OK;
}

tm_status_t tm_snapshot_statistics(const tm_snapshot_t *snap, tm_key_t key,
                                   bool cumulative, tm_statistics_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  tm_status_t st = tm_group_check_key(key, cumulative);
  if (st != TM_OK)
    return st;
  if (!snap)
    return tm_set_error(TM_EINVAL, "snapshot must not be NULL");
  tm_statistics_t *r = tm_raw_calloc(sizeof *r, TM_MEM_OBJECTS);
  if (!r)
    return tm_set_error(TM_ENOMEM, "out of memory building statistics");
  tm_arena_init(&r->arena);
  grouping_t g = {0};
  st = tm_group_by(snap, key, cumulative, &g);
  if (st == TM_OK) {
    tm_grouping_compact(&g);
    st = build_statistics(r, &g);
  }
  tm_grouping_free(&g);
  if (st != TM_OK) {
    tm_statistics_free(r);
    return st;
  }
  *out = r;
  return TM_OK;
}

size_t tm_statistics_count(const tm_statistics_t *st) { return st ? st->n : 0; }

const tm_statistic_t *tm_statistics_items(const tm_statistics_t *st) {
  return st ? st->items : NULL;
}

void tm_statistics_free(tm_statistics_t *st) {
  if (!st)
    return;
  tm_arena_free(&st->arena);
  tm_raw_free(st);
}
