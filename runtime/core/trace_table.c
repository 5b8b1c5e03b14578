/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table.c - sharded trace tables, header traces and the current/peak
 * counters.
 *
 * Header traces (trace_table.h, "Header mode"; header_index.h) need no
 * table: their fast paths are inline in trace_table.h, the rest (realloc's
 * detach/restore, tm_track of a header block, the walk) is here. Their
 * count is kept per thread (shadow_stack.h, tm_hdr_owner_t: under the
 * thread's own lock) so that counting traces stays O(threads);
 * tm_clear_traces makes them all untraced at once by changing tm_hdr_gen.
 * The side tables below are unchanged.
 *
 * Layout. A table maps a pointer to a 16-byte entry {ptr, tb id:32 |
 * size:32} with open addressing, linear probing and backward-shift deletion
 * (no tombstones). The capacity need not be a power of two: the home slot is
 * the high half of hash * capacity, so growth is by about 1.9x and the load
 * stays between 0.53 and 0.8 (16 / 0.67 = 24 bytes per trace on average).
 * Key 0 cannot mark an empty slot and a pointer 0 is legal in tm_track, so
 * it has a slot of its own. Sizes >= 4 GiB - 1 do not fit 32 bits: they
 * store UINT32_MAX and the real size in a second, usually empty, table.
 *
 * Hot path. The domain-0 types, the hash and the fast paths of
 * tm_core_on_alloc / tm_core_on_free are in trace_table.h, static inline,
 * so that the __tm_malloc / __tm_free hooks record with no call of their
 * own (a traceback cached by the thread, a new key in a table with room; a
 * removal of a small block); anything else goes to the slow paths here.
 *
 * Locking. Each of the TM_TRACE_SHARDS domain-0 shards has a spinlock; all
 * other domains share one; header blocks are changed under the operating
 * thread's own lock (trace_table.h, "Header mode"). Every table change, and
 * the capture of the traceback it stores, happens under the lock of its key,
 * so whoever holds every lock (clear, snapshot, fork) sees no capture in
 * flight.
 *
 * Counters. current is changed only by atomic fetch_add of the exact delta
 * of one table change (a replacement adds new - old in one step, so old and
 * new are never counted together); the returned post-change value is then
 * CAS-maxed into peak. The sequence of values current takes is the order of
 * those fetch_adds, and only increases can set a new maximum, so peak is the
 * exact maximum of current, as CPython's single-lock version computes it.
 *
 * Single-threaded fast path. While tm_single_threaded() (glibc's
 * __libc_single_threaded) is true, domain-0 adds and removes take no shard
 * lock, and current/peak are updated with a relaxed load and a relaxed store
 * instead of fetch_add/CAS: no atomic read-modify-write at all. Why this is
 * exact and race-free:
 *  - glibc sets the flag to false in pthread_create BEFORE the new thread
 *    exists (and never back to true in that process), whichever way the
 *    thread is created (pthread_create, or timer/aio/mq helpers that use
 *    it). Everything this thread did before that call, lock-free table
 *    changes and plain counter stores included, happens-before everything
 *    the new thread does (pthread_create synchronises with the start of the
 *    thread), and from then on every thread, this one too, sees false and
 *    locks. So no lock-free operation ever overlaps another thread's.
 *  - The flag can only become false on this thread, by this thread calling
 *    pthread_create, which the runtime never does between deciding "single"
 *    and finishing the operation; the decision is taken once per operation
 *    and the same one is used to unlock. (Calling pthread_create from a
 *    signal handler is not async-signal-safe in the first place.)
 *  - fork: a child of a multi-threaded parent keeps false (glibc 2.36,
 *    checked) and takes the locks, which the atfork child handler reset; a
 *    child of a single-threaded parent has true and is single-threaded. A
 *    libc that did set it back to true in the child would also be right:
 *    the child has one thread and the prepare handler held every lock
 *    across the fork, so the tables are consistent.
 *  - Signal handlers on this thread: tm_reentrant is raised (core.c) for
 *    the whole operation, so a handler's malloc is not traced and cannot
 *    enter the table while it is half-changed, exactly as with the lock.
 *  - Threads created behind glibc's back (a raw clone(CLONE_VM)) would
 *    break this, as they break glibc's own malloc, which skips its arena
 *    locks on the same kind of single-thread test.
 * Readers (get_traced_memory, snapshots) on the same thread are ordinary
 * program order; on another thread they cannot exist while the flag is
 * true. Under TSan, glibc's pthread_create still clears the flag and the
 * interceptor provides the happens-before edge, so multi-threaded tests
 * see only locked, atomic accesses after their threads start.
 */
#include "trace_table.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/membarrier.h>)
#include <linux/membarrier.h>
#define TT_HAVE_MEMBARRIER_H 1
#endif
#endif

#include "internal.h"
#include "raw_alloc.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "tm_assert.h"
#include "traceback.h"

typedef struct domain_tab {
  unsigned domain;
  tm_tt_pair_t t;
} domain_tab_t;

_Atomic int tm_trace_limit = 1;

/* The domain-0 shards and the counters are shared with the inlined hot
 * path (trace_table.h). */
tm_tt_shard_t tm_tt_shards[TM_TRACE_SHARDS];
static tm_spinlock_t domains_lock = TM_SPINLOCK_INIT;
static domain_tab_t *domains;
static uint32_t ndomains, domains_cap;

_Alignas(64) _Atomic size_t tm_traced_current;
_Alignas(64) _Atomic size_t tm_traced_peak;
static _Alignas(64) _Atomic uint64_t dropped;
static uint64_t clear_generation; /* changed with every lock held */
uint32_t tm_hdr_gen = 1;
/* Threads without state: before their setup, or once they exit. */
tm_hdr_owner_t tm_tt_hdr_shared;
_Atomic int tm_tt_hdr_stop;
/* membarrier's private expedited command is registered (set at start and
 * in a fork child, before any header block): lock_all calls it. */
static _Atomic int hdr_asym;

/* membarrier (its commands are an enum, not macros). Under TSan the fence
 * path is kept: TSan cannot see membarrier's edge. */
#if defined(SYS_membarrier) && defined(TT_HAVE_MEMBARRIER_H)
#define TT_MEMBARRIER 1
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#undef TT_MEMBARRIER
#endif
#endif
#endif

void tm_trace_table_init_barrier(void) {
  int ok = 0;
#ifdef TT_MEMBARRIER
  ok = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
               0) == 0;
#endif
  atomic_store_explicit(&hdr_asym, ok, memory_order_relaxed);
  // No lock_all runs now (start, fork child): the stop bit is clear.
  atomic_store_explicit(&tm_tt_hdr_stop, ok ? 0 : TM_TT_HDR_FENCE,
                        memory_order_relaxed);
}

