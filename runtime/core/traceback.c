/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback.c - capture a traceback from the shadow stack and intern it.
 *
 * Capture (tracemalloc_abi.h section 3). A walker yields the expanded sites
 * of the current allocation, most recent first: the site and its inlined_at
 * chain, then each slot of the gathered stack (tm_shadow_gather: the frame
 * records' sites) from the top (slot depth) down, each expanded the same
 * way, or NULL when the slot is unknown (a record that failed its checks,
 * or every slot of a thread without state, which gathers none). The first
 * `limit` of them are the traceback; all of them (capped at 65535) are
 * total_nframe. Nothing is copied on the fast path: the hash is computed
 * while walking, and a candidate record is compared by walking again.
 *
 * With the thread's state (the common case) slots 1..i are gather[1..i],
 * one array, with their prefix frame counts: the key and the count read
 * them directly. Otherwise each slot is unknown and counts as one frame.
 *
 * The per-thread cache in front of the set, and tm_intern_capture itself,
 * are in traceback_cache.c.
 *
 * Interning. Records live in a never-moving region (region.h); an id is the
 * record's offset / 16 + 1. The set of ids is an open-addressing table
 * (power of two, linear probing, load <= 1/2) read without a lock: a slot
 * goes from 0 to an id once (release store) and never changes, and a grown
 * table is published with a release store while the old one is kept until
 * tm_intern_reset. Inserts, frame resolution and string interning take
 * the intern lock. Readers always hold a trace-table lock, and reset runs
 * with all of them held, so no reader can see memory being reclaimed.
 */
#include "traceback.h"
#include "traceback_capture.h"

#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "filenames.h"
#include "internal.h"
#include "raw_alloc.h"
#include "region.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "thread_registry.h"
#include "tm_assert.h"

#define TB_RESERVE ((size_t)16 << 30)
#define FRAMES_RESERVE ((size_t)2 << 30)

/* ---- Walking the current stack ---------------------------------------- */

typedef struct walker {
  const struct tm_site *chain; /* rest of the current inlined_at chain */
  uintptr_t slot;              /* next shadow slot to read (0: done) */
  struct tm_shadow sh;
} walker_t;

/* The stack of the capture in progress on this thread (tm_intern_capture
 * reads it once: with ABI v4 records, reading means walking them). */
__thread struct tm_shadow tm_intern_capture_sh
    __attribute__((tls_model("initial-exec")));

static inline void walker_init(walker_t *w, const struct tm_site *site) {
  w->sh = tm_intern_capture_sh;
  w->chain = site;
  w->slot = top_slot(site, w->sh.depth);
}

/* The next expanded site (NULL for an unknown frame); false at the end. */
static inline bool walker_next(walker_t *w, const struct tm_site **out) {
  const struct tm_site *s = w->chain;
  if (!s) {
    uintptr_t i = w->slot;
    if (i == 0)
      return false;
    w->slot = i - 1;
    s = slot_at(&w->sh, i);
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
  struct tbset *dead;    /* set of an earlier module generation */
  uint32_t mask;
  _Atomic uint32_t slots[];
} tbset_t;

tm_region_t tm_intern_region = {.reserved = TB_RESERVE};

static tm_region_t frame_region = {.reserved = FRAMES_RESERVE};
static _Atomic(tbset_t *) tb_set;
static uint32_t tb_count;
/* Sets of earlier module generations (tm_intern_invalidate_caches):
 * never searched again, kept readable until reset like retired tables. */
static tbset_t *dead_sets;
/* dl_iterate_phdr's dlpi_subs (objects unloaded so far) when the current
 * module generation began. */
static unsigned long long generation_subs;
static tm_spinlock_t intern_lock = TM_SPINLOCK_INIT;

/* Frame resolution: site pointer -> frame id, under the intern lock. */
typedef struct frame_slot {
  const struct tm_site *site;
  uint32_t id;
} frame_slot_t;
static frame_slot_t *frame_set;
static uint32_t frame_set_cap, frame_set_count;

static const tm_rframe_t unknown_frame = {"<unknown>", NULL, 0, 0, 0};

const tm_rframe_t *tm_intern_frame(uint32_t frame_id) {
  if (frame_id == TM_FRAME_UNKNOWN)
    return &unknown_frame;
  return (const tm_rframe_t *)tm_region_at(
      &frame_region, (size_t)(frame_id - 1) * sizeof(tm_rframe_t));
}

uint32_t tm_intern_id_bound(void) {
  return (uint32_t)(tm_intern_region.used / 16 + 1);
}

uint32_t tm_intern_frame_bound(void) {
  return (uint32_t)(frame_region.used / sizeof(tm_rframe_t) + 1);
}

static size_t record_size(unsigned nframe) {
  return sizeof(tm_tb_t) + nframe * (sizeof(void *) + sizeof(uint32_t));
}

/* Does record `tb` hold exactly the sites the walker will yield? */
bool tm_intern_record_matches(const tm_tb_t *tb, const struct tm_site *site,
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
  uint32_t thread; /* thread_registry.h index of the allocating thread */
  bool empty;      /* no frame at all: CPython's ('<unknown>', 0), 1 */
} capture_t;

static uint32_t lookup(const capture_t *c, const struct tm_site *site,
                       const tbset_t *set) {
  if (!set)
    return 0;
  for (uint32_t j = (uint32_t)c->hash & set->mask;; j = (j + 1) & set->mask) {
    uint32_t id = atomic_load_explicit(&set->slots[j], memory_order_acquire);
    if (!id)
      return 0;
    const tm_tb_t *tb = tm_intern_get(id);
    if (tb->hash == (uint32_t)c->hash && tb->nframe == c->nframe &&
        tb->total_nframe == c->total && tb->thread == c->thread &&
        tm_intern_record_matches(tb, site, c->empty))
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
  TM_ASSERT(tm_spin_held(&intern_lock));
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
    tm_region_unalloc(&frame_region);
    return UINT32_MAX;
  }
  uint32_t id = (uint32_t)(tm_region_last(&frame_region) / sizeof *f + 1);
  frame_set[j].site = site;
  frame_set[j].id = id;
  frame_set_count++;
  return id;
}

/* Make room for one more id (intern lock held). The old table stays
 * readable by concurrent lookups until reset. */
static tbset_t *tbset_reserve(tbset_t *set) {
  TM_ASSERT(tm_spin_held(&intern_lock));
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
    uint32_t j = tm_intern_get(id)->hash & n->mask;
    while (atomic_load_explicit(&n->slots[j], memory_order_relaxed))
      j = (j + 1) & n->mask;
    atomic_store_explicit(&n->slots[j], id, memory_order_relaxed);
  }
  atomic_store_explicit(&tb_set, n, memory_order_release);
  return n;
}

/* Build the record for capture `c` (intern lock held); 0 on failure. */
static uint32_t build_record(const capture_t *c, const struct tm_site *site) {
  TM_ASSERT(tm_spin_held(&intern_lock));
  TM_ASSERT(c->nframe >= 1 && c->nframe <= c->total);
  // The record follows its history entry (TM_INTERN_HIST_BYTES, whole
  // cache lines of its own: history.h); the region aligns to 16 only, so
  // 48 bytes more leave room to align the entry to a line. Chunks start at
  // page-aligned addresses and offsets multiple of 64, so aligning the
  // offset aligns the address.
  size_t size = TM_INTERN_HIST_BYTES + record_size(c->nframe) + 48;
  char *block = tm_region_alloc(&tm_intern_region, size);
  if (!block)
    return 0;
  size_t skip = (64 - (tm_region_last(&tm_intern_region) & 63)) & 63;
  __builtin_memset(block + skip, 0, TM_INTERN_HIST_BYTES);
  size_t off = tm_region_last(&tm_intern_region) + skip + TM_INTERN_HIST_BYTES;
  tm_tb_t *tb = (tm_tb_t *)(block + skip + TM_INTERN_HIST_BYTES);
  tb->hash = (uint32_t)c->hash;
  tb->nframe = (uint16_t)c->nframe;
  tb->total_nframe = (uint16_t)c->total;
  tb->thread = c->thread;
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
      tm_region_unalloc(&tm_intern_region);
      return 0;
    }
  }
  return (uint32_t)(off / 16 + 1);
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
    TM_ASSERT(tb_count * 8 <= (set->mask + 1) * 7); // tbset_reserve's bound
  }
  tm_spin_unlock(&intern_lock);
  return id;
}

