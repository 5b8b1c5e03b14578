/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* compare_to.c - CPython's Snapshot.compare_to(): the groups of two
 * snapshots (group_by.c) matched by key, as StatisticDiffs sorted by
 * (abs(size_diff), size, abs(count_diff), count, traceback), descending.
 *
 * Ownership as for statistics() (statistics.c): a result must be freed
 * before its snapshots.
 *
 * All memory comes from tm_raw_alloc(TM_MEM_OBJECTS); nothing is traced.
 */
#include <stdlib.h>

#include "error.h"
#include "group_by.h"
#include "raw_alloc.h"

struct tm_statistic_diffs {
  tm_statistic_diff_t *items;
  size_t n;
  tm_arena_t arena;
};

static uint64_t abs64(int64_t v) { return v < 0 ? -(uint64_t)v : (uint64_t)v; }

/* Descending (abs(size_diff), size, abs(count_diff), count, traceback). */
static int diff_order(const void *pa, const void *pb) {
  const tm_statistic_diff_t *a = pa, *b = pb;
  int c = tm_cmp_u64(abs64(b->size_diff), abs64(a->size_diff));
  if (!c)
    c = tm_cmp_u64(b->size, a->size);
  if (!c)
    c = tm_cmp_u64(abs64(b->count_diff), abs64(a->count_diff));
  if (!c)
    c = tm_cmp_u64(b->count, a->count);
  if (!c)
    c = tm_traceback_cmp(b->traceback, a->traceback);
  return c;
}

/* CPython's _compare_grouped_stats(old, new): every new key (matched or
 * not), then the keys only in old as (0, -size, 0, -count). `gn` is
 * compacted, `go` is still a table for the lookups; an old group found in
 * new is marked by setting its key.total_nframe to 0 (it is None for every
 * group otherwise) before `go` is compacted in turn. */
static tm_status_t build_diffs(tm_statistic_diffs_t *r, const grouping_t *gn,
                               grouping_t *go) {
  tm_traceback_t *tn = tm_group_own_keys(&r->arena, gn);
  size_t cap = gn->n + go->n;
  r->items = tm_arena_alloc(&r->arena, (cap ? cap : 1) * sizeof *r->items);
  if (!tn || !r->items)
    return tm_set_error(TM_ENOMEM, "out of memory comparing snapshots");
  size_t n = 0;
  for (size_t i = 0; i < gn->n; i++) {
    const group_t *a = &gn->items[i];
    bool found;
    group_t *b = tm_group_find(go, &tn[i], &found);
    uint64_t osize = 0, ocount = 0;
    if (found) {
      b->key.total_nframe = 0;
      osize = b->size;
      ocount = b->count;
    }
    r->items[n++] = (tm_statistic_diff_t){
        &tn[i], (size_t)a->size, (int64_t)(a->size - osize), (size_t)a->count,
        (int64_t)(a->count - ocount)};
  }
  tm_grouping_compact(go);
  tm_traceback_t *to = tm_group_own_keys(&r->arena, go);
  if (!to)
    return tm_set_error(TM_ENOMEM, "out of memory comparing snapshots");
  for (size_t i = 0; i < go->n; i++) {
    if (go->items[i].key.total_nframe != 0)
      r->items[n++] =
          (tm_statistic_diff_t){&to[i], 0, -(int64_t)go->items[i].size, 0,
                                -(int64_t)go->items[i].count};
  }
  r->n = n;
  qsort(r->items, n, sizeof *r->items, diff_order);
  return TM_OK;
}

tm_status_t tm_snapshot_compare_to(const tm_snapshot_t *snap_new,
                                   const tm_snapshot_t *snap_old, tm_key_t key,
                                   bool cumulative,
                                   tm_statistic_diffs_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  tm_status_t st = tm_group_check_key(key, cumulative);
  if (st != TM_OK)
    return st;
  if (!snap_new || !snap_old)
    return tm_set_error(TM_EINVAL, "snapshots must not be NULL");
  tm_statistic_diffs_t *r = tm_raw_calloc(sizeof *r, TM_MEM_OBJECTS);
  if (!r)
    return tm_set_error(TM_ENOMEM, "out of memory comparing snapshots");
  tm_arena_init(&r->arena);
  grouping_t gn = {0}, go = {0};
  /* new first, like CPython: its errors win */
  st = tm_group_by(snap_new, key, cumulative, &gn);
  if (st == TM_OK)
    st = tm_group_by(snap_old, key, cumulative, &go);
  if (st == TM_OK) {
    tm_grouping_compact(&gn);
    st = build_diffs(r, &gn, &go);
  }
  tm_grouping_free(&gn);
  tm_grouping_free(&go);
  if (st != TM_OK) {
    tm_statistic_diffs_free(r);
    return st;
  }
  *out = r;
  return TM_OK;
}

size_t tm_statistic_diffs_count(const tm_statistic_diffs_t *d) {
  return d ? d->n : 0;
}

const tm_statistic_diff_t *
tm_statistic_diffs_items(const tm_statistic_diffs_t *d) {
  return d ? d->items : NULL;
}

void tm_statistic_diffs_free(tm_statistic_diffs_t *d) {
  if (!d)
    return;
  tm_arena_free(&d->arena);
  tm_raw_free(d);
}
