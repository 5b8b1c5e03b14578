/* traceback.c - capture a traceback from the shadow stack and intern it.
 *
 * Capture (tracemalloc_abi.h section 3). A walker yields the expanded sites
 * of the current allocation, most recent first: the site and its inlined_at
 * chain, then each shadow slot from the top down (NULL when the slot is
 * empty or beyond the thread's capacity), each expanded the same way. The
 * first `limit` of them are the traceback; all of them (capped at 65535) are
 * total_nframe. Nothing is copied on the fast path: the hash is computed
 * while walking, and a candidate record is compared by walking again.
 *
 * Interning. Records live in a never-moving region (region.h); an id is the
 * record's offset / 16 + 1. The set of ids is an open-addressing table
 * (power of two, linear probing, load <= 1/2) read without a lock: a slot
 * goes from 0 to an id once (release store) and never changes, and a grown
 * table is published with a release store while the old one is kept until
 * tm_traceback_reset. Inserts, frame resolution and string interning take
 * the intern lock. Readers always hold a trace-table lock, and reset runs
 * with all of them held, so no reader can see memory being reclaimed.
 */
#include "traceback.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "filenames.h"
#include "internal.h"
#include "raw_alloc.h"
#include "region.h"
#include "spinlock.h"

#define TB_RESERVE ((size_t)16 << 30)
#define FRAMES_RESERVE ((size_t)2 << 30)
#define MAX_TOTAL 65535u

/* ---- Walking the current stack ---------------------------------------- */

typedef struct walker {
  const struct tm_site *chain; /* rest of the current inlined_at chain */
  uintptr_t slot;              /* next shadow slot to read (0: done) */
  uintptr_t cap;
  const struct tm_site **frames;
} walker_t;

static inline void walker_init(walker_t *w, const struct tm_site *site) {
  uintptr_t depth = __tm_depth;
  w->chain = site;
  w->slot = depth;
  if (site && (site->flags & TM_SITE_OWN_FRAME) && depth > 0)
    w->slot = depth - 1;
  w->cap = __tm_frames_cap;
  w->frames = __tm_frames;
}

/* The next expanded site (NULL for an unknown frame); false at the end. */
static inline bool walker_next(walker_t *w, const struct tm_site **out) {
  const struct tm_site *s = w->chain;
  if (!s) {
    uintptr_t i = w->slot;
    if (i == 0)
      return false;
    w->slot = i - 1;
    s = i < w->cap ? w->frames[i] : NULL;
    if (!s) {
      *out = NULL;
      return true;
    }
  }
  w->chain = s->inlined_at;
  *out = s;
  return true;
}