/* ---- Capture: the per-thread cache, then the intern set ---------------- */

/* The global path: hash the expanded frames, look the record up in the set,
 * intern it if new. `total` is total_nframe (0: no frame at all). */
uint32_t tm_intern_capture_global(const struct tm_site *site, unsigned limit,
                                  unsigned total) {
  capture_t c = {.hash = 0x243f6a8885a308d3ull};
  walker_t w;
  walker_init(&w, site);
  const struct tm_site *s;
  while (c.nframe < limit && walker_next(&w, &s)) {
    c.hash = hash_step(c.hash, (uintptr_t)s);
    c.nframe++;
  }
  c.total = total;
  if (c.total == 0) { // no site, no shadow frame: CPython's empty traceback
    c.empty = true;
    c.nframe = c.total = 1;
    c.hash = hash_step(c.hash, 0);
  }
  c.hash = hash_step(c.hash, c.total);
  // The thread is part of the key (thread_registry.h). Only this global
  // path needs it: the per-thread cache holds this thread's ids only.
  c.thread = tm_thread_registry_self();
  c.hash = hash_step(c.hash, c.thread);
  uint32_t id =
      lookup(&c, site, atomic_load_explicit(&tb_set, memory_order_acquire));
  return id ? id : insert_slow(&c, site);
}