/* Every running thread of the process executes a full barrier (the stop
 * side of the Dekker in trace_table.h); a fence where that is not
 * available. */
static void hdr_heavy_barrier(void) {
  atomic_thread_fence(memory_order_seq_cst);
#ifdef TT_MEMBARRIER
  // Registered, so it does not fail (membarrier(2): EPERM only when not
  // registered).
  if (atomic_load_explicit(&hdr_asym, memory_order_relaxed))
    (void)syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
#endif
}

void tm_tt_hdr_wait(tm_hdr_owner_t *o) {
  for (;;) {
    // The mark is set: the full fence between it and the read of the flag
    // (a no-op's worth when membarrier is in use: lock_all's barrier is
    // the other half then, and this runs only while stopped).
    atomic_thread_fence(memory_order_seq_cst);
    if (!(atomic_load_explicit(&tm_tt_hdr_stop, memory_order_acquire) &
          TM_TT_HDR_STOPPED))
      return;
    atomic_store_explicit(&o->busy, 0, memory_order_release);
    for (unsigned n = 0;
         atomic_load_explicit(&tm_tt_hdr_stop, memory_order_acquire) &
         TM_TT_HDR_STOPPED;
         n++)
      if (n < 64)
        tm_spin_pause();
      else
        sched_yield();
    atomic_store_explicit(&o->busy, 1, memory_order_relaxed);
  }
}

/* The shared owner's busy word as a spinlock (several threads without
 * state may use it at once; lock_all takes it too). */
static void hdr_shared_take(void) {
  for (unsigned n = 0; atomic_exchange_explicit(&tm_tt_hdr_shared.busy, 1,
                                                memory_order_acquire);
       n++)
    if (n < 64)
      tm_spin_pause();
    else
      sched_yield();
}

tm_hdr_owner_t *tm_tt_hdr_shared_lock(void) {
  hdr_shared_take();
  return &tm_tt_hdr_shared;
}

/* ---- One table -------------------------------------------------------- */

static const uint32_t small_caps[] = {15, 31, 63, 127, 255};

/* Fresh zeroed slots for at least `want` entries. */
static tm_tt_entry_t *slots_alloc(uint32_t want, uint32_t *cap, bool *mapped) {
  for (unsigned i = 0; i < sizeof small_caps / sizeof *small_caps; i++) {
    if (want <= small_caps[i]) {
      // cap*16 + raw_alloc's 16-byte header is exactly a size class.
      *cap = small_caps[i];
      *mapped = false;
      return tm_raw_calloc((size_t)*cap * sizeof(tm_tt_entry_t), TM_MEM_TABLES);
    }
  }
  size_t ps = tm_raw_page_size();
  size_t bytes = ((size_t)want * sizeof(tm_tt_entry_t) + ps - 1) & ~(ps - 1);
  if (bytes / sizeof(tm_tt_entry_t) > UINT32_MAX)
    return NULL;
  *cap = (uint32_t)(bytes / sizeof(tm_tt_entry_t));
  *mapped = true;
  return tm_raw_map(bytes, TM_MEM_TABLES); // fresh mappings are zeroed
}

