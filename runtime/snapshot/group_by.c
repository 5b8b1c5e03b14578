/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* group_by.c - CPython's Snapshot._group_by(): the traces of a snapshot
 * summed by key, for statistics() and compare_to().
 *
 * Grouping runs in two passes. Pass 1 sums (size, count) per
 * traceback POINTER: a snapshot interns its tracebacks, so a million traces
 * usually collapse to a few thousand pointers, and that pass is one hash
 * probe per trace with no memory touched beyond the trace array. Pass 2
 * derives the key(s) of each distinct traceback ('traceback': all frames;
 * 'lineno': the most recent frame; 'filename': (file, 0); cumulative: one
 * key per stored frame, repeated frames counted each time) and merges them
 * by CONTENT, which is CPython's Traceback equality: (filename, lineno) pairs
 * only, total_nframe and function names ignored. Multi-frame keys are bare
 * traceback headers pointing into the snapshot's frames; one-frame keys
 * (every 'lineno' and 'filename' key) carry their frame by value, so a
 * lookup compares inside the group item instead of chasing pointers; the
 * content hash of interned strings makes hashing a few multiplies. Within a
 * snapshot equal strings are one pointer, so strcmp runs only when keys of
 * two snapshots meet in compare_to.
 *
 * Separate from statistics.c and compare_to.c: both results are built from
 * these groups, and this is where the cost of both is.
 *
 * All memory comes from tm_raw_alloc(TM_MEM_OBJECTS); nothing is traced.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "group_by.h"
#include "ptr_map.h"
#include "raw_alloc.h"

/* CPython's argument checks, in its order. */
tm_status_t tm_group_check_key(tm_key_t key, bool cumulative) {
  if ((unsigned)key > TM_KEY_TRACEBACK)
    return tm_set_error(TM_EINVAL, "unknown key_type: %d", (int)key);
  if (cumulative && key == TM_KEY_TRACEBACK)
    return tm_set_error(TM_EINVAL,
                        "cumulative mode cannot by used with key type "
                        "'traceback'");
  return TM_OK;
}

/* ------------------------------------------------------------------------ */
/* Pass 1: sums per traceback pointer                                        */
/* ------------------------------------------------------------------------ */

/* A slot of the pointer table (ptr_map.h: the key comes first). */
typedef struct ptr_slot {
  const tm_traceback_t *tb; /* the key */
  uint64_t size;
  uint64_t count;
} ptr_slot_t;

static tm_status_t sum_by_pointer(const tm_snapshot_t *snap, tm_ptr_map_t *t) {
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *traces = tm_snapshot_traces(snap);
  ptr_slot_t *last = NULL;
  for (size_t i = 0; i < n; i++) {
    const tm_traceback_t *tb = traces[i].traceback;
    /* Runs of one traceback are common (loops): skip the probe. */
    if (!last || last->tb != tb) {
      bool added;
      last = tm_ptr_map_get(t, tb, &added);
      if (!last)
        return tm_set_error(TM_ENOMEM, "out of memory grouping traces");
    }
    last->size += traces[i].size;
    last->count++;
  }
  return TM_OK;
}

/* ------------------------------------------------------------------------ */
/* Pass 2: groups by content                                                 */
/* ------------------------------------------------------------------------ */

void tm_grouping_free(grouping_t *g) { tm_raw_free(g->block); }

static bool table_grow(grouping_t *g) {
  size_t ncap = g->cap ? g->cap * 2 : 256;
  void *block = tm_raw_calloc(ncap * sizeof(group_t) + 64, TM_MEM_OBJECTS);
  if (!block)
    return false;
  group_t *t = (group_t *)(((uintptr_t)block + 63) & ~(uintptr_t)63);
  for (size_t i = 0; i < g->cap; i++) {
    if (!g->items[i].count)
      continue;
    size_t j = g->items[i].key.hash & (ncap - 1);
    while (t[j].count)
      j = (j + 1) & (ncap - 1);
    t[j] = g->items[i];
  }
  tm_raw_free(g->block);
  g->block = block;
  g->items = t;
  g->cap = ncap;
  return true;
}

/* CPython's Traceback equality between a group's key and `key`. */
static inline bool key_equal(const group_t *it, const tm_traceback_t *key) {
  if (it->key.hash != key->hash || it->key.nframe != key->nframe)
    return false;
  if (key->nframe != 1)
    return tm_traceback_equal(&it->key, key);
  const tm_frame_t *f = key->frames;
  return it->frame.lineno == f->lineno &&
         (it->frame.filename == f->filename ||
          strcmp(it->frame.filename, f->filename) == 0);
}

/* The slot of the group equal to `key` (content) if *found, else the empty
 * slot where it would go. The table must not be empty. */
group_t *tm_group_find(const grouping_t *g, const tm_traceback_t *key,
                       bool *found) {
  size_t mask = g->cap - 1, j = key->hash & mask;
  for (; g->items[j].count; j = (j + 1) & mask) {
    if (key_equal(&g->items[j], key)) {
      *found = true;
      return &g->items[j];
    }
  }
  *found = false;
  return &g->items[j];
}

