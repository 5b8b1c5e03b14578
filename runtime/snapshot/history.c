/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* history.c - what a snapshot's allocation history answers: one
 * traceback's counters, and the live set at the peak as a snapshot that
 * every statistics / filter / compare function accepts.
 *
 * The runtime keeps, per traceback, the bytes and the blocks live at the
 * peak, not each block's size (core/history.h: that is what makes the peak
 * free for a program whose memory keeps rising). A peak snapshot therefore
 * spreads a traceback's bytes over its blocks as evenly as integers allow;
 * sums, counts and averages per traceback, filename or line, which is all
 * that statistics and compare_to report, are exact.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"

static const char no_history_msg[] =
    "the snapshot has no allocation history (taken before history was "
    "recorded, or built by hand)";

tm_status_t tm_snapshot_traceback_history(const tm_snapshot_t *snap,
                                          const tm_traceback_t *tb,
                                          tm_history_t *out) {
  if (!snap || !tb || !out)
    return tm_set_error(TM_EINVAL, "snapshot, traceback and out must not be "
                                   "NULL");
  size_t n;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  if (!h)
    return tm_set_error(TM_EINVAL, "%s", no_history_msg);
  memset(out, 0, sizeof *out);
  out->traceback = tb;
  for (size_t i = 0; i < n; i++) {
    if (h[i].traceback != tb && !tm_traceback_equal(h[i].traceback, tb))
      continue;
    out->calls += h[i].calls;
    out->allocated += h[i].allocated;
    out->frees += h[i].frees;
    out->temporary += h[i].temporary;
    out->peak_size += h[i].peak_size;
    out->peak_count += h[i].peak_count;
  }
  return TM_OK;
}

tm_status_t tm_snapshot_peak_parts(const tm_snapshot_t *snap,
                                   const tm_peak_part_t *parts, size_t n,
                                   tm_snapshot_t **out) {
  *out = NULL;
  size_t nh;
  const tm_history_t *h = tm_snapshot_history(snap, &nh);
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += (size_t)parts[i].count;
  tm_snapshot_t *dst;
  tm_status_t st = tm_snapshot_new_like(snap, &dst);
  // Its traces are the peak's live set, its info (current, peak, time)
  // snap's: say so, for the readers (`tracemalloc top`).
  tm_snapshot_info_t info = {.size = sizeof info};
  if (st == TM_OK && (st = tm_snapshot_get_info(dst, &info)) == TM_OK) {
    info.peak_live_set = true;
    st = tm_snapshot_set_info(dst, &info);
  }
  if (st == TM_OK)
    st = tm_snapshot_reserve(dst, total);
  for (size_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t count = parts[i].count;
    if (!count)
      continue;
    const tm_traceback_t *tb =
        tm_snapshot_copy_traceback(dst, parts[i].traceback);
    if (!tb) {
      st = tm_set_error(TM_ENOMEM, "out of memory building a peak snapshot");
      break;
    }
    uint64_t each = parts[i].size / count, extra = parts[i].size % count;
    for (uint64_t k = 0; st == TM_OK && k < count; k++)
      st = tm_snapshot_append_thread(dst, 0, (size_t)(each + (k < extra)), tb,
                                     parts[i].thread);
  }
  if (st == TM_OK)
    st = tm_snapshot_set_history(dst, NULL, 0);
  if (st != TM_OK) {
    tm_snapshot_free(dst);
    return st;
  }
  // The peak snapshot keeps the history too (the traceback pointers must be
  // dst's): `history` and `peak` can then be asked of it.
  tm_history_t *copy = NULL;
  if (nh && !(copy = tm_raw_alloc(nh * sizeof *copy, TM_MEM_OBJECTS)))
    st = tm_set_error(TM_ENOMEM, "out of memory building a peak snapshot");
  for (size_t i = 0; st == TM_OK && i < nh; i++) {
    copy[i] = h[i];
    if (!(copy[i].traceback = tm_snapshot_copy_traceback(dst, h[i].traceback)))
      st = tm_set_error(TM_ENOMEM, "out of memory building a peak snapshot");
  }
  if (st == TM_OK && nh)
    st = tm_snapshot_set_history(dst, copy, nh);
  tm_raw_free(copy);
  if (st != TM_OK) {
    tm_snapshot_free(dst);
    return st;
  }
  *out = dst;
  return TM_OK;
}

