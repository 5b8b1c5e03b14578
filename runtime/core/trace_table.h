/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table.h - the traces: (domain, ptr) -> (size, traceback id), and the
 * current / peak / dropped counters.
 *
 * Domain 0 (every allocation the hooks see) has two stores. In trailer mode
 * (below, "Trailer mode") a traced block carries its trace in 8 bytes at
 * the end of glibc's usable size (block_trailer.h) and a bitmap
 * (block_index.h) says which blocks do;
 * every other block (aligned allocations, blocks from before tm_start,
 * processes where a free could bypass us) goes to the side table, sharded
 * by pointer hash into TM_TRACE_SHARDS tables, each with its own spinlock,
 * so that threads allocating at the same time rarely meet. The other domains
 * (tm_track) are tables created lazily under one lock. current and peak are
 * global atomics: exact under threads (see trace_table.c).
 *
 * Lock order: domains lock, shard 0 .. shard N-1, the threads lock
 * (shadow_stack.h, tm_shadow_threads_lock) and then every thread's
 * trailer-block operations stopped (tm_tt_blk_stop), the shared owner's
 * lock (tm_tt_blk_shared), the block index's leaf lock, then
 * the intern lock (traceback.c), then raw_alloc's locks, then the
 * shadow-stack registry lock (a leaf).
 */
#ifndef TM_TRACE_TABLE_H
#define TM_TRACE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block_index.h"
#include "block_trailer.h"
#include "history.h"
#include "internal.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "timeline.h"
#include "tm_assert.h"
#include "traceback.h"
#include "tracemalloc_abi.h"

#define TM_TRACE_SHARDS 128

/* The traceback limit of the current tracing session (read under a table
 * lock; changed only by tm_start while not tracing). */
TM_HIDDEN extern _Atomic int tm_trace_limit;

/* Record (domain, ptr) with `size` and the traceback of an allocation made
 * now at `site` (NULL: attributed to the shadow stack). An existing trace is
 * replaced. 0 on success, -1 if the trace was dropped (runtime out of memory;
 * no trace is left at that key), -2 when not tracing. */
int tm_trace_table_add(unsigned domain, uintptr_t ptr, size_t size,
                       const struct tm_site *site);

/* A domain-0 trace taken out of the table, to be put back unchanged
 * (tm_core_realloc_begin / _end). */
typedef struct tm_detached {
  bool found;
  uint32_t tb;
  size_t size;
  uint64_t generation;
} tm_detached_t;
bool tm_trace_table_detach(uintptr_t ptr, tm_detached_t *d);
/* Put it back unless tracing stopped or the traces were cleared since. */
void tm_trace_table_restore(uintptr_t ptr, const tm_detached_t *d);

/* Forget (domain, ptr) if traced. */
void tm_trace_table_remove(unsigned domain, uintptr_t ptr);

/* Look up a trace; false if absent. The traceback id stays valid while the
 * lock of that key is held (tm_trace_table_lock_key). */
bool tm_trace_table_find_locked(unsigned domain, uintptr_t ptr, size_t *size,
                                uint32_t *tb);
void tm_trace_table_lock_key(unsigned domain, uintptr_t ptr);
void tm_trace_table_unlock_key(unsigned domain, uintptr_t ptr);

/* Register the process for membarrier (trace_table.h, "Trailer mode": the
 * threads' own locks); at start, before tracing, and in a fork child. */
void tm_trace_table_init_barrier(void);

/* Every lock, in order (snapshots, clear, fork). */
void tm_trace_table_lock_all(void);
void tm_trace_table_unlock_all(void);
/* fork child: reset every lock instead of unlocking. */
void tm_trace_table_reset_locks(void);
/* Does this thread hold every lock? For TM_ASSERT: defined in TM_DEBUG
 * builds only (release builds do not know who holds a lock). */
bool tm_trace_table_all_locked(void);

/* With every lock held: drop every trace of every domain, every interned
 * traceback; current = peak = dropped = 0. */