/* Add (size, count) to the group of `key`, creating it if needed (the
 * frame of a one-frame key is copied: a 'filename' key's is a scratch). */
static bool group_add(grouping_t *g, const tm_traceback_t *key, uint64_t size,
                      uint64_t count) {
  if ((g->n + 1) * 4 > g->cap * 3 && !table_grow(g))
    return false;
  bool found;
  group_t *it = tm_group_find(g, key, &found);
  if (!found) {
    it->key = *key;
    if (key->nframe == 1) {
      it->frame = key->frames[0];
      it->key.frames = NULL;
    }
    it->size = 0;
    g->n++;
  }
  it->size += size;
  it->count += count; /* >= 1: the slot is now in use */
  return true;
}

/* Move the groups to items[0..n) (the table is unusable afterwards). */
void tm_grouping_compact(grouping_t *g) {
  size_t w = 0;
  for (size_t i = 0; i < g->cap; i++)
    if (g->items[i].count)
      g->items[w++] = g->items[i];
}

/* The key of frame `f` for 'lineno' (the frame itself) or 'filename'
 * (file, 0, in *scratch). */
static void frame_key(tm_traceback_t *key, const tm_frame_t *f, tm_key_t kt,
                      tm_frame_t *scratch) {
  key->nframe = 1;
  key->total_nframe = TM_TOTAL_NFRAME_NONE;
  if (kt == TM_KEY_LINENO) {
    key->frames = f;
    key->hash = tm_frame_hash(f->filename, f->lineno);
  } else {
    scratch->filename = f->filename;
    scratch->lineno = 0;
    scratch->function = NULL;
    key->frames = scratch;
    key->hash = tm_frame_hash(f->filename, 0);
  }
}

static tm_status_t merge_one(grouping_t *g, const ptr_slot_t *p, tm_key_t kt,
                             bool cumulative) {
  const tm_traceback_t *tb = p->tb;
  tm_traceback_t key;
  tm_frame_t scratch;
  if (kt == TM_KEY_TRACEBACK ||
      (kt == TM_KEY_LINENO && tb->nframe == 0 && !cumulative)) {
    /* all frames (an empty traceback is its own 'lineno' key: frames[:1]) */
    key = *tb;
    key.total_nframe = TM_TOTAL_NFRAME_NONE;
    return group_add(g, &key, p->size, p->count) ? TM_OK : TM_ENOMEM;
  }
  if (!cumulative) {
    if (tb->nframe == 0)
      return tm_set_error(TM_EINVAL, "tuple index out of range (IndexError: "
                                     "'filename' key of an empty traceback)");
    frame_key(&key, &tb->frames[0], kt, &scratch);
    return group_add(g, &key, p->size, p->count) ? TM_OK : TM_ENOMEM;
  }
  /* cumulative: every stored frame, each occurrence counts */
  for (size_t i = 0; i < tb->nframe; i++) {
    frame_key(&key, &tb->frames[i], kt, &scratch);
    if (!group_add(g, &key, p->size, p->count))
      return TM_ENOMEM;
  }
  return TM_OK;
}

/* CPython's Snapshot._group_by(). */
tm_status_t tm_group_by(const tm_snapshot_t *snap, tm_key_t kt, bool cumulative,
                        grouping_t *g) {
  if (!table_grow(g))
    return tm_set_error(TM_ENOMEM, "out of memory grouping traces");
  tm_ptr_map_t pt;
  tm_ptr_map_init(&pt, sizeof(ptr_slot_t), 512);
  tm_status_t st = sum_by_pointer(snap, &pt);
  for (size_t i = 0; st == TM_OK && i < pt.cap; i++) {
    const ptr_slot_t *p = tm_ptr_map_slot_at(&pt, i);
    if (p->tb)
      st = merge_one(g, p, kt, cumulative);
  }
  tm_ptr_map_free(&pt);
  if (st == TM_ENOMEM)
    return tm_set_error(TM_ENOMEM, "out of memory grouping traces");
  return st;
}

/* Copy the keys into result-owned headers (items never move again); the
 * frames of one-frame keys move into the arena too. */
tm_traceback_t *tm_group_own_keys(tm_arena_t *arena, const grouping_t *g) {
  size_t n = g->n ? g->n : 1;
  tm_traceback_t *tbs = tm_arena_alloc(arena, n * sizeof *tbs);
  tm_frame_t *frames = tm_arena_alloc(arena, n * sizeof *frames);
  if (!tbs || !frames)
    return NULL;
  for (size_t i = 0; i < g->n; i++) {
    tbs[i] = g->items[i].key;
    if (tbs[i].nframe == 1) {
      frames[i] = g->items[i].frame;
      tbs[i].frames = &frames[i];
    }
  }
  return tbs;
}
