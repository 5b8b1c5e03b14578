/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* statistics.c - CPython's Snapshot.statistics() and compare_to(), and the
 * key_type names.
 *
 * Design. Grouping runs in two passes. Pass 1 sums (size, count) per
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
 * Ownership (documented in tracemalloc.h): a result's tracebacks and their
 * one-frame keys live in the result (total_nframe is None), but multi-frame
 * keys' frames and all strings point into the snapshot(s), so a result must
 * be freed before its snapshot(s).
 *
 * All memory comes from tm_raw_alloc(TM_MEM_OBJECTS); nothing is traced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ptr_map.h"
#include "raw_alloc.h"
#include "snapshot.h"

/* ------------------------------------------------------------------------ */
/* Key names                                                                 */
/* ------------------------------------------------------------------------ */

static const char *const key_names[] = {"filename", "lineno", "traceback"};

const char *tm_key_name(tm_key_t key) {
  if ((unsigned)key > TM_KEY_TRACEBACK)
    return NULL;
  return key_names[key];
}

/* Python's repr() of a str, enough for the error message: quote choice,
 * backslash escapes, \xNN for control characters and undecodable bytes. */
static void py_repr(char *out, size_t outlen, const char *s) {
  bool sq = strchr(s, '\'') != NULL, dq = strchr(s, '"') != NULL;
  char q = (sq && !dq) ? '"' : '\'';
  size_t o = 0;
#define PUT(c) (o + 1 < outlen ? (void)(out[o++] = (char)(c)) : (void)0)
  PUT(q);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned c = *p;
    const char *esc = c == '\\'   ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                                  : NULL;
    char hex[8];
    if (!esc && c == (unsigned char)q) {
      hex[0] = '\\', hex[1] = (char)q, hex[2] = '\0';
      esc = hex;
    } else if (!esc && (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xc2) ||
                        (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0xa0))) {
      if (c == 0xc2)
        c = *++p; /* U+0080..U+00A0 are not printable in Python */
      snprintf(hex, sizeof hex, "\\x%02x", c);
      esc = hex;
    }
    if (esc)
      for (; *esc; esc++)
        PUT(*esc);
    else
      PUT(c);
  }
  PUT(q);
#undef PUT
  out[o < outlen ? o : outlen - 1] = '\0';
}

static tm_status_t unknown_key(const char *name) {
  char r[256];
  if (!name)
    snprintf(r, sizeof r, "None");
  else
    py_repr(r, sizeof r, name);
  return tm_set_error(TM_EINVAL, "unknown key_type: %s", r);
}

tm_status_t tm_key_parse(const char *name, tm_key_t *out) {
  for (unsigned k = 0; name && k <= TM_KEY_TRACEBACK; k++) {
    if (strcmp(name, key_names[k]) == 0) {
      if (out)
        *out = (tm_key_t)k;
      return TM_OK;
    }
  }
  return unknown_key(name);
}