void tm_trace_table_clear_locked(void);

/* With every lock held: number of traces, and a walk over them (domain 0
 * first, then the other domains in creation order). fn returns non-zero to
 * stop; the walk returns that value. */
size_t tm_trace_table_count_locked(void);
typedef int (*tm_trace_fn)(void *arg, unsigned domain, size_t size,
                           uint32_t tb);
int tm_trace_table_foreach_locked(tm_trace_fn fn, void *arg);

/* Check the table's invariants; takes every lock (call with none held, and
 * not from inside the runtime). NULL when they hold, else what is broken:
 *  - in each table (every shard, every other domain): the count equals the
 *    occupied slots, one slot at least stays empty, every key is found
 *    again from its home slot (no hole in its probe run) and, in a shard,
 *    hashes to that shard; each main entry marked "size in the big table"
 *    has exactly one big entry of at least 4 GiB - 1, and no other;
 *  - every entry's traceback id is one the intern set handed out;
 *  - current equals the sum of the traced sizes (all domains: current is
 *    one counter for all of them), and peak is at least current.
 *  - trailer blocks: every traced trailer passes its check and has an id
 *    the intern set handed out; the counts of every owner (thread) add up
 *    to the number of traced trailer blocks; their sizes count in current
 *    like the side tables' (a bit without a live block cannot be told from
 *    the outside: reading it would be a read of freed memory, so frees
 *    clear the bit first, under the lock);
 * Exact at any time: every change of a table and of current happens under
 * the key's lock (a trailer block's: the operating thread's), or on the only
 * thread, so with every lock held none is half done. For the unit tests. */
const char *tm_trace_table_validate(void);

#ifdef TM_DEBUG
/* Debug-only hooks that break one invariant on purpose, so that a test can
 * check tm_trace_table_validate sees it. Each adds `delta` (wrapping) to
 * one counter: */
typedef enum tm_tt_corruption {
  TM_TT_CORRUPT_COUNT,     /* the count of the shard table of `ptr` */
  TM_TT_CORRUPT_CURRENT,   /* current */
  TM_TT_CORRUPT_BLK_COUNT, /* the trailer count of this thread */
} tm_tt_corruption_t;
void tm_trace_table_debug_corrupt(tm_tt_corruption_t what, uintptr_t ptr,
                                  int64_t delta);
#endif

/* Counters. */
void tm_trace_table_traced_memory(size_t *current, size_t *peak);
void tm_trace_table_reset_peak(void);
uint64_t tm_trace_table_dropped(void);
/* A trace that could not even be attempted (hooks side) counts too. */
void tm_trace_table_count_drop(void);

/* ---- The hot path, inlined into the hooks ------------------------------ */
/*
 * tm_core_on_alloc / tm_core_on_free (internal.h) are a fast path and a slow
 * path. The fast paths are here, static inline, so that the __tm_* hooks
 * (hooks_c.c) record a block with no call of their own beyond the real
 * allocator: the common allocation (a traceback cached by this thread,
 * tm_intern_cached; a new key of less than 4 GiB at a non-zero address;
 * a table with room) is one probe and one store, and the common free is one
 * lookup and a backward-shift erase. A fast path changes nothing until it
 * knows it can finish; anything else calls the slow path, which does the
 * whole job from scratch (trace_table.c).
 *
 * Layout of a domain-0 shard (trace_table.c has the design): a table maps
 * a pointer to a 16-byte entry {ptr, tb id:32 | size:32}, open addressing,
 * linear probing, backward-shift deletion; home slot = high half of
 * (hash << 7) * cap; the top 7 bits of the hash pick the shard.
 */

typedef struct tm_tt_entry {
  uint64_t key;
  uint64_t val; /* main: tb << 32 | size32; big: the size */
} tm_tt_entry_t;

typedef struct tm_tt_table {
  tm_tt_entry_t *slots;
  uint32_t cap;
  uint32_t count;
  uint32_t max_count; /* cap * 4 / 5: the most entries before growing */
  bool mapped;        /* slots from tm_raw_map (else tm_raw_alloc) */
  bool has_zero;
  uint64_t zero_val;
} tm_tt_table_t;