static inline uint64_t hash_step(uint64_t h, uintptr_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

/* ---- Records and the set ---------------------------------------------- */

typedef struct tbset {
  struct tbset *retired; /* previous (smaller) table, freed at reset */
  uint32_t mask;
  _Atomic uint32_t slots[];
} tbset_t;

static tm_region_t tb_region = {.reserved = TB_RESERVE};
static tm_region_t frame_region = {.reserved = FRAMES_RESERVE};
static _Atomic(tbset_t *) tb_set;
static uint32_t tb_count;
static tm_spinlock_t intern_lock = TM_SPINLOCK_INIT;

/* Frame resolution: site pointer -> frame id, under the intern lock. */
typedef struct frame_slot {
  const struct tm_site *site;
  uint32_t id;
} frame_slot_t;
static frame_slot_t *frame_set;
static uint32_t frame_set_cap, frame_set_count;

static const tm_rframe_t unknown_frame = {"<unknown>", NULL, 0, 0, 0};

const tm_tb_t *tm_traceback_get(uint32_t id) {
  return (const tm_tb_t *)(tb_region.base + (size_t)(id - 1) * 16);
}

const tm_rframe_t *tm_traceback_frame(uint32_t frame_id) {
  if (frame_id == TM_FRAME_UNKNOWN)
    return &unknown_frame;
  return (const tm_rframe_t *)(frame_region.base +
                               (size_t)(frame_id - 1) * sizeof(tm_rframe_t));
}

uint32_t tm_traceback_id_bound(void) {
  return (uint32_t)(tb_region.used / 16 + 1);
}

uint32_t tm_traceback_frame_bound(void) {
  return (uint32_t)(frame_region.used / sizeof(tm_rframe_t) + 1);
}

static size_t record_size(unsigned nframe) {
  return sizeof(tm_tb_t) + nframe * (sizeof(void *) + sizeof(uint32_t));
}

/* Does record `tb` hold exactly the sites the walker will yield? */
static bool record_matches(const tm_tb_t *tb, const struct tm_site *site,
                           bool empty) {
  if (empty)
    return tb->keys[0] == NULL;
  walker_t w;
  walker_init(&w, site);
  const struct tm_site *s;
  for (unsigned k = 0; k < tb->nframe; k++)
    if (!walker_next(&w, &s) || s != tb->keys[k])
      return false;
  return true;
}

typedef struct capture {
  uint64_t hash;
  unsigned nframe, total;
  bool empty; /* no frame at all: CPython's ('<unknown>', 0), 1 */
} capture_t;

static uint32_t lookup(const capture_t *c, const struct tm_site *site,
                       const tbset_t *set) {
  if (!set)
    return 0;
  for (uint32_t j = (uint32_t)c->hash & set->mask;; j = (j + 1) & set->mask) {
    uint32_t id = atomic_load_explicit(&set->slots[j], memory_order_acquire);
    if (!id)
      return 0;
    const tm_tb_t *tb = tm_traceback_get(id);
    if (tb->hash == (uint32_t)c->hash && tb->nframe == c->nframe &&
        tb->total_nframe == c->total && record_matches(tb, site, c->empty))
      return id;
  }
}

static int frame_set_grow(void) {
  uint32_t ncap = frame_set_cap ? frame_set_cap * 2 : 256;
  frame_slot_t *n = tm_raw_calloc((size_t)ncap * sizeof *n, TM_MEM_TABLES);
  if (!n)
    return -1;
  for (uint32_t i = 0; i < frame_set_cap; i++) {
    if (!frame_set[i].site)
      continue;
    uint32_t j = (uint32_t)hash_step(0, (uintptr_t)frame_set[i].site);
    for (j &= ncap - 1; n[j].site; j = (j + 1) & (ncap - 1))
      ;
    n[j] = frame_set[i];
  }
  tm_raw_free(frame_set);
  frame_set = n;
  frame_set_cap = ncap;
  return 0;
}

static bool make_frame(tm_rframe_t *f, const struct tm_site *site) {
  f->filename = tm_filenames_intern(site->file ? site->file : "<unknown>");
  f->function = site->function ? tm_filenames_intern(site->function) : NULL;
  f->lineno = site->line;
  f->reserved = 0;
  f->pad = 0;
  return f->filename && (f->function || !site->function);
}

/* Frame id of `site` (intern lock held); UINT32_MAX on out-of-memory. */
static uint32_t resolve_frame(const struct tm_site *site) {
  if (!site)
    return TM_FRAME_UNKNOWN;
  if ((frame_set_count + 1) * 2 > frame_set_cap && frame_set_grow() != 0)
    return UINT32_MAX;
  uint32_t mask = frame_set_cap - 1;
  uint32_t j = (uint32_t)hash_step(0, (uintptr_t)site) & mask;
  for (; frame_set[j].site; j = (j + 1) & mask)
    if (frame_set[j].site == site)
      return frame_set[j].id;
  tm_rframe_t *f = tm_region_alloc(&frame_region, sizeof *f);
  if (!f)
    return UINT32_MAX;
  if (!make_frame(f, site)) {
    tm_region_unalloc(&frame_region, sizeof *f);
    return UINT32_MAX;
  }
  uint32_t id = (uint32_t)(((char *)f - frame_region.base) / sizeof *f + 1);
  frame_set[j].site = site;
  frame_set[j].id = id;
  frame_set_count++;
  return id;
}

/* Make room for one more id (intern lock held). The old table stays
 * readable by concurrent lookups until reset. */
static tbset_t *tbset_reserve(tbset_t *set) {
  uint32_t cap = set ? set->mask + 1 : 0;
  if ((tb_count + 1) * 2 <= cap)
    return set;
  uint32_t ncap = cap ? cap * 2 : 1024;
  tbset_t *n =
      tm_raw_calloc(sizeof *n + (size_t)ncap * sizeof(uint32_t), TM_MEM_TABLES);
  if (!n)
    return (tb_count + 1) * 8 <= cap * 7 ? set : NULL; // degrade, not fail
  n->mask = ncap - 1;
  n->retired = set;
  for (uint32_t i = 0; i < cap; i++) {
    uint32_t id = atomic_load_explicit(&set->slots[i], memory_order_relaxed);
    if (!id)
      continue;
    uint32_t j = tm_traceback_get(id)->hash & n->mask;
    while (atomic_load_explicit(&n->slots[j], memory_order_relaxed))
      j = (j + 1) & n->mask;
    atomic_store_explicit(&n->slots[j], id, memory_order_relaxed);
  }
  atomic_store_explicit(&tb_set, n, memory_order_release);
  return n;
}

/* Build the record for capture `c` (intern lock held); 0 on failure. */
static uint32_t build_record(const capture_t *c, const struct tm_site *site) {
  size_t size = record_size(c->nframe);
  tm_tb_t *tb = tm_region_alloc(&tb_region, size);
  if (!tb)
    return 0;
  tb->hash = (uint32_t)c->hash;
  tb->nframe = (uint16_t)c->nframe;
  tb->total_nframe = (uint16_t)c->total;
  uint32_t *ids = (uint32_t *)(tb->keys + c->nframe);
  walker_t w;
  walker_init(&w, site);
  for (unsigned k = 0; k < c->nframe; k++) {
    const struct tm_site *s = NULL;
    if (!c->empty)
      walker_next(&w, &s);
    tb->keys[k] = s;
    ids[k] = resolve_frame(s);
    if (ids[k] == UINT32_MAX) {
      tm_region_unalloc(&tb_region, size);
      return 0;
    }
  }
  return (uint32_t)(((char *)tb - tb_region.base) / 16 + 1);
}

static __attribute__((noinline)) uint32_t
insert_slow(const capture_t *c, const struct tm_site *site) {
  tm_spin_lock(&intern_lock);
  tbset_t *set = atomic_load_explicit(&tb_set, memory_order_relaxed);
  uint32_t id = lookup(c, site, set); // another thread may have won
  if (!id && (set = tbset_reserve(set)) != NULL &&
      (id = build_record(c, site)) != 0) {
    uint32_t j = (uint32_t)c->hash & set->mask;
    while (atomic_load_explicit(&set->slots[j], memory_order_relaxed))
      j = (j + 1) & set->mask;
    atomic_store_explicit(&set->slots[j], id, memory_order_release);
    tb_count++;
  }
  tm_spin_unlock(&intern_lock);
  return id;
}

/* How many more frames the walker would yield, at most `max`: the part of
 * total_nframe beyond the limit, counted without hashing. */
static unsigned count_rest(const walker_t *w, unsigned max) {
  unsigned n = 0;
  for (const struct tm_site *c = w->chain; c && n < max; c = c->inlined_at)
    n++;
  for (uintptr_t i = w->slot; i >= 1 && n < max; i--) {
    const struct tm_site *s = i < w->cap ? w->frames[i] : NULL;
    for (n++; s && (s = s->inlined_at) != NULL && n < max;)
      n++;
  }
  return n;
}

uint32_t tm_traceback_capture(const struct tm_site *site, unsigned limit) {
  capture_t c = {.hash = 0x243f6a8885a308d3ull};
  walker_t w;
  walker_init(&w, site);
  const struct tm_site *s;
  if (limit > MAX_TOTAL)
    limit = MAX_TOTAL;
  while (c.nframe < limit && walker_next(&w, &s)) {
    c.hash = hash_step(c.hash, (uintptr_t)s);
    c.nframe++;
  }
  c.total = c.nframe + count_rest(&w, MAX_TOTAL - c.nframe);
  if (c.total == 0) { // no site, no shadow frame: CPython's empty traceback
    c.empty = true;
    c.nframe = c.total = 1;
    c.hash = hash_step(c.hash, 0);
  }
  c.hash = hash_step(c.hash, c.total);
  uint32_t id =
      lookup(&c, site, atomic_load_explicit(&tb_set, memory_order_acquire));
  return id ? id : insert_slow(&c, site);
}

void tm_traceback_reset(void) {
  tm_spin_lock(&intern_lock);
  tbset_t *set = atomic_load_explicit(&tb_set, memory_order_relaxed);
  while (set) {
    tbset_t *prev = set->retired;
    tm_raw_free(set);
    set = prev;
  }
  atomic_store_explicit(&tb_set, NULL, memory_order_relaxed);
  tb_count = 0;
  tm_raw_free(frame_set);
  frame_set = NULL;
  frame_set_cap = frame_set_count = 0;
  tm_region_reset(&tb_region);
  tm_region_reset(&frame_region);
  tm_filenames_reset();
  tm_spin_unlock(&intern_lock);
}

void tm_traceback_atfork_prepare(void) { tm_spin_lock(&intern_lock); }
void tm_traceback_atfork_parent(void) { tm_spin_unlock(&intern_lock); }
void tm_traceback_atfork_child(void) { tm_spin_reset(&intern_lock); }
