/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_internal.h - what the trace table's files share and nothing
 * outside them uses: the other domains' list, the counters and generation
 * that are not read on the inlined hot path, and the operations on one
 * open-addressing table, on a domain's pair of tables and on a key's lock.
 *
 * The operations are static inline (most always_inline, as they were in
 * the single trace_table.c) so that the add/remove paths
 * (trace_table.c) and the whole-table and validation files compile them
 * into their callers: splitting the files added no call on the hot path.
 * Only the rare out-of-line parts (a table's growth and release) are
 * functions of trace_table_slots.c. The design: trace_table.c's top
 * comment.
 */
#ifndef TM_TRACE_TABLE_INTERNAL_H
#define TM_TRACE_TABLE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raw_alloc.h"
#include "spinlock.h"
#include "tm_assert.h"
#include "trace_table.h"
#include "visibility.h"

typedef struct domain_tab {
  unsigned domain;
  tm_tt_pair_t t;
} domain_tab_t;

/* The other domains' tables (created on demand, one lock for all of them):
 * trace_table_keys.c. */
TM_HIDDEN extern tm_spinlock_t tm_tt_domains_lock;
TM_HIDDEN extern domain_tab_t *tm_tt_domains;
TM_HIDDEN extern uint32_t tm_tt_ndomains, tm_tt_domains_cap;
/* Traces not stored (no traceback, out of memory): trace_table_counters.c. */
TM_HIDDEN extern _Atomic uint64_t tm_tt_dropped;

/* ---- The block-lock barrier (trace_table_blk_lock.c) ------------------ */

/* Every running thread of the process executes a full barrier (the stop
 * side of the Dekker in trace_table.h): lock_all. */
TM_HIDDEN void tm_tt_blk_heavy_barrier(void);
/* Take the shared owner's busy word as a spinlock (lock_all). */
TM_HIDDEN void tm_tt_blk_shared_take(void);

/* ---- One table (trace_table_slots.c) ----------------------------------- */

/* Grow a table that is at load 0.8 (tab_reserve); false if it cannot grow
 * and has no room left. */
TM_HIDDEN bool tm_tt_tab_grow(tm_tt_table_t *t);
/* Release a table's slots; it is empty afterwards. */
TM_HIDDEN void tm_tt_tab_free(tm_tt_table_t *t);

static inline void place(tm_tt_entry_t *slots, uint32_t cap, uint64_t key,
                         uint64_t val) {
  TM_ASSERT(key != 0 && cap != 0);
  uint32_t i = tm_tt_home(key, cap);
  while (slots[i].key)
    i = i + 1 == cap ? 0 : i + 1;
  slots[i].key = key;
  slots[i].val = val;
}

/* Room for one more entry: grow at load 0.8; if growing fails, keep going
 * while one slot stays empty (probing must terminate). */
static inline bool tab_reserve(tm_tt_table_t *t) {
  if (t->count + 1 <= t->max_count) // load <= 0.8
    return true;
  return tm_tt_tab_grow(t);
}

static inline __attribute__((always_inline)) uint64_t *
tab_lookup(tm_tt_table_t *t, uint64_t key) {
  if (!key)
    return t->has_zero ? &t->zero_val : NULL;
  if (!t->count)
    return NULL;
  for (uint32_t i = tm_tt_home(key, t->cap);; i = i + 1 == t->cap ? 0 : i + 1) {
    if (t->slots[i].key == key)
      return &t->slots[i].val;
    if (!t->slots[i].key)
      return NULL;
  }
}

/* Insert a key known to be absent; false on out-of-memory. */
static inline __attribute__((always_inline)) bool
tab_insert(tm_tt_table_t *t, uint64_t key, uint64_t val) {
  if (!key) {
    t->has_zero = true;
    t->zero_val = val;
    return true;
  }
  if (!tab_reserve(t))
    return false;
  // One slot stays empty, or probing for an absent key never ends.
  TM_ASSERT(t->count + 1 < t->cap);
  place(t->slots, t->cap, key, val);
  t->count++;
  return true;
}

/* Remove the entry whose value `v` points to (backward-shift deletion). */
static inline __attribute__((always_inline)) void tab_erase(tm_tt_table_t *t,
                                                            uint64_t *v) {
  if (v == &t->zero_val) {
    t->has_zero = false;
    return;
  }
  tm_tt_entry_t *e =
      (tm_tt_entry_t *)((char *)v - offsetof(tm_tt_entry_t, val));
  TM_ASSERT(e >= t->slots && e < t->slots + t->cap && e->key != 0);
  tm_tt_erase_at(t, (uint32_t)(e - t->slots));
}

/* ---- A domain's pair of tables ---------------------------------------- */

static inline size_t pair_size(tm_tt_pair_t *p, uint64_t key, uint64_t val) {
  if ((uint32_t)val != TM_TT_BIG_SIZE)
    return (uint32_t)val;
  uint64_t *b = tab_lookup(&p->big, key);
  return b ? (size_t)*b : 0;
}

/* Remove (key); true and its size and traceback id if it was there. */
static inline __attribute__((always_inline)) bool
pair_remove(tm_tt_pair_t *p, uint64_t key, size_t *size, uint32_t *tb) {
  uint64_t *v = tab_lookup(&p->main, key);
  if (!v)
    return false;
  *size = pair_size(p, key, *v);
  *tb = (uint32_t)(*v >> 32);
  if ((uint32_t)*v == TM_TT_BIG_SIZE) {
    uint64_t *b = tab_lookup(&p->big, key);
    if (b)
      tab_erase(&p->big, b);
  }
  tab_erase(&p->main, v);
  return true;
}

/* Store (key -> size, tb) where key is absent; false on out-of-memory. */
static inline bool pair_insert(tm_tt_pair_t *p, uint64_t key, size_t size,
                               uint32_t tb) {
  uint32_t s32 = size >= TM_TT_BIG_SIZE ? TM_TT_BIG_SIZE : (uint32_t)size;
  if (s32 == TM_TT_BIG_SIZE && !tab_insert(&p->big, key, (uint64_t)size))
    return false;
  if (tab_insert(&p->main, key, (uint64_t)tb << 32 | s32))
    return true;
  if (s32 == TM_TT_BIG_SIZE)
    tab_erase(&p->big, tab_lookup(&p->big, key));
  return false;
}

/* ---- Locating a key (trace_table_keys.c) ------------------------------- */

static inline tm_spinlock_t *lock_of(unsigned domain, uintptr_t ptr) {
  return domain == 0 ? &tm_tt_shard_of(ptr)->lock : &tm_tt_domains_lock;
}

/* For TM_ASSERT only (unused, so not emitted, in release builds). Is the
 * lock of (domain, ptr) held by this thread, or is there none to hold (a
 * domain-0 key while the process is single-threaded: trace_table.c's top
 * comment)? */
static inline __attribute__((unused)) bool key_lock_held(unsigned domain,
                                                         uintptr_t ptr) {
  return (domain == 0 && tm_single_threaded()) ||
         tm_spin_held(lock_of(domain, ptr));
}

/* The same for the tables `p` (a shard's or a domain's); `st`: the caller
 * decided it runs single-threaded and took no lock. */
static inline __attribute__((unused)) bool pair_lock_held(const tm_tt_pair_t *p,
                                                          bool st) {
  uintptr_t a = (uintptr_t)p, lo = (uintptr_t)tm_tt_shards,
            hi = (uintptr_t)(tm_tt_shards + TM_TRACE_SHARDS);
  if (a < lo || a >= hi)
    return tm_spin_held(&tm_tt_domains_lock);
  return st ||
         tm_spin_held(&tm_tt_shards[(a - lo) / sizeof *tm_tt_shards].lock);
}

/* The tables of (domain, ptr), its lock held; created on demand for a
 * non-zero domain when `create` (NULL if that fails or if absent). */
static inline __attribute__((always_inline)) tm_tt_pair_t *
pair_of_locked(unsigned domain, uintptr_t ptr, bool create) {
  TM_ASSERT(key_lock_held(domain, ptr));
  if (domain == 0)
    return &tm_tt_shard_of(ptr)->t;
  for (uint32_t i = 0; i < tm_tt_ndomains; i++)
    if (tm_tt_domains[i].domain == domain)
      return &tm_tt_domains[i].t;
  if (!create)
    return NULL;
  if (tm_tt_ndomains == tm_tt_domains_cap) {
    uint32_t ncap = tm_tt_domains_cap ? tm_tt_domains_cap * 2 : 8;
    domain_tab_t *n =
        tm_raw_realloc(tm_tt_domains, (size_t)ncap * sizeof *n, TM_MEM_TABLES);
    if (!n)
      return NULL;
    tm_tt_domains = n;
    tm_tt_domains_cap = ncap;
  }
  domain_tab_t *d = &tm_tt_domains[tm_tt_ndomains++];
  *d = (domain_tab_t){.domain = domain};
  TM_ASSERT(tm_tt_ndomains <= tm_tt_domains_cap);
  return &d->t;
}

#endif
