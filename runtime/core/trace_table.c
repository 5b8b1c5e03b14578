/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table.c - adding and removing traces: the store of one trace under
 * its key's lock, tm_track/tm_untrack, realloc's detach and restore, and
 * the core hooks' slow paths (tm_core_on_alloc/free).
 *
 * This comment holds the design of the whole trace table, which is split by
 * concept: trace_table_internal.h (the inline operations on one table, on a
 * domain's pair of tables, and on a key's lock, shared by the files below),
 * trace_table_slots.c (a table's growth and release),
 * trace_table_counters.c (current, peak, dropped), trace_table_keys.c (the
 * shards, the other domains, a key's lock and lookup),
 * trace_table_blk_lock.c (the block-lock barrier),
 * trace_table_trailer_blocks.c (trailer blocks' slow paths),
 * trace_table_whole.c (lock_all, clear, count, foreach) and
 * trace_table_validate.c. The add/remove paths stay in this file with their
 * always_inline helpers, so the hot path makes no call across files.
 *
 * Trailer traces (trace_table.h, "Trailer mode"; block_trailer.h,
 * block_index.h) need no table: their fast paths are inline in
 * trace_table.h, the rest is in trace_table_trailer_blocks.c (realloc's
 * detach/restore), here (tm_track of a trailer block) and in
 * trace_table_whole.c (the walk). Their count is kept per thread
 * (shadow_stack.h, tm_blk_owner_t: under the thread's own lock) so that
 * counting traces stays O(threads); tm_clear_traces makes them all
 * untraced at once by clearing every bit. The side tables below are
 * unchanged.
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
 * other domains share one; trailer blocks are changed under the operating
 * thread's own lock (trace_table.h, "Trailer mode"). Every table change, and
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
#include "trace_table_internal.h"

#include <errno.h>
#include <stdatomic.h>

#include "internal.h"
#include "raw_alloc.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "tm_assert.h"
#include "traceback.h"

_Atomic int tm_trace_limit = 1;
uint64_t tm_tt_clear_generation; /* changed with every lock held */

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
 * tb 0 (the capture failed) or no table `p`: drop. -1 when tm_tt_dropped.
 * alloc: an allocation (history.h), else a detached trace put back. */
static inline __attribute__((always_inline)) int
store_locked(tm_tt_pair_t *p, uintptr_t ptr, size_t size, uint32_t tb, bool st,
             bool alloc) {
  if (TM_UNLIKELY(!p)) { // no table for a new domain: out of memory
    atomic_fetch_add_explicit(&tm_tt_dropped, 1, memory_order_relaxed);
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
    tm_tt_current_sub(old,
                      st); // replaced by the insert below, or tm_tt_dropped
  }
  if (tb && (v || big) && pair_insert(p, ptr, size, tb)) {
    hist_enter(tb, size, ptr, alloc);
    tm_tt_current_add(size, st);
    return 0;
  }
  atomic_fetch_add_explicit(&tm_tt_dropped, 1, memory_order_relaxed);
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

/* tm_track(0, p) / tm_untrack(0, p) of a trailer block: its trace is the
 * trailer (CPython: tracking an address again replaces its trace). A size
 * the trailer cannot record (not within TM_TRL_MAX_DELTA below the
 * trailer: block_trailer.h) moves the trace to the side table. Under the
 * key's shard lock (tm_trace_table_lock_key: a concurrent
 * get_object_traceback; the side table's lock for that move) and this
 * thread's own lock (the owner of the count). */
static int trl_track(uintptr_t ptr, size_t size, const struct tm_site *site,
                     bool add) {
  tm_spinlock_t *key_lock = lock_of(0, ptr);
  tm_reentrant++;
  tm_spin_lock(key_lock);
  tm_blk_owner_t *sh = tm_tt_blk_begin(false, tm_thread_own);
  int rc = -2;
  if (!add || atomic_load_explicit(&tm_tracing, memory_order_acquire)) {
    rc = 0;
    _Atomic uint64_t *w = tm_blk_word(ptr);
    size_t off = tm_trl_offset(ptr);
    tm_core_blk_forget_marked(sh, ptr, off, w, 0, false, NULL);
    if (add && tm_trl_delta_fits(off, size)) {
      unsigned limit =
          (unsigned)atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
      uint32_t tb = tm_intern_capture(site, limit);
      rc = -1;
      if (tb) {
        *(tm_trailer_t *)(ptr + off) = tm_trl_make(ptr, off, size, tb);
        tm_tt_blk_set(w, tm_blk_bit(ptr), false);
        sh->count++;
        tm_hist_on_alloc(tm_thread_self, tb, size, ptr);
        tm_tt_current_add(size, false);
        rc = 0;
      } else {
        atomic_fetch_add_explicit(&tm_tt_dropped, 1, memory_order_relaxed);
      }
    } else if (add) {
      rc = add_locked(pair_of_locked(0, ptr, true), ptr, size, site, false);
    }
  }
  tm_tt_blk_end(sh, false);
  tm_spin_unlock(key_lock);
  tm_reentrant--;
  return rc;
}

int tm_trace_table_add(unsigned domain, uintptr_t ptr, size_t size,
                       const struct tm_site *site) {
  if (domain == 0 && tm_blk_maybe() && tm_blk_is((void *)ptr))
    return trl_track(ptr, size, site, true);
  // Domain 0 only: the other tm_tt_domains' table list may be read by
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
  if (domain == 0 && tm_blk_maybe() && tm_blk_is((void *)ptr)) {
    trl_track(ptr, 0, NULL, false);
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
    d->generation = tm_tt_clear_generation;
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
      d->generation == tm_tt_clear_generation)
    store_locked(&sh->t, ptr, d->size, d->tb, false, false);
  tm_spin_unlock(&sh->lock);
}
