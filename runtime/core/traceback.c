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
 * are in traceback_cache.c; the site -> frame table that a new record's
 * frame ids come from is traceback_frames.c, and the set's validator
 * traceback_validate.c (what they share: traceback_set.h).
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
#include "traceback_set.h"

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

/* ---- Records and the set ---------------------------------------------- */

tm_region_t tm_intern_region = {.reserved = TB_RESERVE};

_Atomic(tm_intern_table_t *) tm_intern_table;
uint32_t tm_intern_count;
/* Sets of earlier module generations (tm_intern_invalidate_caches):
 * never searched again, kept readable until reset like retired tables. */
static tm_intern_table_t *dead_sets;
/* dl_iterate_phdr's dlpi_subs (objects unloaded so far) when the current
 * module generation began. */
static unsigned long long generation_subs;
tm_spinlock_t tm_intern_lock = TM_SPINLOCK_INIT;

uint32_t tm_intern_id_bound(void) {
  return (uint32_t)(tm_intern_region.used / 16 + 1);
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
                       const tm_intern_table_t *set) {
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

/* Make room for one more id (intern lock held). The old table stays
 * readable by concurrent lookups until reset. */
static tm_intern_table_t *table_reserve(tm_intern_table_t *set) {
  TM_ASSERT(tm_spin_held(&tm_intern_lock));
  uint32_t cap = set ? set->mask + 1 : 0;
  if ((tm_intern_count + 1) * 2 <= cap)
    return set;
  uint32_t ncap = cap ? cap * 2 : 1024;
  tm_intern_table_t *n =
      tm_raw_calloc(sizeof *n + (size_t)ncap * sizeof(uint32_t), TM_MEM_TABLES);
  if (!n)
    return (tm_intern_count + 1) * 8 <= cap * 7 ? set
                                                : NULL; // degrade, not fail
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
  atomic_store_explicit(&tm_intern_table, n, memory_order_release);
  return n;
}

/* Build the record for capture `c` (intern lock held); 0 on failure. */
static uint32_t build_record(const capture_t *c, const struct tm_site *site) {
  TM_ASSERT(tm_spin_held(&tm_intern_lock));
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
    ids[k] = tm_intern_resolve_frame(s);
    if (ids[k] == UINT32_MAX) {
      tm_region_unalloc(&tm_intern_region);
      return 0;
    }
  }
  return (uint32_t)(off / 16 + 1);
}

static __attribute__((noinline)) uint32_t
insert_slow(const capture_t *c, const struct tm_site *site) {
  tm_spin_lock(&tm_intern_lock);
  tm_intern_table_t *set =
      atomic_load_explicit(&tm_intern_table, memory_order_relaxed);
  uint32_t id = lookup(c, site, set); // another thread may have won
  if (!id && (set = table_reserve(set)) != NULL &&
      (id = build_record(c, site)) != 0) {
    uint32_t j = (uint32_t)c->hash & set->mask;
    while (atomic_load_explicit(&set->slots[j], memory_order_relaxed))
      j = (j + 1) & set->mask;
    atomic_store_explicit(&set->slots[j], id, memory_order_release);
    tm_intern_count++;
    TM_ASSERT(tm_intern_count * 8 <=
              (set->mask + 1) * 7); // table_reserve's bound
  }
  tm_spin_unlock(&tm_intern_lock);
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
    c.hash = tm_intern_hash_step(c.hash, (uintptr_t)s);
    c.nframe++;
  }
  c.total = total;
  if (c.total == 0) { // no site, no shadow frame: CPython's empty traceback
    c.empty = true;
    c.nframe = c.total = 1;
    c.hash = tm_intern_hash_step(c.hash, 0);
  }
  c.hash = tm_intern_hash_step(c.hash, c.total);
  // The thread is part of the key (thread_registry.h). Only this global
  // path needs it: the per-thread cache holds this thread's ids only.
  c.thread = tm_thread_registry_self();
  c.hash = tm_intern_hash_step(c.hash, c.thread);
  uint32_t id = lookup(
      &c, site, atomic_load_explicit(&tm_intern_table, memory_order_acquire));
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
  tm_spin_lock(&tm_intern_lock);
  if (!known || subs != generation_subs) {
    generation_subs = subs;
    tm_intern_table_t *set =
        atomic_load_explicit(&tm_intern_table, memory_order_relaxed);
    if (set) {
      set->dead = dead_sets;
      dead_sets = set;
    }
    // Lookups that already loaded the old set finish in it: they are
    // captures of sites that are still mapped (no code of the new module
    // has run yet), whose old records are still right.
    atomic_store_explicit(&tm_intern_table, NULL, memory_order_release);
    tm_intern_count = 0;
    tm_intern_frames_forget();
  }
  tm_spin_unlock(&tm_intern_lock);
  // Every load: the per-thread cache is keyed by pointers too, and costs
  // nothing to refill.
  atomic_fetch_add_explicit(&tm_tb_epoch, 1, memory_order_relaxed);
}

static void free_set_chain(tm_intern_table_t *set) {
  while (set) {
    tm_intern_table_t *prev = set->retired;
    tm_raw_free(set);
    set = prev;
  }
}

void tm_intern_mark_ids(uint64_t *bits) {
  // The current set and those of earlier module generations hold every id
  // once (a retired table holds a subset of its successor's ids).
  tm_intern_table_t *set =
      atomic_load_explicit(&tm_intern_table, memory_order_relaxed);
  for (tm_intern_table_t *d = dead_sets;; d = d->dead) {
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
  tm_spin_lock(&tm_intern_lock);
  // Every cached id of every thread is stale from now on (each thread
  // empties its cache at its next capture: tm_tb_thread_sync).
  atomic_fetch_add_explicit(&tm_tb_epoch, 1, memory_order_relaxed);
  free_set_chain(atomic_load_explicit(&tm_intern_table, memory_order_relaxed));
  while (dead_sets) {
    tm_intern_table_t *next = dead_sets->dead;
    free_set_chain(dead_sets);
    dead_sets = next;
  }
  atomic_store_explicit(&tm_intern_table, NULL, memory_order_relaxed);
  tm_intern_count = 0;
  tm_intern_frames_reset();
  tm_region_reset(&tm_intern_region);
  tm_filenames_reset();
  tm_thread_registry_reset(); // thread indices name records: same epoch
  tm_spin_unlock(&tm_intern_lock);
}

void tm_intern_atfork_prepare(void) { tm_spin_lock(&tm_intern_lock); }
void tm_intern_atfork_parent(void) { tm_spin_unlock(&tm_intern_lock); }
void tm_intern_atfork_child(void) { tm_spin_reset(&tm_intern_lock); }