/* The per-thread cache's epoch (traceback.h; traceback_cache.c): bumped
 * by tm_intern_reset and every module load. */
_Atomic uint64_t tm_tb_epoch = 1;
/* ---- Module generations ------------------------------------------------ *
 *
 * A site pointer names a site only while its module is loaded: after a
 * dlclose, another module can be mapped at the same address and hand the
 * runtime the same pointers for other sites. So every table keyed by site
 * pointers belongs to a module generation, and a module loaded after any
 * unload starts a new one (its constructor, __tm_module_init_v4, runs
 * before any code of the module can allocate: it has the first
 * constructor priority). The records and frames of earlier generations stay
 * (live traces use them; their strings are copies, filenames.h) but are
 * never found by a site pointer again: the intern set starts empty, the
 * site -> frame map is emptied, and every thread's cache is dropped (the
 * epoch). A load that follows no unload cannot reuse an
 * address, so it keeps the tables and their sharing.
 *
 * The unload count is dl_iterate_phdr's dlpi_subs, read here, in a
 * constructor, with no runtime lock held: dl_iterate_phdr takes the
 * loader's lock, and a thread holding that lock may be inside malloc and
 * waiting for a trace-table lock, so it is never called from a hook. */

static int read_subs(struct dl_phdr_info *info, size_t size, void *out) {
  if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
    return -1; // a loader without the counters
  *(unsigned long long *)out = info->dlpi_subs;
  return 1; // the counter is the same in every entry: one is enough
}

void tm_intern_invalidate_caches(void) {
  unsigned long long subs = 0;
  // Without the counter (never with glibc >= 2.4), assume an unload.
  bool known = dl_iterate_phdr(read_subs, &subs) == 1;
  tm_spin_lock(&intern_lock);
  if (!known || subs != generation_subs) {
    generation_subs = subs;
    tbset_t *set = atomic_load_explicit(&tb_set, memory_order_relaxed);
    if (set) {
      set->dead = dead_sets;
      dead_sets = set;
    }
    // Lookups that already loaded the old set finish in it: they are
    // captures of sites that are still mapped (no code of the new module
    // has run yet), whose old records are still right.
    atomic_store_explicit(&tb_set, NULL, memory_order_release);
    tb_count = 0;
    tm_raw_free(frame_set);
    frame_set = NULL;
    frame_set_cap = frame_set_count = 0;
  }
  tm_spin_unlock(&intern_lock);
  // Every load: the per-thread cache is keyed by pointers too, and costs
  // nothing to refill.
  atomic_fetch_add_explicit(&tm_tb_epoch, 1, memory_order_relaxed);
}

static void free_set_chain(tbset_t *set) {
  while (set) {
    tbset_t *prev = set->retired;
    tm_raw_free(set);
    set = prev;
  }
}

void tm_intern_mark_ids(uint64_t *bits) {
  // The current set and those of earlier module generations hold every id
  // once (a retired table holds a subset of its successor's ids).
  tbset_t *set = atomic_load_explicit(&tb_set, memory_order_relaxed);
  for (tbset_t *d = dead_sets;; d = d->dead) {
    for (uint32_t j = 0; set && j <= set->mask; j++) {
      uint32_t id = atomic_load_explicit(&set->slots[j], memory_order_relaxed);
      if (id)
        bits[id / 64] |= (uint64_t)1 << (id % 64);
    }
    if (!d)
      break;
    set = d;
  }
}