typedef struct tm_tt_pair {
  tm_tt_table_t main;
  tm_tt_table_t big;
} tm_tt_pair_t;

typedef struct tm_tt_shard {
  tm_spinlock_t lock;
  tm_tt_pair_t t;
} __attribute__((aligned(64))) tm_tt_shard_t;

#define TM_TT_BIG_SIZE UINT32_MAX
#define TM_TT_SHARD_BITS 7
_Static_assert((1u << TM_TT_SHARD_BITS) == TM_TRACE_SHARDS, "shards");

/* Hidden: reached PC-relative, not through the GOT, from libtracemalloc.so
 * too. */
TM_HIDDEN extern tm_tt_shard_t tm_tt_shards[TM_TRACE_SHARDS];
TM_HIDDEN extern _Atomic size_t tm_traced_current;
TM_HIDDEN extern _Atomic size_t tm_traced_peak;

TM_HIDDEN void tm_core_on_alloc_slow(uintptr_t ptr, size_t size,
                                     const struct tm_site *site);
TM_HIDDEN void tm_core_on_free_slow(uintptr_t ptr);
/* Set up this thread's runtime state (and flush what its signal handlers
 * queued); returns tm_thread_self, NULL if that failed. */
TM_HIDDEN tm_thread_t *tm_core_thread_init_slow(void);

static inline uint32_t tm_tt_max_count(uint32_t cap) {
  return (uint32_t)((uint64_t)cap * 4 / 5);
}

/* Fibonacci hashing: one multiply (the allocation path is latency-bound).
 * Pointers are aligned and clustered; the high bits of k * phi spread both
 * arithmetic progressions and allocator layouts well. The top bits pick the
 * shard, the bits below them the home slot. */
static inline uint64_t tm_tt_hash(uint64_t k) {
  return k * 0x9e3779b97f4a7c15ull;
}

static inline uint32_t tm_tt_home(uint64_t key, uint32_t cap) {
  uint64_t h = tm_tt_hash(key) << TM_TT_SHARD_BITS;
  return (uint32_t)(((unsigned __int128)h * cap) >> 64);
}

static inline tm_tt_shard_t *tm_tt_shard_of(uintptr_t ptr) {
  return &tm_tt_shards[tm_tt_hash(ptr) >> (64 - TM_TT_SHARD_BITS)];
}

/* Backward-shift deletion of the entry in slot i of t. */
static inline __attribute__((always_inline)) void
tm_tt_erase_at(tm_tt_table_t *t, uint32_t i) {
  TM_ASSERT(i < t->cap && t->count > 0 && t->slots[i].key != 0);
  tm_tt_entry_t *s = t->slots;
  uint32_t cap = t->cap;
  for (uint32_t j = i;;) {
    j = j + 1 == cap ? 0 : j + 1;
    uint64_t kj = s[j].key;
    if (!kj)
      break;
    uint32_t k = tm_tt_home(kj, cap);
    // s[j] may fill the hole at i unless its home lies in (i, j].
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      s[i] = s[j];
      i = j;
    }
  }
  s[i].key = 0;
  s[i].val = 0;
  t->count--;
}

/* Counters (trace_table.c's top comment: exactness of current and peak).
 * True if this raised the peak. */
static inline bool tm_tt_peak_update(size_t post) {
  size_t peak = atomic_load_explicit(&tm_traced_peak, memory_order_relaxed);
  while (post > peak) {
    if (atomic_compare_exchange_weak_explicit(&tm_traced_peak, &peak, post,
                                              memory_order_relaxed,
                                              memory_order_relaxed)) {
      tm_hist_peak_reached(false);
      return true;
    }
  }
  // Reached again without rising: the live set at the peak is now this
  // one too (history.h); the timeline's peak point stays the first.
  if (post == peak)
    tm_hist_peak_reached(false);
  return false;
}

