/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_group.c - the leak scan's classified blocks grouped by (traceback,
 * class) into a snapshot of their own (leak_group.h): what the exit dump
 * attaches and the report prints.
 */
#include "leak_group.h"

#include <string.h>

#include "leak_class.h"
#include "raw_alloc.h"
#include "snapshot_build.h"
#include "trace_table.h"
#include "traceback.h"

typedef struct group {
  uint64_t key; // tb << 2 | class; 0: empty (class is never 0)
  uint64_t blocks, bytes;
} group_t;

static const tm_traceback_t *convert_tb(tm_snapshot_t *snap, uint32_t id,
                                        tm_frame_t *frames) {
  const tm_tb_t *tb = tm_intern_get(id);
  const uint32_t *fids = tm_tb_frame_ids(tb);
  for (unsigned k = 0; k < tb->nframe; k++) {
    const tm_rframe_t *f = tm_intern_frame(fids[k]);
    const char *fn =
        tm_snapshot_intern_string(snap, f->filename, strlen(f->filename));
    const char *func =
        f->function
            ? tm_snapshot_intern_string(snap, f->function, strlen(f->function))
            : NULL;
    if (!fn || (f->function && !func))
      return NULL;
    frames[k] = (tm_frame_t){fn, f->lineno, func};
  }
  return tm_snapshot_intern_traceback(snap, frames, tb->nframe,
                                      tb->total_nframe);
}

tm_snapshot_t *tm_leak_group(const tm_leak_block_t *blocks, size_t n,
                             int limit) {
  // At most one group per (traceback, class): 3 per interned traceback.
  size_t keys = (size_t)tm_intern_id_bound() * 3;
  if (keys > n)
    keys = n;
  size_t cap = 16;
  while (cap < 2 * keys)
    cap <<= 1;
  group_t *g = tm_raw_map(cap * sizeof *g, TM_MEM_OBJECTS);
  tm_frame_t *frames = tm_raw_alloc(
      (size_t)(limit > 0 ? limit : 1) * sizeof *frames, TM_MEM_OBJECTS);
  tm_snapshot_t *snap = NULL;
  tm_leak_rec_t *recs = NULL;
  size_t ng = 0;
  if (!g || !frames || tm_snapshot_new(limit, &snap) != TM_OK)
    goto fail;
  for (size_t i = 0; i < n; i++) {
    const tm_leak_block_t *b = &blocks[i];
    uint32_t cls = b->state == TM_LEAK_ST_DIRECT     ? TM_LEAK_DIRECT
                   : b->state == TM_LEAK_ST_INDIRECT ? TM_LEAK_INDIRECT
                                                     : TM_LEAK_REACHABLE;
    uint64_t key = (uint64_t)b->tb << 2 | cls;
    size_t h = (size_t)(tm_tt_hash(key) >> 32) & (cap - 1);
    while (g[h].key && g[h].key != key)
      h = (h + 1) & (cap - 1);
    if (!g[h].key) {
      g[h].key = key;
      ng++;
    }
    g[h].blocks++;
    g[h].bytes += b->size;
  }
  recs = tm_raw_alloc((ng ? ng : 1) * sizeof *recs, TM_MEM_OBJECTS);
  if (!recs)
    goto fail;
  size_t k = 0;
  for (size_t h = 0; h < cap; h++) {
    if (!g[h].key)
      continue;
    const tm_traceback_t *tb =
        convert_tb(snap, (uint32_t)(g[h].key >> 2), frames);
    if (!tb)
      goto fail;
    recs[k++] =
        (tm_leak_rec_t){tb, (uint32_t)(g[h].key & 3), g[h].blocks, g[h].bytes};
  }
  // Runtime tracebacks that differ only by their call sites (two
  // allocations on one line) are one snapshot traceback: one record each.
  memset(g, 0, cap * sizeof *g);
  size_t m = 0;
  for (size_t i = 0; i < k; i++) {
    uint64_t key = (uint64_t)(uintptr_t)recs[i].tb | recs[i].kind;
    size_t h = (size_t)(tm_tt_hash(key) >> 32) & (cap - 1);
    while (g[h].key && g[h].key != key)
      h = (h + 1) & (cap - 1);
    if (!g[h].key) {
      g[h].key = key;
      g[h].blocks = m; // the merged record's index
      recs[m++] = recs[i];
    } else {
      recs[g[h].blocks].blocks += recs[i].blocks;
      recs[g[h].blocks].bytes += recs[i].bytes;
    }
  }
  if (tm_snapshot_set_leaks(snap, recs, m) != TM_OK)
    goto fail;
  tm_raw_free(recs);
  tm_raw_free(frames);
  tm_raw_unmap(g, cap * sizeof *g, TM_MEM_OBJECTS);
  return snap;
fail:
  tm_raw_free(recs);
  tm_raw_free(frames);
  if (g)
    tm_raw_unmap(g, cap * sizeof *g, TM_MEM_OBJECTS);
  tm_snapshot_free(snap);
  return NULL;
}