static void slots_free(tm_tt_table_t *t) {
  if (t->mapped)
    tm_raw_unmap(t->slots, (size_t)t->cap * sizeof(tm_tt_entry_t),
                 TM_MEM_TABLES);
  else
    tm_raw_free(t->slots);
  t->slots = NULL;
  t->cap = t->count = t->max_count = 0;
}

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
static bool tab_reserve(tm_tt_table_t *t) {
  if (t->count + 1 <= t->max_count) // load <= 0.8
    return true;
  uint32_t ncap;
  bool mapped;
  uint64_t want = (uint64_t)(t->count + 1) * 15 / 8 + 1;
  tm_tt_entry_t *n =
      want > UINT32_MAX ? NULL : slots_alloc((uint32_t)want, &ncap, &mapped);
  if (!n)
    return t->count + 2 <= t->cap;
  for (uint32_t i = 0; i < t->cap; i++)
    if (t->slots[i].key)
      place(n, ncap, t->slots[i].key, t->slots[i].val);
  uint32_t count = t->count;
  slots_free(t);
  t->slots = n;
  t->cap = ncap;
  t->max_count = tm_tt_max_count(ncap);
  t->count = count;
  t->mapped = mapped;
  return true;
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

static void tab_free(tm_tt_table_t *t) {
  slots_free(t);
  t->has_zero = false;
}

/* ---- A domain's pair of tables ---------------------------------------- */

static size_t pair_size(tm_tt_pair_t *p, uint64_t key, uint64_t val) {
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
static bool pair_insert(tm_tt_pair_t *p, uint64_t key, size_t size,
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

/* ---- Counters --------------------------------------------------------- */

void tm_trace_table_traced_memory(size_t *current, size_t *peak) {
  size_t c = atomic_load_explicit(&tm_traced_current, memory_order_relaxed);
  size_t p = atomic_load_explicit(&tm_traced_peak, memory_order_relaxed);
  if (current)
    *current = c;
  if (peak)
    *peak = p < c ? c : p; // a reset_peak racing with an add
}

void tm_trace_table_reset_peak(void) {
  atomic_store_explicit(
      &tm_traced_peak,
      atomic_load_explicit(&tm_traced_current, memory_order_relaxed),
      memory_order_relaxed);
  // The live set at the peak is the current one from now on (history.h).
  tm_hist_peak_reached(false);
  // An add between the load and the store may have raised current: the
  // peak must not stay below it.
  tm_tt_peak_update(
      atomic_load_explicit(&tm_traced_current, memory_order_relaxed));
}

uint64_t tm_trace_table_dropped(void) {
  return atomic_load_explicit(&dropped, memory_order_relaxed);
}

void tm_trace_table_count_drop(void) {
  atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
}

/* ---- Locating a key --------------------------------------------------- */

static tm_spinlock_t *lock_of(unsigned domain, uintptr_t ptr) {
  return domain == 0 ? &tm_tt_shard_of(ptr)->lock : &domains_lock;
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
    return tm_spin_held(&domains_lock);
  return st ||
         tm_spin_held(&tm_tt_shards[(a - lo) / sizeof *tm_tt_shards].lock);
}

/* The lock of the key's hash shard. For a header block it keeps the
 * traceback id valid (clear takes it) and orders the read against
 * tm_track of that block (hdr_track takes it too); the block's malloc and
 * free are ordered against the query by the program, which must hold a
 * live block to ask about it. */
void tm_trace_table_lock_key(unsigned domain, uintptr_t ptr) {
  tm_spin_lock(lock_of(domain, ptr));
}

void tm_trace_table_unlock_key(unsigned domain, uintptr_t ptr) {
  tm_spin_unlock(lock_of(domain, ptr));
}

/* The tables of (domain, ptr), its lock held; created on demand for a
 * non-zero domain when `create` (NULL if that fails or if absent). */
static inline __attribute__((always_inline)) tm_tt_pair_t *
pair_of_locked(unsigned domain, uintptr_t ptr, bool create) {
  TM_ASSERT(key_lock_held(domain, ptr));
  if (domain == 0)
    return &tm_tt_shard_of(ptr)->t;
  for (uint32_t i = 0; i < ndomains; i++)
    if (domains[i].domain == domain)
      return &domains[i].t;
  if (!create)
    return NULL;
  if (ndomains == domains_cap) {
    uint32_t ncap = domains_cap ? domains_cap * 2 : 8;
    domain_tab_t *n =
        tm_raw_realloc(domains, (size_t)ncap * sizeof *n, TM_MEM_TABLES);
    if (!n)
      return NULL;
    domains = n;
    domains_cap = ncap;
  }
  domain_tab_t *d = &domains[ndomains++];
  *d = (domain_tab_t){.domain = domain};
  TM_ASSERT(ndomains <= domains_cap);
  return &d->t;
}

bool tm_trace_table_find_locked(unsigned domain, uintptr_t ptr, size_t *size,
                                uint32_t *tb) {
  TM_ASSERT(tm_spin_held(lock_of(domain, ptr)));
  if (domain == 0 && tm_hdr_is((void *)ptr)) {
    const tm_hdr_t *h = (const tm_hdr_t *)(ptr - TM_HDR_SIZE);
    if (h->gen != tm_hdr_gen)
      return false;
    *size = (size_t)h->size;
    *tb = h->tb;
    return true;
  }
  tm_tt_pair_t *p = pair_of_locked(domain, ptr, false);
  uint64_t *v = p ? tab_lookup(&p->main, ptr) : NULL;
  if (!v)
    return false;
  *size = pair_size(p, ptr, *v);
  *tb = (uint32_t)(*v >> 32);
  return true;
}

/* ---- Add / remove ----------------------------------------------------- */

/* The history of a trace that enters the table (history.h): an allocation
 * made now, or (alloc false) a block that a failed realloc puts back. */
static inline __attribute__((always_inline)) void
hist_enter(uint32_t tb, size_t size, uintptr_t ptr, bool alloc) {
  if (alloc)
    tm_hist_on_alloc(tm_thread_self, tb, size, ptr);
  else
    tm_hist_unfree(tb, size);
}

/* Store (ptr -> size, tb) under the key's lock, replacing any trace there;
 * tb 0 (the capture failed) or no table `p`: drop. -1 when dropped. alloc:
 * an allocation (history.h), else a detached trace put back. */
static inline __attribute__((always_inline)) int
store_locked(tm_tt_pair_t *p, uintptr_t ptr, size_t size, uint32_t tb, bool st,
             bool alloc) {
  if (TM_UNLIKELY(!p)) { // no table for a new domain: out of memory
    atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    return -1;
  }
  TM_ASSERT(pair_lock_held(p, st));
  tm_tt_table_t *t = &p->main;
  // The common case, one probe: a new block of less than 4 GiB at a
  // non-zero address, into a table that has room.
  if (TM_LIKELY(tb && size < TM_TT_BIG_SIZE && ptr &&
                t->count + 1 <= t->max_count)) {
    tm_tt_entry_t *slots = t->slots;
    uint32_t cap = t->cap;
    uint32_t i = tm_tt_home(ptr, cap);
    for (;;) {
      uint64_t k = slots[i].key;
      if (!k) {
        slots[i].key = ptr;
        slots[i].val = (uint64_t)tb << 32 | size;
        t->count++;
        hist_enter(tb, size, ptr, alloc);
        tm_tt_current_add(size, st);
        return 0;
      }
      if (k == ptr)
        break; // a replacement: below
      i = i + 1 == cap ? 0 : i + 1;
    }
  }
  uint64_t *v = tab_lookup(&p->main, ptr);
  bool big = size >= TM_TT_BIG_SIZE;
  if (tb && !v && !big &&
      tab_insert(&p->main, ptr, (uint64_t)tb << 32 | size)) {
    hist_enter(tb, size, ptr, alloc);
    tm_tt_current_add(size, st);
    return 0;
  }
  if (tb && v && big == ((uint32_t)*v == TM_TT_BIG_SIZE)) {
    // Replace in place (realloc in place, tm_track again): one delta, so
    // the old and the new size are never counted together.
    size_t old = pair_size(p, ptr, *v);
    tm_hist_on_free((uint32_t)(*v >> 32), old, 0);
    hist_enter(tb, size, ptr, alloc);
    if (big)
      *tab_lookup(&p->big, ptr) = size;
    *v = (uint64_t)tb << 32 | (big ? TM_TT_BIG_SIZE : (uint32_t)size);
    tm_tt_current_add(size - old, st);
    return 0;
  }
  size_t old = 0;
  uint32_t old_tb;
  if (v && pair_remove(p, ptr, &old, &old_tb)) {
    tm_hist_on_free(old_tb, old, 0);
    tm_tt_current_sub(old, st); // replaced by the insert below, or dropped
  }
  if (tb && (v || big) && pair_insert(p, ptr, size, tb)) {
    hist_enter(tb, size, ptr, alloc);
    tm_tt_current_add(size, st);
    return 0;
  }
  atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
  return -1;
}

static inline __attribute__((always_inline)) int
add_locked(tm_tt_pair_t *p, uintptr_t ptr, size_t size,
           const struct tm_site *site, bool st) {
  TM_ASSERT(!p || pair_lock_held(p, st));
  unsigned limit =
      (unsigned)atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
  return store_locked(p, ptr, size, p ? tm_intern_capture(site, limit) : 0, st,
                      true);
}

/* tm_track(0, p) / tm_untrack(0, p) of a header block: its trace is the
 * header (CPython: tracking an address again replaces its trace). Under
 * the key's shard lock (tm_trace_table_lock_key: a concurrent
 * get_object_traceback) and this thread's header lock (the owner of the
 * count). */
static int hdr_track(uintptr_t ptr, size_t size, const struct tm_site *site,
                     bool add) {
  tm_hdr_t *h = (tm_hdr_t *)(ptr - TM_HDR_SIZE);
  tm_spinlock_t *key_lock = lock_of(0, ptr);
  tm_reentrant++;
  tm_spin_lock(key_lock);
  tm_hdr_owner_t *sh = tm_tt_hdr_begin(false, tm_thread_own);
  int rc = add ? -2 : 0;
  bool traced = h->gen == tm_hdr_gen;
  if (add && atomic_load_explicit(&tm_tracing, memory_order_acquire)) {
    unsigned limit =
        (unsigned)atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
    uint32_t tb = tm_intern_capture(site, limit);
    if (traced) {
      sh->count--;
      tm_hist_on_free(h->tb, h->size, 0);
      tm_tt_current_sub(h->size, false);
    }
    h->size = size;
    h->gen = 0;
    rc = -1;
    if (tb) {
      h->tb = tb;
      h->gen = tm_hdr_gen;
      sh->count++;
      tm_hist_on_alloc(tm_thread_self, tb, size, ptr);
      tm_tt_current_add(size, false);
      rc = 0;
    } else {
      atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    }
  } else if (!add && traced) {
    sh->count--;
    tm_hist_on_free(h->tb, h->size, 0);
    tm_tt_current_sub(h->size, false);
    h->gen = 0;
  }
  tm_tt_hdr_end(sh, false);
  tm_spin_unlock(key_lock);
  tm_reentrant--;
  return rc;
}

int tm_trace_table_add(unsigned domain, uintptr_t ptr, size_t size,
                       const struct tm_site *site) {
  if (domain == 0 && tm_hdr_maybe() && tm_hdr_is((void *)ptr))
    return hdr_track(ptr, size, site, true);
  // Domain 0 only: the other domains' table list may be read by
  // tm_track on any thread, but they are rare; keep them locked always.
  bool st = domain == 0 && tm_single_threaded();
  tm_spinlock_t *lock = lock_of(domain, ptr);
  if (!st)
    tm_spin_lock(lock);
  int rc = -2;
  // Re-checked under the lock: tm_stop clears with every lock held.
  if (TM_LIKELY(atomic_load_explicit(&tm_tracing, memory_order_acquire)))
    rc = add_locked(pair_of_locked(domain, ptr, true), ptr, size, site, st);
  if (!st)
    tm_spin_unlock(lock);
  return rc;
}

/* The hooks' domain-0 entry points (internal.h). The fast paths are
 * inlined (trace_table.h: the hooks inline them too); these are the slow
 * paths, which do the whole job from scratch. */
tm_thread_t *tm_core_thread_init_slow(void) {
  int saved_errno = errno; // mmap may fail and set it
  tm_core_flush_deferred();
  tm_shadow_thread_init();
  errno = saved_errno;
  return tm_thread_self;
}

void tm_core_on_alloc_slow(uintptr_t ptr, size_t size,
                           const struct tm_site *site) {
  // No state: a thread not set up yet, or one whose signal handler queued
  // allocations (tm_core_defer parks it), which happened before this one.
  // Neither is busy work: a handler that interrupts it records directly.
  if (TM_UNLIKELY(tm_thread_self == NULL))
    tm_core_thread_init_slow();
  tm_reentrant++;
  // Make the runtime's compiler-visible ordering explicit: a signal
  // handler on this thread must see tm_reentrant raised before any table
  // change (the single-threaded path has no lock to order it).
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_tt_shard_t *sh = tm_tt_shard_of(ptr);
  if (!st)
    tm_spin_lock(&sh->lock);
  // Re-checked under the lock: tm_stop clears with every lock held.
  if (TM_LIKELY(atomic_load_explicit(&tm_tracing, memory_order_acquire))) {
    unsigned limit =
        (unsigned)atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
    uint32_t tb = tm_intern_capture(site, limit);
    store_locked(&sh->t, ptr, size, tb, st, true);
  }
  if (!st)
    tm_spin_unlock(&sh->lock);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
}

void tm_core_on_free_slow(uintptr_t ptr) {
  if (TM_UNLIKELY(tm_thread_self == NULL))
    tm_core_flush_deferred();
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_tt_shard_t *sh = tm_tt_shard_of(ptr);
  if (!st)
    tm_spin_lock(&sh->lock);
  size_t old;
  uint32_t tb;
  if (pair_remove(&sh->t, ptr, &old, &tb)) {
    tm_hist_on_free(tb, old, ptr);
    tm_tt_current_sub(old, st);
  }
  if (!st)
    tm_spin_unlock(&sh->lock);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
}

void tm_core_on_alloc(void *p, size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!atomic_load_explicit(&tm_tracing, memory_order_relaxed)))
    return;
  tm_core_on_alloc_inline(p, size, site);
}

void tm_core_on_free(void *p) {
  if (TM_LIKELY(!atomic_load_explicit(&tm_tracing, memory_order_relaxed)))
    return;
  tm_core_on_free_inline(p);
}

void tm_trace_table_remove(unsigned domain, uintptr_t ptr) {
  if (domain == 0 && tm_hdr_maybe() && tm_hdr_is((void *)ptr)) {
    hdr_track(ptr, 0, NULL, false);
    return;
  }
  bool st = domain == 0 && tm_single_threaded();
  tm_spinlock_t *lock = lock_of(domain, ptr);
  if (!st)
    tm_spin_lock(lock);
  tm_tt_pair_t *p = pair_of_locked(domain, ptr, false);
  size_t old;
  uint32_t tb;
  // Not a free by the program (tm_untrack, realloc's old block): never
  // temporary.
  if (p && pair_remove(p, ptr, &old, &tb)) {
    tm_hist_on_free(tb, old, 0);
    tm_tt_current_sub(old, st);
  }
  if (!st)
    tm_spin_unlock(lock);
}

/* realloc without the reuse window (core.c, tm_core_realloc_begin). */
bool tm_trace_table_detach(uintptr_t ptr, tm_detached_t *d) {
  tm_tt_shard_t *sh = tm_tt_shard_of(ptr);
  tm_spin_lock(&sh->lock);
  uint64_t *v = tab_lookup(&sh->t.main, ptr);
  d->found = v != NULL;
  if (v) {
    d->tb = (uint32_t)(*v >> 32);
    d->generation = clear_generation;
    pair_remove(&sh->t, ptr, &d->size, &d->tb);
    tm_hist_on_free(d->tb, d->size, 0); // realloc: the old block goes
    tm_tt_current_sub(d->size, false);
  }
  tm_spin_unlock(&sh->lock);
  return d->found;
}

void tm_trace_table_restore(uintptr_t ptr, const tm_detached_t *d) {
  if (!d->found)
    return;
  tm_tt_shard_t *sh = tm_tt_shard_of(ptr);
  tm_spin_lock(&sh->lock);
  // A clear or stop since the detach forgot the traceback (and the trace).
  if (atomic_load_explicit(&tm_tracing, memory_order_acquire) &&
      d->generation == clear_generation)
    store_locked(&sh->t, ptr, d->size, d->tb, false, false);
  tm_spin_unlock(&sh->lock);
}

/* ---- Header blocks (trace_table.h, "Header mode") ---------------------- */

void *tm_core_hdr_alloc_slow(void *base, size_t size,
                             const struct tm_site *site, bool data,
                             void (*release)(void *)) {
  uintptr_t p = (uintptr_t)base + TM_HDR_SIZE;
  // Before the first header block exists (a leaf is made for it here).
  atomic_store_explicit(&tm_core_hdr_release, release, memory_order_relaxed);
  tm_reentrant++;
  _Atomic uint64_t *w = tm_hdr_word_make(p);
  tm_reentrant--;
  if (w)
    return tm_core_hdr_alloc_inline(base, size, site, data, release);
  // No leaf for it: a plain block, traced in the side table. It is 16
  // bytes larger than asked; only its data has to move (a realloc).
  if (data)
    __builtin_memmove(base, (char *)base + TM_HDR_SIZE, size);
  tm_core_on_alloc(base, size, site);
  return base;
}

void tm_core_hdr_detach(void *ptr, _Atomic uint64_t *w, tm_hdr_detached_t *d) {
  uintptr_t p = (uintptr_t)ptr;
  tm_hdr_t *h = (tm_hdr_t *)(p - TM_HDR_SIZE);
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_hdr_owner_t *o = tm_tt_hdr_begin(st, tm_thread_own);
  tm_tt_hdr_clear(w, tm_hdr_bit(p), st);
  d->traced = h->gen == tm_hdr_gen;
  if (d->traced) {
    o->count--;
    tm_hist_on_free(h->tb, h->size, 0); // realloc: the old block goes
    tm_tt_current_sub(h->size, st);
  }
  tm_tt_hdr_end(o, st);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
}

void tm_core_hdr_restore(void *ptr, const tm_hdr_detached_t *d) {
  uintptr_t p = (uintptr_t)ptr;
  tm_hdr_t *h = (tm_hdr_t *)(p - TM_HDR_SIZE);
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_hdr_owner_t *o = tm_tt_hdr_begin(st, tm_thread_own);
  tm_tt_hdr_set(tm_hdr_word(p), tm_hdr_bit(p), st);
  // A clear or stop since the detach changed the generation: the header's
  // is then an old one, and the block untraced, as CPython forgets it.
  if (d->traced && h->gen == tm_hdr_gen) {
    o->count++;
    tm_hist_unfree(h->tb, h->size);
    tm_tt_current_add(h->size, st);
  }
  tm_tt_hdr_end(o, st);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
}

/* ---- Whole-table operations (every lock held) -------------------------- */

void tm_trace_table_lock_all(void) {
  tm_spin_lock(&domains_lock);
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    tm_spin_lock(&tm_tt_shards[i].lock);
  // Every thread's header operations: no thread set up or torn down, new
  // operations stopped, the ones under way finished.
  tm_shadow_threads_lock();
  atomic_fetch_or_explicit(&tm_tt_hdr_stop, TM_TT_HDR_STOPPED,
                           memory_order_relaxed);
  hdr_heavy_barrier();
  tm_shadow_threads_wait_idle();
  hdr_shared_take();
  tm_hdr_lock(); // no leaf half made (fork)
}

void tm_trace_table_unlock_all(void) {
  tm_hdr_unlock();
  atomic_store_explicit(&tm_tt_hdr_shared.busy, 0, memory_order_release);
  atomic_fetch_and_explicit(&tm_tt_hdr_stop, ~TM_TT_HDR_STOPPED,
                            memory_order_release);
  tm_shadow_threads_unlock();
  for (unsigned i = TM_TRACE_SHARDS; i-- > 0;)
    tm_spin_unlock(&tm_tt_shards[i].lock);
  tm_spin_unlock(&domains_lock);
}

#ifdef TM_DEBUG
bool tm_trace_table_all_locked(void) {
  if (!tm_spin_held(&domains_lock) ||
      !atomic_load_explicit(&tm_tt_hdr_shared.busy, memory_order_relaxed) ||
      !tm_shadow_threads_locked() ||
      !(atomic_load_explicit(&tm_tt_hdr_stop, memory_order_relaxed) &
        TM_TT_HDR_STOPPED))
    return false;
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    if (!tm_spin_held(&tm_tt_shards[i].lock))
      return false;
  return true;
}
#endif

void tm_trace_table_reset_locks(void) {
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    tm_spin_reset(&tm_tt_shards[i].lock);
  tm_spin_reset(&domains_lock);
  // The threads lock: tm_shadow_atfork_child. The child's membarrier
  // registration is its own (a new mm): made again.
  atomic_store_explicit(&tm_tt_hdr_shared.busy, 0, memory_order_relaxed);
  tm_trace_table_init_barrier(); // also clears the stop bit
  tm_hdr_reset_lock();
}

static void pair_free(tm_tt_pair_t *p) {
  tab_free(&p->main);
  tab_free(&p->big);
}

void tm_trace_table_clear_locked(void) {
  TM_ASSERT(tm_trace_table_all_locked());
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    pair_free(&tm_tt_shards[i].t);
  tm_shadow_hdr_count_clear_locked();
  tm_tt_hdr_shared.count = 0;
  // Every header trace becomes one of an older generation: untraced. The
  // blocks stay header blocks (their bits stay) until the program frees
  // them. 0 means "never traced" and is skipped.
  if (++tm_hdr_gen == 0)
    tm_hdr_gen = 1;
  for (uint32_t i = 0; i < ndomains; i++)
    pair_free(&domains[i].t);
  tm_raw_free(domains);
  domains = NULL;
  ndomains = domains_cap = 0;
  tm_intern_reset();
  tm_hist_clear_locked();
  clear_generation++;
  atomic_store_explicit(&tm_traced_current, 0, memory_order_relaxed);
  atomic_store_explicit(&tm_traced_peak, 0, memory_order_relaxed);
  atomic_store_explicit(&dropped, 0, memory_order_relaxed);
}

static size_t pair_count(const tm_tt_pair_t *p) {
  return p->main.count + (p->main.has_zero ? 1 : 0);
}

size_t tm_trace_table_count_locked(void) {
  TM_ASSERT(tm_trace_table_all_locked());
  size_t n = tm_shadow_hdr_count_locked() + tm_tt_hdr_shared.count;
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    n += pair_count(&tm_tt_shards[i].t);
  for (uint32_t i = 0; i < ndomains; i++)
    n += pair_count(&domains[i].t);
  return n;
}

static int pair_foreach(tm_tt_pair_t *p, unsigned domain, tm_trace_fn fn,
                        void *arg) {
  int rc = 0;
  if (p->main.has_zero)
    rc = fn(arg, domain, pair_size(p, 0, p->main.zero_val),
            (uint32_t)(p->main.zero_val >> 32));
  for (uint32_t i = 0; !rc && i < p->main.cap; i++) {
    tm_tt_entry_t *e = &p->main.slots[i];
    if (e->key)
      rc = fn(arg, domain, pair_size(p, e->key, e->val),
              (uint32_t)(e->val >> 32));
  }
  return rc;
}

typedef struct hdr_walk {
  tm_trace_fn fn;
  void *arg;
} hdr_walk_t;

static int hdr_visit(void *arg, uintptr_t p, tm_hdr_t *h) {
  (void)p;
  hdr_walk_t *wk = arg;
  return h->gen == tm_hdr_gen ? wk->fn(wk->arg, 0, (size_t)h->size, h->tb) : 0;
}

int tm_trace_table_foreach_locked(tm_trace_fn fn, void *arg) {
  TM_ASSERT(tm_trace_table_all_locked());
  // Header blocks first, in address order (reading a header is safe: with
  // every lock held, every set bit is a live block), then the side tables.
  hdr_walk_t wk = {fn, arg};
  int rc = tm_hdr_maybe() ? tm_hdr_foreach(hdr_visit, &wk) : 0;
  for (unsigned i = 0; !rc && i < TM_TRACE_SHARDS; i++)
    rc = pair_foreach(&tm_tt_shards[i].t, 0, fn, arg);
  for (uint32_t i = 0; !rc && i < ndomains; i++)
    rc = pair_foreach(&domains[i].t, domains[i].domain, fn, arg);
  return rc;
}

/* ---- Validation (trace_table.h: tm_trace_table_validate) --------------- */

/* One table: count, free slot, reachability, shard of each key. `shard`:
 * the index of the shard it belongs to, or -1 for another domain's. *big
 * counts the entries marked "size in the big table" (main tables). */
static const char *tab_validate(const tm_tt_table_t *t, int shard,
                                uint32_t *big) {
  if (!t->slots)
    return t->cap || t->count ? "trace table: count or capacity without slots"
                              : NULL;
  if (t->max_count != tm_tt_max_count(t->cap))
    return "trace table: max_count is not 4/5 of the capacity";
  uint32_t occupied = 0;
  for (uint32_t i = 0; i < t->cap; i++) {
    uint64_t k = t->slots[i].key;
    if (!k)
      continue;
    occupied++;
    if ((uint32_t)t->slots[i].val == TM_TT_BIG_SIZE)
      ++*big;
    if (shard >= 0 && tm_tt_shard_of(k) != &tm_tt_shards[shard])
      return "trace table: a key in a shard it does not hash to";
    // Linear probing finds k only if no empty slot lies between its home
    // slot and its slot.
    for (uint32_t j = tm_tt_home(k, t->cap); j != i;
         j = j + 1 == t->cap ? 0 : j + 1)
      if (!t->slots[j].key)
        return "trace table: a key not found again from its home slot";
  }
  if (occupied != t->count)
    return "trace table: count differs from the occupied slots";
  if (occupied >= t->cap)
    return "trace table: no empty slot left (probing would not end)";
  return NULL;
}

/* One domain's pair: both tables, the big entries, and the sizes and ids of
 * its traces (added to *sum). */
static const char *pair_validate(const tm_tt_pair_t *p, int shard,
                                 uint32_t id_bound, size_t *sum) {
  uint32_t marked = 0, unused = 0;
  const char *err = tab_validate(&p->main, shard, &marked);
  if (!err)
    err = tab_validate(&p->big, shard, &unused);
  if (err)
    return err;
  if (p->main.has_zero && (uint32_t)p->main.zero_val == TM_TT_BIG_SIZE)
    marked++;
  if (marked != p->big.count + (p->big.has_zero ? 1u : 0u))
    return "trace table: big-size marks differ from the big table's entries";
  // Each big entry must belong to a marked main entry (then, the counts
  // being equal, each marked entry has its big entry).
  for (uint32_t i = 0; i < p->big.cap; i++) {
    uint64_t k = p->big.slots[i].key;
    if (!k)
      continue;
    uint64_t *v = tab_lookup((tm_tt_table_t *)&p->main, k);
    if (!v || (uint32_t)*v != TM_TT_BIG_SIZE)
      return "trace table: a big entry with no marked main entry";
    if (p->big.slots[i].val < TM_TT_BIG_SIZE)
      return "trace table: a big entry below 4 GiB - 1";
  }
  if (p->big.has_zero &&
      !(p->main.has_zero && (uint32_t)p->main.zero_val == TM_TT_BIG_SIZE))
    return "trace table: a big entry with no marked main entry";
  if (p->main.has_zero) {
    uint32_t id = (uint32_t)(p->main.zero_val >> 32);
    if (id == 0 || id >= id_bound)
      return "trace table: a traceback id the intern set never handed out";
    *sum += pair_size((tm_tt_pair_t *)p, 0, p->main.zero_val);
  }
  for (uint32_t i = 0; i < p->main.cap; i++) {
    const tm_tt_entry_t *e = &p->main.slots[i];
    if (!e->key)
      continue;
    uint32_t id = (uint32_t)(e->val >> 32);
    if (id == 0 || id >= id_bound)
      return "trace table: a traceback id the intern set never handed out";
    *sum += pair_size((tm_tt_pair_t *)p, e->key, e->val);
  }
  return NULL;
}

/* Header blocks: each traced header has a valid id, no header claims a
 * generation that has not begun, and the owners' counts add up to the
 * number of traced headers. */
typedef struct hdr_check {
  uint32_t id_bound;
  size_t sum;
  uint64_t count;
  const char *err;
} hdr_check_t;

static int hdr_check_one(void *arg, uintptr_t p, tm_hdr_t *h) {
  hdr_check_t *c = arg;
  if (h->gen != tm_hdr_gen) {
    // Older generations are numbered below the current one, modulo the
    // 2^32 wrap, which needs 4 billion clears.
    if (h->gen != 0 && h->gen > tm_hdr_gen)
      c->err = "trace table: a header from a generation not begun yet";
    return c->err != NULL;
  }
  if (h->tb == 0 || h->tb >= c->id_bound)
    c->err = "trace table: a header with a traceback id the intern set never "
             "handed out";
  (void)p;
  c->count++;
  c->sum += (size_t)h->size;
  return c->err != NULL;
}

const char *tm_trace_table_validate(void) {
  tm_reentrant++; // a signal handler's malloc must not wait for our locks
  tm_trace_table_lock_all();
  uint32_t id_bound = tm_intern_id_bound();
  size_t sum = 0;
  const char *err = NULL;
  hdr_check_t hc = {.id_bound = id_bound};
  if (tm_hdr_gen == 0)
    err = "trace table: header generation 0 (reserved: never traced)";
  if (!err && tm_hdr_maybe()) {
    tm_hdr_foreach(hdr_check_one, &hc);
    err = hc.err;
  }
  if (!err && hc.count != tm_shadow_hdr_count_locked() + tm_tt_hdr_shared.count)
    err = "trace table: the threads' header count differs from the traced "
          "header blocks";
  sum = hc.sum;
  for (int i = 0; !err && i < TM_TRACE_SHARDS; i++)
    err = pair_validate(&tm_tt_shards[i].t, i, id_bound, &sum);
  for (uint32_t i = 0; !err && i < ndomains; i++) {
    if (domains[i].domain == 0)
      err = "trace table: domain 0 among the other domains";
    for (uint32_t j = 0; !err && j < i; j++)
      if (domains[j].domain == domains[i].domain)
        err = "trace table: a domain with two tables";
    if (!err)
      err = pair_validate(&domains[i].t, -1, id_bound, &sum);
  }
  size_t current =
      atomic_load_explicit(&tm_traced_current, memory_order_relaxed);
  size_t peak = atomic_load_explicit(&tm_traced_peak, memory_order_relaxed);
  if (!err && ndomains > domains_cap)
    err = "trace table: more domains than room for them";
  if (!err && current != sum)
    err = "trace table: current differs from the sum of the traced sizes";
  if (!err && peak < current)
    err = "trace table: peak below current";
  tm_trace_table_unlock_all();
  tm_reentrant--;
  return err;
}

#ifdef TM_DEBUG
void tm_trace_table_debug_corrupt(tm_tt_corruption_t what, uintptr_t ptr,
                                  int64_t delta) {
  tm_trace_table_lock_all();
  if (what == TM_TT_CORRUPT_COUNT)
    tm_tt_shard_of(ptr)->t.main.count += (uint32_t)delta;
  else if (what == TM_TT_CORRUPT_HDR_COUNT)
    tm_shadow_hdr_count_debug_add_locked(delta);
  else
    atomic_fetch_add_explicit(&tm_traced_current, (size_t)delta,
                              memory_order_relaxed);
  tm_trace_table_unlock_all();
}
#endif