/* current += delta (delta may "wrap": a decrease); peak follows. `st`:
 * single-threaded, no read-modify-write needed. One allocation (a new trace
 * or a replacement) for the timeline. */
static inline __attribute__((always_inline)) void
tm_tt_current_add(size_t delta, bool st) {
  size_t post;
  bool raised;
  if (st) {
    post =
        atomic_load_explicit(&tm_traced_current, memory_order_relaxed) + delta;
    atomic_store_explicit(&tm_traced_current, post, memory_order_relaxed);
    size_t peak = atomic_load_explicit(&tm_traced_peak, memory_order_relaxed);
    raised = post > peak;
    if (post >= peak) { // reached: the live set at the peak (history.h)
      atomic_store_explicit(&tm_traced_peak, post, memory_order_relaxed);
      tm_hist_peak_reached(true);
    }
  } else {
    post = atomic_fetch_add_explicit(&tm_traced_current, delta,
                                     memory_order_relaxed) +
           delta;
    raised = tm_tt_peak_update(post);
  }
  tm_timeline_note(true, raised, post);
}

static inline __attribute__((always_inline)) void tm_tt_current_sub(size_t size,
                                                                    bool st) {
  // current is the sum of the traced sizes, `size` among them: it cannot
  // go below zero (wrap).
  if (st) {
    size_t pre = atomic_load_explicit(&tm_traced_current, memory_order_relaxed);
    TM_ASSERT(pre >= size);
    atomic_store_explicit(&tm_traced_current, pre - size, memory_order_relaxed);
  } else {
    size_t pre = atomic_fetch_sub_explicit(&tm_traced_current, size,
                                           memory_order_relaxed);
    TM_ASSERT(pre >= size);
  }
  tm_timeline_note(false, false, 0);
}

/* tm_core_on_alloc for a caller that has just seen tm_tracing set (it is
 * re-checked under the shard lock). */
static inline __attribute__((always_inline)) void
tm_core_on_alloc_inline(void *p, size_t size, const struct tm_site *site) {
  if (__builtin_expect(tm_reentrant != 0, 0)) {
    tm_core_defer((uintptr_t)p, size, site, false);
    return;
  }
  uintptr_t ptr = (uintptr_t)p;
  tm_thread_t *t = tm_thread_self;
  // The limit changes only while not tracing (tm_start); the fast path
  // serves limit 1 (tm_intern_cached checks it again).
  unsigned limit =
      (unsigned)atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
  if (__builtin_expect(
          t == NULL || limit != 1 || size >= TM_TT_BIG_SIZE || ptr == 0, 0)) {
    tm_core_on_alloc_slow(ptr, size, site);
    return;
  }
  tm_reentrant++;
  // A signal handler on this thread must see tm_reentrant raised before
  // any table change (the single-threaded path has no lock to order it).
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_tt_shard_t *sh = tm_tt_shard_of(ptr);
  if (!st)
    tm_spin_lock(&sh->lock);
  // Re-checked under the lock: tm_stop clears with every lock held.
  if (__builtin_expect(
          atomic_load_explicit(&tm_tracing, memory_order_acquire) != 0, 1)) {
    uint32_t tb = tm_intern_cached(site, limit, t);
    tm_tt_table_t *tab = &sh->t.main;
    if (__builtin_expect(tb != 0 && tab->count < tab->max_count, 1)) {
      tm_tt_entry_t *slots = tab->slots;
      uint32_t cap = tab->cap;
      uint32_t i = tm_tt_home(ptr, cap);
      for (;;) {
        uint64_t k = slots[i].key;
        if (!k) {
          slots[i].key = ptr;
          slots[i].val = (uint64_t)tb << 32 | size;
          tab->count++;
          tm_hist_on_alloc(t, tb, size, ptr);
          tm_tt_current_add(size, st);
          if (!st)
            tm_spin_unlock(&sh->lock);
          atomic_signal_fence(memory_order_seq_cst);
          tm_reentrant--;
          return;
        }
        if (k == ptr)
          break; // a replacement: the slow path
        i = i + 1 == cap ? 0 : i + 1;
      }
    }
  }
  if (!st)
    tm_spin_unlock(&sh->lock);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
  tm_core_on_alloc_slow(ptr, size, site);
}