void tm_intern_reset(void) {
  tm_spin_lock(&intern_lock);
  // Every cached id of every thread is stale from now on (each thread
  // empties its cache at its next capture: tm_tb_thread_sync).
  atomic_fetch_add_explicit(&tm_tb_epoch, 1, memory_order_relaxed);
  free_set_chain(atomic_load_explicit(&tb_set, memory_order_relaxed));
  while (dead_sets) {
    tbset_t *next = dead_sets->dead;
    free_set_chain(dead_sets);
    dead_sets = next;
  }
  atomic_store_explicit(&tb_set, NULL, memory_order_relaxed);
  tb_count = 0;
  tm_raw_free(frame_set);
  frame_set = NULL;
  frame_set_cap = frame_set_count = 0;
  tm_region_reset(&tm_intern_region);
  tm_region_reset(&frame_region);
  tm_filenames_reset();
  tm_thread_registry_reset(); // thread indices name records: same epoch
  tm_spin_unlock(&intern_lock);
}

void tm_intern_atfork_prepare(void) { tm_spin_lock(&intern_lock); }
void tm_intern_atfork_parent(void) { tm_spin_unlock(&intern_lock); }
void tm_intern_atfork_child(void) { tm_spin_reset(&intern_lock); }

/* ---- Validation (traceback.h: tm_intern_validate) ---------------------- */

static bool same_record(const tm_tb_t *a, const tm_tb_t *b) {
  if (a->hash != b->hash || a->nframe != b->nframe ||
      a->total_nframe != b->total_nframe || a->thread != b->thread)
    return false;
  for (unsigned k = 0; k < a->nframe; k++)
    if (a->keys[k] != b->keys[k])
      return false;
  return true;
}

/* One record: sizes and frame ids in range. */
static const char *record_validate(const tm_tb_t *tb, uint32_t frame_bound) {
  if (tb->nframe == 0 || tb->total_nframe < tb->nframe)
    return "intern set: a record with nframe 0 or above total_nframe";
  const uint32_t *ids = tm_tb_frame_ids(tb);
  for (unsigned k = 0; k < tb->nframe; k++) {
    if (ids[k] >= frame_bound)
      return "intern set: a frame id never handed out";
    if ((ids[k] == TM_FRAME_UNKNOWN) != (tb->keys[k] == NULL))
      return "intern set: a frame id that does not match its site";
  }
  return NULL;
}

const char *tm_intern_validate(void) {
  tm_reentrant++;
  tm_spin_lock(&intern_lock);
  const char *err = NULL;
  const tbset_t *set = atomic_load_explicit(&tb_set, memory_order_relaxed);
  uint32_t bound = tm_intern_id_bound(), frame_bound = tm_intern_frame_bound();
  uint32_t occupied = 0, cap = set ? set->mask + 1 : 0;
  if (cap & (cap - 1))
    err = "intern set: capacity not a power of two";
  for (uint32_t i = 0; !err && i < cap; i++) {
    uint32_t id = atomic_load_explicit(&set->slots[i], memory_order_relaxed);
    if (!id)
      continue;
    occupied++;
    if (id >= bound) {
      err = "intern set: an id past the records";
      break;
    }
    const tm_tb_t *tb = tm_intern_get(id);
    err = record_validate(tb, frame_bound);
    // Found again by its key: lookup probes from the home slot of the
    // record's hash, stops at the first empty slot, and returns the first
    // record with the same content. So every slot from home to i is
    // occupied and none holds the same content (which also means no id is
    // in the set twice: the second copy would find the first).
    for (uint32_t j = tb->hash & set->mask; !err && j != i;
         j = (j + 1) & set->mask) {
      uint32_t other =
          atomic_load_explicit(&set->slots[j], memory_order_relaxed);
      if (!other)
        err = "intern set: a traceback not found again from its key";
      else if (other < bound && same_record(tm_intern_get(other), tb))
        err = "intern set: one traceback under two slots (ids not unique)";
    }
  }
  if (!err && occupied != tb_count)
    err = "intern set: count differs from the occupied slots";
  if (!err && set && occupied >= cap)
    err = "intern set: no empty slot left (lookups would not end)";
  tm_spin_unlock(&intern_lock);
  tm_reentrant--;
  return err;
}

#ifdef TM_DEBUG
void tm_intern_debug_corrupt_count(int32_t delta) {
  tm_spin_lock(&intern_lock);
  tb_count += (uint32_t)delta;
  tm_spin_unlock(&intern_lock);
}
#endif