tm_status_t tm_snapshot_peak(const tm_snapshot_t *snap, tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!snap)
    return tm_set_error(TM_EINVAL, "snapshot must not be NULL");
  size_t n;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  if (!h)
    return tm_set_error(TM_EINVAL, "%s", no_history_msg);
  // Each record's thread becomes its traces' thread (TM_THREAD_NONE for a
  // history loaded from a file written without threads).
  tm_peak_part_t *parts =
      tm_raw_alloc((n ? n : 1) * sizeof *parts, TM_MEM_OBJECTS);
  if (!parts)
    return tm_set_error(TM_ENOMEM, "out of memory building a peak snapshot");
  for (size_t i = 0; i < n; i++)
    parts[i] = (tm_peak_part_t){h[i].traceback, h[i].thread, h[i].peak_size,
                                h[i].peak_count};
  tm_status_t st = tm_snapshot_peak_parts(snap, parts, n, out);
  tm_raw_free(parts);
  return st;
}

/* ---- History grouped by key (tm_snapshot_history_statistics) ----------- */

typedef struct hgroup {
  tm_history_stat_t s;
  tm_traceback_t key; /* frames: into the snapshot, or `frame` (fixed up) */
  tm_frame_t frame;   /* one-frame keys */
  bool one;
} hgroup_t;

struct tm_history_stats {
  tm_history_stat_t *items;
  tm_traceback_t *keys;
  tm_frame_t *frames;
  size_t n;
};

typedef struct hgrouping {
  hgroup_t *g;
  size_t n, cap;
  uint32_t *slots; /* group index + 1; 0 empty */
  size_t nslots;
} hgrouping_t;

static bool key_equal(const hgroup_t *a, const tm_traceback_t *key,
                      const tm_frame_t *frame, bool one) {
  if (a->one != one)
    return false;
  if (one)
    return a->frame.lineno == frame->lineno &&
           (a->frame.filename == frame->filename ||
            strcmp(a->frame.filename, frame->filename) == 0);
  return tm_traceback_equal(&a->key, key);
}

static bool slots_grow(hgrouping_t *h) {
  size_t n = h->nslots ? h->nslots * 2 : 256;
  uint32_t *s = tm_raw_calloc(n * sizeof *s, TM_MEM_OBJECTS);
  if (!s)
    return false;
  for (size_t i = 0; i < h->n; i++) {
    size_t j = h->g[i].key.hash & (n - 1);
    while (s[j])
      j = (j + 1) & (n - 1);
    s[j] = (uint32_t)i + 1;
  }
  tm_raw_free(h->slots);
  h->slots = s;
  h->nslots = n;
  return true;
}

/* The group of (key | frame); created when `create`, else NULL if absent.
 * *oom on out-of-memory. */
static hgroup_t *group_of(hgrouping_t *h, const tm_traceback_t *key,
                          const tm_frame_t *frame, bool one, bool create,
                          bool *oom) {
  uint64_t hash =
      one ? tm_frame_hash(frame->filename, frame->lineno) : key->hash;
  if (h->nslots) {
    for (size_t j = hash & (h->nslots - 1); h->slots[j];
         j = (j + 1) & (h->nslots - 1)) {
      hgroup_t *g = &h->g[h->slots[j] - 1];
      if (g->key.hash == hash && key_equal(g, key, frame, one))
        return g;
    }
  }
  if (!create)
    return NULL;
  if ((h->n + 1) * 2 > h->nslots && !slots_grow(h)) {
    *oom = true;
    return NULL;
  }
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    hgroup_t *g = tm_raw_realloc(h->g, cap * sizeof *g, TM_MEM_OBJECTS);
    if (!g) {
      *oom = true;
      return NULL;
    }
    h->g = g;
    h->cap = cap;
  }
  hgroup_t *g = &h->g[h->n];
  memset(g, 0, sizeof *g);
  g->one = one;
  if (one) {
    g->frame = (tm_frame_t){frame->filename, frame->lineno, NULL};
    g->key = (tm_traceback_t){NULL, 1, TM_TOTAL_NFRAME_NONE, hash};
  } else {
    g->key = *key;
    g->key.total_nframe = TM_TOTAL_NFRAME_NONE;
  }
  size_t j = hash & (h->nslots - 1);
  while (h->slots[j])
    j = (j + 1) & (h->nslots - 1);
  h->slots[j] = (uint32_t)++h->n;
  return g;
}

typedef void (*hadd_fn)(hgroup_t *g, const void *what);

static void add_history(hgroup_t *g, const void *what) {
  const tm_history_t *r = what;
  g->s.calls += r->calls;
  g->s.allocated += r->allocated;
  g->s.frees += r->frees;
  g->s.temporary += r->temporary;
  g->s.peak_size += r->peak_size;
  g->s.peak_count += r->peak_count;
}

static void add_live(hgroup_t *g, const void *what) {
  g->s.live_size += ((const tm_trace_t *)what)->size;
  g->s.live_count++;
}