/* tm_core_on_free for a caller that has just seen tm_tracing set. */
static inline __attribute__((always_inline)) void
tm_core_on_free_inline(void *p) {
  if (__builtin_expect(tm_reentrant != 0 || p == NULL, 0)) {
    tm_core_defer_free(p);
    return;
  }
  uintptr_t ptr = (uintptr_t)p;
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_tt_shard_t *sh = tm_tt_shard_of(ptr);
  if (!st)
    tm_spin_lock(&sh->lock);
  tm_tt_table_t *tab = &sh->t.main;
  bool slow = false;
  if (tab->count) {
    tm_tt_entry_t *slots = tab->slots;
    uint32_t cap = tab->cap;
    for (uint32_t i = tm_tt_home(ptr, cap);; i = i + 1 == cap ? 0 : i + 1) {
      uint64_t k = slots[i].key;
      if (k == ptr) {
        uint32_t size = (uint32_t)slots[i].val;
        if (__builtin_expect(size == TM_TT_BIG_SIZE, 0)) {
          slow = true; // the size is in the big table
          break;
        }
        tm_hist_on_free((uint32_t)(slots[i].val >> 32), size, ptr);
        tm_tt_erase_at(tab, i);
        tm_tt_current_sub(size, st);
        break;
      }
      if (!k)
        break;
    }
  }
  if (!st)
    tm_spin_unlock(&sh->lock);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
  if (__builtin_expect(slow, 0))
    tm_core_on_free_slow(ptr);
}

/* ---- Trailer mode --------------------------------------------------------
 *
 * When every free of a block is sure to reach the runtime and the real
 * allocator is glibc's (the hooks decide: runtime/hooks/hooks.h,
 * tm_hooks_trailer_mode), malloc(n) while tracing asks glibc for n + 8
 * bytes and hands the program glibc's pointer p; the trace {size, tb}
 * lives in the last 8 bytes of p's usable size (block_trailer.h) and the
 * bit of p in the block index (block_index.h) says so: the bit is set
 * exactly while p is traced. free(p) reads glibc's chunk header (the 8
 * bytes before p, which glibc's free reads anyway) and the trailer, so a
 * traced lifetime adds no cache miss that grows with the live set: the
 * only other memory touched is the bitmap word (1/128 of the heap, laid out
 * like it), the thread's own lock and the counters. tm_clear_traces and
 * tm_stop clear every bit, which forgets every trailer trace at once; the
 * blocks stay glibc's, freed by any free.
 *
 * Lock: a lock of the thread that operates (its blk_owner, shadow_stack.h),
 * which no other thread takes on the hot path, so it is never contended
 * and its line never leaves the thread's core; snapshots, clear and fork
 * stop every thread's operations (and take the shared owner's lock), so
 * they see no operation half done. Two threads never operate on one block
 * at the same time (the program orders a block's free after its malloc),
 * so a lock per block is not needed; what two threads can share is a
 * bitmap word (1 KiB of address space), which is updated with an atomic
 * fetch_or / fetch_and. The count of trailer traces is per owner (snapshots
 * sum it). A thread without state (before its setup, or while it exits)
 * uses the shared owner, whose busy word is a spinlock. Single-threaded
 * processes take no lock and update the word with a plain load and store
 * (trace_table.c's top comment: the same argument holds).
 *
 * The thread's lock has no atomic read-modify-write (the word's and
 * current's are two already): an asymmetric Dekker. The thread sets its
 * busy mark with a plain store, then reads tm_tt_blk_stop; whoever stops
 * every operation (lock_all) sets tm_tt_blk_stop, then makes every running
 * thread of the process execute a full barrier (membarrier's private
 * expedited command, registered at start), then waits for
 * each busy mark to clear. Either the thread's mark is visible to the
 * waiter after that barrier, or the thread's later read sees the stop and
 * it clears its mark and waits (tm_tt_blk_wait). Without membarrier both
 * sides use a sequentially consistent fence (the classic Dekker), which
 * costs the thread what a lock would. */