/* CPython's argument checks, in its order. */
static tm_status_t check_key(tm_key_t key, bool cumulative) {
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

/* A group, and a slot of the open-addressing table that collects them
 * (count == 0: empty slot). One-frame keys ('lineno', 'filename', and
 * one-frame 'traceback' keys) keep their frame by value, so a lookup reads
 * one 64-byte slot and nothing else: at a million distinct tracebacks the
 * cost of grouping is cache misses, and this is one per probe. Their
 * key.frames is set when the result is built. */
typedef struct group {
  tm_traceback_t key; /* frames: into the snapshot; NULL if nframe == 1 */
  tm_frame_t frame;   /* the frame of a one-frame key */
  uint64_t size;
  uint64_t count;
} group_t;

/* While grouping, items is a linear-probing table of cap slots (load <=
 * 3/4, 64-byte aligned); grouping_compact then moves the n groups to
 * items[0..n). Not a ptr_map.h map: groups are keyed by content, and the
 * table is compacted in place into the result's order of items. */
typedef struct grouping {
  group_t *items;
  size_t n, cap;
  void *block; /* what to free */
} grouping_t;

static void grouping_free(grouping_t *g) { tm_raw_free(g->block); }

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
static group_t *group_find(const grouping_t *g, const tm_traceback_t *key,
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
  group_t *it = group_find(g, key, &found);
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
static void grouping_compact(grouping_t *g) {
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
static tm_status_t group_by(const tm_snapshot_t *snap, tm_key_t kt,
                            bool cumulative, grouping_t *g) {
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

/* ------------------------------------------------------------------------ */
/* statistics()                                                              */
/* ------------------------------------------------------------------------ */

struct tm_statistics {
  tm_statistic_t *items;
  size_t n;
  tm_arena_t arena;
};

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* Descending (size, count, traceback). */
static int stat_order(const void *pa, const void *pb) {
  const tm_statistic_t *a = pa, *b = pb;
  int c = cmp_u64(b->size, a->size);
  if (!c)
    c = cmp_u64(b->count, a->count);
  if (!c)
    c = tm_traceback_cmp(b->traceback, a->traceback);
  return c;
}

/* Copy the keys into result-owned headers (items never move again); the
 * frames of one-frame keys move into the arena too. */
static tm_traceback_t *own_keys(tm_arena_t *arena, const grouping_t *g) {
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

static tm_status_t build_statistics(tm_statistics_t *r, const grouping_t *g) {
  tm_traceback_t *tbs = own_keys(&r->arena, g);
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
  tm_status_t st = check_key(key, cumulative);
  if (st != TM_OK)
    return st;
  if (!snap)
    return tm_set_error(TM_EINVAL, "snapshot must not be NULL");
  tm_statistics_t *r = tm_raw_calloc(sizeof *r, TM_MEM_OBJECTS);
  if (!r)
    return tm_set_error(TM_ENOMEM, "out of memory building statistics");
  tm_arena_init(&r->arena);
  grouping_t g = {0};
  st = group_by(snap, key, cumulative, &g);
  if (st == TM_OK) {
    grouping_compact(&g);
    st = build_statistics(r, &g);
  }
  grouping_free(&g);
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

/* ------------------------------------------------------------------------ */
/* compare_to()                                                              */
/* ------------------------------------------------------------------------ */

struct tm_statistic_diffs {
  tm_statistic_diff_t *items;
  size_t n;
  tm_arena_t arena;
};

static uint64_t abs64(int64_t v) { return v < 0 ? -(uint64_t)v : (uint64_t)v; }

/* Descending (abs(size_diff), size, abs(count_diff), count, traceback). */
static int diff_order(const void *pa, const void *pb) {
  const tm_statistic_diff_t *a = pa, *b = pb;
  int c = cmp_u64(abs64(b->size_diff), abs64(a->size_diff));
  if (!c)
    c = cmp_u64(b->size, a->size);
  if (!c)
    c = cmp_u64(abs64(b->count_diff), abs64(a->count_diff));
  if (!c)
    c = cmp_u64(b->count, a->count);
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
  tm_traceback_t *tn = own_keys(&r->arena, gn);
  size_t cap = gn->n + go->n;
  r->items = tm_arena_alloc(&r->arena, (cap ? cap : 1) * sizeof *r->items);
  if (!tn || !r->items)
    return tm_set_error(TM_ENOMEM, "out of memory comparing snapshots");
  size_t n = 0;
  for (size_t i = 0; i < gn->n; i++) {
    const group_t *a = &gn->items[i];
    bool found;
    group_t *b = group_find(go, &tn[i], &found);
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
  grouping_compact(go);
  tm_traceback_t *to = own_keys(&r->arena, go);
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
  tm_status_t st = check_key(key, cumulative);
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
  st = group_by(snap_new, key, cumulative, &gn);
  if (st == TM_OK)
    st = group_by(snap_old, key, cumulative, &go);
  if (st == TM_OK) {
    grouping_compact(&gn);
    st = build_diffs(r, &gn, &go);
  }
  grouping_free(&gn);
  grouping_free(&go);
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