/* Add `what` to the group(s) of tb, as statistics.c's merge_one groups a
 * traceback; only existing groups unless `create`. */
static tm_status_t merge(hgrouping_t *h, const tm_traceback_t *tb, tm_key_t kt,
                         bool cumulative, bool create, hadd_fn add,
                         const void *what) {
  bool oom = false;
  hgroup_t *g;
  if (kt == TM_KEY_TRACEBACK ||
      (kt == TM_KEY_LINENO && tb->nframe == 0 && !cumulative)) {
    if ((g = group_of(h, tb, NULL, false, create, &oom)) != NULL)
      add(g, what);
  } else {
    size_t n = cumulative ? tb->nframe : tb->nframe ? 1 : 0;
    if (!cumulative && tb->nframe == 0)
      return tm_set_error(TM_EINVAL, "tuple index out of range (IndexError: "
                                     "'filename' key of an empty traceback)");
    for (size_t i = 0; i < n && !oom; i++) {
      tm_frame_t f = {tb->frames[i].filename,
                      kt == TM_KEY_FILENAME ? 0 : tb->frames[i].lineno, NULL};
      if ((g = group_of(h, NULL, &f, true, create, &oom)) != NULL)
        add(g, what);
    }
  }
  return oom ? tm_set_error(TM_ENOMEM, "out of memory grouping the history")
             : TM_OK;
}

static int by_allocated(const void *a, const void *b) {
  const tm_history_stat_t *x = a, *y = b;
  if (x->allocated != y->allocated)
    return x->allocated > y->allocated ? -1 : 1;
  return tm_traceback_cmp(x->traceback, y->traceback);
}

tm_status_t tm_snapshot_history_statistics(const tm_snapshot_t *snap,
                                           tm_key_t key, bool cumulative,
                                           tm_history_stats_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!snap)
    return tm_set_error(TM_EINVAL, "snapshot must not be NULL");
  if (!tm_key_name(key))
    return tm_set_error(TM_EINVAL, "unknown key type %d", (int)key);
  if (cumulative && key == TM_KEY_TRACEBACK)
    return tm_set_error(TM_EINVAL, "cumulative mode cannot by used with key "
                                   "type 'traceback'");
  size_t n;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  if (!h)
    return tm_set_error(TM_EINVAL, "%s", no_history_msg);
  hgrouping_t g = {0};
  tm_status_t st = TM_OK;
  for (size_t i = 0; st == TM_OK && i < n; i++)
    st = merge(&g, h[i].traceback, key, cumulative, true, add_history, &h[i]);
  size_t nt = tm_snapshot_count(snap);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; st == TM_OK && i < nt; i++)
    st = merge(&g, t[i].traceback, key, cumulative, false, add_live, &t[i]);
  tm_history_stats_t *r = NULL;
  if (st == TM_OK) {
    size_t m = g.n ? g.n : 1;
    r = tm_raw_calloc(sizeof *r, TM_MEM_OBJECTS);
    if (r) {
      r->items = tm_raw_alloc(m * sizeof *r->items, TM_MEM_OBJECTS);
      r->keys = tm_raw_alloc(m * sizeof *r->keys, TM_MEM_OBJECTS);
      r->frames = tm_raw_alloc(m * sizeof *r->frames, TM_MEM_OBJECTS);
    }
    if (!r || !r->items || !r->keys || !r->frames) {
      tm_history_stats_free(r);
      r = NULL;
      st = tm_set_error(TM_ENOMEM, "out of memory grouping the history");
    }
  }
  if (st == TM_OK) {
    for (size_t i = 0; i < g.n; i++) {
      r->frames[i] = g.g[i].frame;
      r->keys[i] = g.g[i].key;
      if (g.g[i].one)
        r->keys[i].frames = &r->frames[i];
      r->items[i] = g.g[i].s;
      r->items[i].traceback = &r->keys[i];
    }
    r->n = g.n;
    qsort(r->items, r->n, sizeof *r->items, by_allocated);
  }
  tm_raw_free(g.g);
  tm_raw_free(g.slots);
  if (st == TM_OK)
    *out = r;
  return st;
}

size_t tm_history_stats_count(const tm_history_stats_t *st) {
  return st ? st->n : 0;
}

const tm_history_stat_t *tm_history_stats_items(const tm_history_stats_t *st) {
  return st ? st->items : NULL;
}

void tm_history_stats_free(tm_history_stats_t *st) {
  if (!st)
    return;
  tm_raw_free(st->items);
  tm_raw_free(st->keys);
  tm_raw_free(st->frames);
  tm_raw_free(st);
}