/* The owner of threads without state (trace_table.c). Its busy word is a
 * spinlock (exchange to take it), since several threads may use it; it is
 * released like a thread's mark, with a release store of 0, so that
 * tm_tt_blk_end needs no test of which owner it ends. */
TM_HIDDEN extern tm_blk_owner_t tm_tt_blk_shared;
/* tm_tt_blk_stop: TM_TT_BLK_STOPPED while lock_all stops block operations;
 * TM_TT_BLK_FENCE, set for the whole run, when membarrier is not available
 * (then every operation takes tm_tt_blk_wait, which does the full fence the
 * classic Dekker needs). Both in one word so that the hot path reads and
 * tests one flag. */
#define TM_TT_BLK_STOPPED 1
#define TM_TT_BLK_FENCE 2
TM_HIDDEN extern _Atomic int tm_tt_blk_stop;
/* tm_tt_blk_stop was non-zero after o's mark was set: fence if needed;
 * while stopped, clear the mark, wait for the end of the stop, mark again. */
TM_HIDDEN TM_COLD_CALL void tm_tt_blk_wait(tm_blk_owner_t *o);
/* Take the shared owner (a thread without state). */
TM_HIDDEN TM_COLD_CALL tm_blk_owner_t *tm_tt_blk_shared_lock(void);

/* Begin a trailer-block operation of thread t (its state, NULL if it has
 * none; linked in the thread registry while non-NULL: tm_thread_self or
 * tm_thread_own): the owner to count in, locked unless `st`
 * (single-threaded: no lock is taken, so any owner will do, and the shared
 * one, at a fixed address, saves the TLS load and a branch). End it with
 * tm_tt_blk_end. */
static inline __attribute__((always_inline)) tm_blk_owner_t *
tm_tt_blk_begin(bool st, tm_thread_t *t) {
  if (st)
    return &tm_tt_blk_shared;
  if (__builtin_expect(t == NULL, 0))
    return tm_tt_blk_shared_lock();
  tm_blk_owner_t *o = &t->blk_owner;
  atomic_store_explicit(&o->busy, 1, memory_order_relaxed);
  // Only a compiler fence: with membarrier, lock_all's barrier orders the
  // mark before this read (the comment above); without it the flag's
  // TM_TT_BLK_FENCE sends every operation to tm_tt_blk_wait's full fence.
  atomic_signal_fence(memory_order_seq_cst);
  if (__builtin_expect(
          atomic_load_explicit(&tm_tt_blk_stop, memory_order_acquire) != 0, 0))
    tm_tt_blk_wait(o);
  return o;
}

static inline __attribute__((always_inline)) void
tm_tt_blk_end(tm_blk_owner_t *o, bool st) {
  if (!st)
    atomic_store_explicit(&o->busy, 0, memory_order_release);
}

/* Set / clear the bit `bit` in *w: a plain load and store when `st` (no
 * other thread exists), else an atomic read-modify-write (another thread
 * may change another bit of the word at the same time). The clear returns
 * whether the bit was set: a clear of every bit (tm_clear_traces) between
 * the caller's lock-free test and its lock has untraced the block. */
static inline __attribute__((always_inline)) void
tm_tt_blk_set(_Atomic uint64_t *w, uint64_t bit, bool st) {
  if (st)
    atomic_store_explicit(w,
                          atomic_load_explicit(w, memory_order_relaxed) | bit,
                          memory_order_relaxed);
  else
    atomic_fetch_or_explicit(w, bit, memory_order_relaxed);
}

static inline __attribute__((always_inline)) bool
tm_tt_blk_test_clear(_Atomic uint64_t *w, uint64_t bit, bool st) {
  if (st) {
    uint64_t v = atomic_load_explicit(w, memory_order_relaxed);
    atomic_store_explicit(w, v & ~bit, memory_order_relaxed);
    return (v & bit) != 0;
  }
  return (atomic_fetch_and_explicit(w, ~bit, memory_order_relaxed) & bit) != 0;
}

/* Is the runtime busy on this thread (a signal handler interrupted it):
 * then the tables and the bitmap cannot be touched. The ignore bracket
 * alone (the runtime's own call into libc) is not busy. */
static inline bool tm_core_busy(void) {
  return (tm_reentrant & (TM_REENTRANT_IGNORE - 1)) != 0;
}

/* The trailer block could not be made here (no leaf: out of runtime memory,
 * or an address beyond 2^48; or a chunk glibc mapped on its own, whose size
 * a trailer cannot record): trace_table_trailer_blocks.c makes the leaf, or
 * traces the block in the side table. */
TM_HIDDEN void *tm_core_blk_alloc_slow(void *p, size_t size,
                                       const struct tm_site *site,
                                       void (*release)(void *));

/* A trailer that failed its check (block_trailer.h: the program wrote past
 * the end of block p): count it out with an estimated size, tell the
 * program once. Inside the operation's busy mark. */
TM_HIDDEN TM_COLD_CALL void tm_core_trl_overwritten(uintptr_t p, size_t off,
                                                    bool st);

/* `p` came from glibc with at least size + 8 bytes (size <=
 * TM_TRL_MAX_SIZE). Trace it if tracing (with the traceback of `site`):
 * its trailer, its bit (an mmapped chunk: the side table). Returns p.
 * `release`: the real free, for deferred frees (tm_core_blk_release). Call with
 * the runtime not busy on this thread. */
static inline __attribute__((always_inline)) void *
tm_core_blk_alloc_inline(void *ptr, size_t size, const struct tm_site *site,
                         void (*release)(void *)) {
  uintptr_t p = (uintptr_t)ptr;
  _Atomic uint64_t *w = tm_blk_word(p);
  uint64_t cw = tm_trl_chunk_word(p);
  if (__builtin_expect(w == NULL || (cw & TM_TRL_GLIBC_MMAPPED), 0))
    return tm_core_blk_alloc_slow(ptr, size, site, release);
  tm_thread_t *t = tm_thread_self;
  if (__builtin_expect(t == NULL, 0))
    t = tm_core_thread_init_slow();
  unsigned limit =
      (unsigned)atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_blk_owner_t *o = tm_tt_blk_begin(st, t);
  // Re-checked under the lock: tm_stop clears with every lock held.
  if (__builtin_expect(
          atomic_load_explicit(&tm_tracing, memory_order_acquire) != 0, 1)) {
    uint32_t tb = t && limit == 1 ? tm_intern_cached(site, limit, t) : 0;
    if (!tb)
      tb = tm_intern_capture(site, limit);
    if (__builtin_expect(tb != 0, 1)) {
      size_t off = tm_trl_offset_of(cw);
      *(tm_trailer_t *)(p + off) = tm_trl_make(p, off, size, tb);
      o->count++;
      tm_hist_on_alloc(t, tb, size, p);
      tm_tt_current_add(size, st);
      tm_tt_blk_set(w, tm_blk_bit(p), st);
    } else {
      tm_trace_table_count_drop();
    }
  }
  tm_tt_blk_end(o, st);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
  return ptr;
}

/* The real free of a trailer block, for frees that were deferred (set by
 * the hooks with the first trailer block: the core does not call the
 * allocator itself). */
TM_HIDDEN extern void (*_Atomic tm_core_blk_release)(void *p);
/* Queue the free of trailer block p (a signal handler's, while the runtime
 * is busy on this thread): the flush forgets it and releases it. false if
 * the queue is full. */
TM_HIDDEN TM_COLD_CALL bool tm_core_defer_blk_free(void *p);

/* Changed with every lock held (clear): a realloc's detached trace from
 * before a clear is not put back. trace_table.c. */
TM_HIDDEN extern uint64_t tm_tt_clear_generation;

/* realloc of a trailer block: take it out before the real realloc may free
 * it (bit cleared, trace counted out), put it back if that fails. */
typedef struct tm_blk_detached {
  bool traced;
  uint32_t tb;
  size_t size;
  uint64_t generation; /* tm_tt_clear_generation at the detach */
} tm_blk_detached_t;

/* Under owner o's mark (tm_tt_blk_begin): if p's bit in word w is set,
 * clear it and count p's trace out: the owner's count, the history (with
 * `hist_ptr` as the freed address) and current. A broken seal is counted
 * out as tm_core_trl_overwritten says, and p is then not traced. `off` is
 * p's tm_trl_offset. `d`, if not NULL, gets the trace and the clear
 * generation (realloc's detach: its restore needs them), read under the
 * mark. True if p was traced with an intact seal. The one body of the
 * free, realloc's detach and tm_track's replacement of a trailer trace. */
static inline __attribute__((always_inline)) bool
tm_core_blk_forget_marked(tm_blk_owner_t *o, uintptr_t p, size_t off,
                          _Atomic uint64_t *w, uintptr_t hist_ptr, bool st,
                          tm_blk_detached_t *d) {
  if (!tm_tt_blk_test_clear(w, tm_blk_bit(p), st))
    return false;
  size_t size;
  uint32_t tb;
  o->count--;
  if (__builtin_expect(!tm_trl_read(p, off, &size, &tb), 0)) {
    tm_core_trl_overwritten(p, off, st);
    return false;
  }
  tm_hist_on_free(tb, size, hist_ptr);
  tm_tt_current_sub(size, st);
  if (d) {
    d->tb = tb;
    d->size = size;
    d->generation = tm_tt_clear_generation;
  }
  return true;
}

/* p had its bit set in word w (tm_blk_block_word): forget its trace, if it
 * is still traced (a clear since the lock-free test clears the bit).
 * `hist_ptr` is what the history hears as the freed address: p for a free
 * by the program, 0 for realloc's detach (the old block goes, never a
 * temporary). `d` as for tm_core_blk_forget_marked. True if the block was
 * traced. Inlined into the free and realloc's detach (issue 16): a call
 * would add its prologue to every free. */
static inline __attribute__((always_inline)) bool
tm_core_blk_forget_as(uintptr_t p, _Atomic uint64_t *w, uintptr_t hist_ptr,
                      tm_blk_detached_t *d) {
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_blk_owner_t *o = tm_tt_blk_begin(st, tm_thread_own);
  bool traced =
      tm_core_blk_forget_marked(o, p, tm_trl_offset(p), w, hist_ptr, st, d);
  tm_tt_blk_end(o, st);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
  return traced;
}

/* p is a trailer block, w its word (tm_blk_block_word): forget it. NULL if
 * the runtime is busy on this thread (a signal handler's free while a table
 * operation was interrupted): then the free is queued and done by the flush
 * (tm_core_defer_blk_free); with the queue full, the block is left
 * allocated and traced, as a free lost from a full queue is
 * (docs/semantics.md). Else p, for the real free. */
static inline __attribute__((always_inline)) void *
tm_core_blk_free_inline(void *ptr, _Atomic uint64_t *w) {
  if (__builtin_expect(tm_core_busy(), 0)) {
    tm_core_defer_blk_free(ptr);
    return NULL;
  }
  tm_core_blk_forget_as((uintptr_t)ptr, w, (uintptr_t)ptr, NULL);
  return ptr;
}

/* w: p's word (tm_blk_block_word). */
TM_HIDDEN void tm_core_blk_detach(void *p, _Atomic uint64_t *w,
                                  tm_blk_detached_t *d);
TM_HIDDEN void tm_core_blk_restore(void *p, const tm_blk_detached_t *d);

#endif /* TM_TRACE_TABLE_H */
