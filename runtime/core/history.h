/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* history.h - allocation history per traceback (calls, bytes allocated,
 * frees, temporary allocations) and the live set at the global peak.
 *
 * Keyed by the interned traceback id (traceback.h), whatever the id names:
 * a traceback's counters are those of the id the trace table stores.
 *
 * Per-thread blocks. Counters that every thread bumps must not bounce one
 * cache line between threads, so each thread (each tm_thread_t) owns a
 * block of counter entries, one 64-byte entry per id, in pages of 64 ids
 * made as the thread first meets an id. Only the owning thread writes its
 * block, always inside a trace-table operation (under the key's lock, or
 * on the only thread: trace_table.c), so whoever holds every trace-table
 * lock (snapshots, clear, fork) sees no update half done and sums the
 * blocks. A free by another thread than the allocating one counts in the
 * freeing thread's block: an entry's live values (allocated - freed,
 * calls - frees) may "wrap" below zero there; only the sum over the
 * blocks means anything, and it is exact. A thread that exits leaves its
 * block, counters included, to the next new thread (the sum is unchanged),
 * so blocks are bounded by the most threads alive at once. A thread with
 * no state (exiting, or whose setup failed) counts in a shared block under
 * hist_lock (history.c).
 *
 * The peak. tm_hist_version is bumped each time current reaches the peak
 * (tm_tt_current_add) or the peak is reset. Before an entry changes, if
 * its version is not the global one, the peak moved since it last changed,
 * so its value at the latest peak is its live value now: copied into
 * peak_bytes / peak_count, and the version taken (tm_hist_sync). At query
 * time an entry whose version differs takes its live value. So the peak
 * costs one compare per operation and nothing when it moves; a program
 * whose memory rises steadily pays one increment of the version per new
 * peak. docs/semantics.md says what is exact under threads.
 */
#ifndef TM_HISTORY_H
#define TM_HISTORY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shadow_stack.h"
#include "visibility.h"

typedef struct tm_hist_entry {
  uint64_t calls, allocated; /* allocations of this id, their bytes */
  uint64_t frees, freed;     /* frees of blocks of this id, their bytes */
  uint64_t temporary;        /* frees that were temporary (history.h) */
  /* allocated - freed and calls - frees at the latest peak, valid while
   * version == tm_hist_version */
  uint64_t peak_bytes, peak_count;
  uint64_t version;
} tm_hist_entry_t;
_Static_assert(sizeof(tm_hist_entry_t) == 64, "one cache line per entry");

#define TM_HIST_PAGE_SHIFT 6
#define TM_HIST_PAGE (1u << TM_HIST_PAGE_SHIFT)

typedef struct tm_hist_block {
  tm_hist_entry_t **dir; /* dir[i]: the entries of ids [64 i, 64 i + 64) */
  uint32_t ndir;
  bool owned; /* a thread uses it (else it waits for the next new thread) */
  /* The shared block's last traced allocation (a thread keeps its own in
   * tm_thread_t.hist_last): a free of it before the thread allocates
   * anything else is temporary (heaptrack's sense). */
  uintptr_t last_alloc;
  struct tm_hist_block *next; /* every block ever made (under hist_lock) */
} tm_hist_block_t;

/* Never 0 (a zeroed entry has version 0: "take the live value"). */
TM_HIDDEN extern _Atomic uint64_t tm_hist_version;

/* The slow paths do the whole update (block, page, or the shared block). */
TM_HIDDEN void tm_hist_alloc_slow(uint32_t tb, size_t size, uintptr_t ptr);
TM_HIDDEN void tm_hist_free_slow(uint32_t tb, size_t size, uintptr_t ptr);

/* The entry of id tb in t's block if its page exists, else NULL (also
 * when t has no block yet: hist_ndir is 0). */
static inline tm_hist_entry_t *tm_hist_lookup(const tm_thread_t *t,
                                              uint32_t tb) {
  uint32_t i = tb >> TM_HIST_PAGE_SHIFT;
  tm_hist_entry_t *pg;
  if (__builtin_expect(i < t->hist_ndir && (pg = t->hist_dir[i]) != NULL, 1))
    return &pg[tb & (TM_HIST_PAGE - 1)];
  return NULL;
}

/* Before any change of e: keep its value at the latest peak. */
static inline void tm_hist_sync(tm_hist_entry_t *e) {
  uint64_t v = atomic_load_explicit(&tm_hist_version, memory_order_relaxed);
  if (__builtin_expect(e->version != v, 0)) {
    e->peak_bytes = e->allocated - e->freed;
    e->peak_count = e->calls - e->frees;
    e->version = v;
  }
}

/* A traced allocation of `size` bytes at ptr with traceback id tb, made
 * now by this thread. Call before current changes (the peak that this
 * allocation may reach must include it). */
static inline __attribute__((always_inline)) void
tm_hist_on_alloc(tm_thread_t *t, uint32_t tb, size_t size, uintptr_t ptr) {
  tm_hist_entry_t *e;
  if (__builtin_expect(t == NULL || !(e = tm_hist_lookup(t, tb)), 0)) {
    tm_hist_alloc_slow(tb, size, ptr);
    return;
  }
  tm_hist_sync(e);
  e->calls++;
  e->allocated += size;
  t->hist_last = ptr;
}

/* A traced block (ptr, size, tb) is freed by this thread. ptr 0: not a
 * free by the program (realloc's release of its old block, tm_untrack),
 * never temporary. */
static inline __attribute__((always_inline)) void
tm_hist_on_free(uint32_t tb, size_t size, uintptr_t ptr) {
  tm_thread_t *t = tm_thread_self;
  tm_hist_entry_t *e;
  if (__builtin_expect(t == NULL || !(e = tm_hist_lookup(t, tb)), 0)) {
    tm_hist_free_slow(tb, size, ptr);
    return;
  }
  tm_hist_sync(e);
  e->frees++;
  e->freed += size;
  if (ptr == t->hist_last && ptr) {
    e->temporary++;
    t->hist_last = 0;
  }
}

/* Undo a tm_hist_on_free(tb, size, 0): a realloc that failed puts its old
 * block back (tm_trace_table_restore, tm_core_hdr_restore). */
TM_HIDDEN void tm_hist_unfree(uint32_t tb, size_t size);

/* current reached the peak (>=): the live set now is the peak's. */
static inline __attribute__((always_inline)) void
tm_hist_peak_reached(bool st) {
  if (st)
    atomic_store_explicit(
        &tm_hist_version,
        atomic_load_explicit(&tm_hist_version, memory_order_relaxed) + 1,
        memory_order_relaxed);
  else
    atomic_fetch_add_explicit(&tm_hist_version, 1, memory_order_relaxed);
}

/* One traceback's history summed over every block. */
typedef struct tm_hist_sum {
  uint64_t calls, allocated, frees, temporary;
  uint64_t peak_size, peak_count; /* its live set at the latest peak */
} tm_hist_sum_t;

/* With every trace-table lock held: every id with a non-zero counter, in
 * id order; fn returns non-zero to stop (the walk returns that value). -1:
 * out of memory. */
typedef int (*tm_hist_fn)(void *arg, uint32_t tb, const tm_hist_sum_t *s);
TM_HIDDEN int tm_hist_foreach_locked(tm_hist_fn fn, void *arg);

/* With every trace-table lock held: forget every counter (tm_clear_traces,
 * tm_stop: the ids are forgotten too). */
TM_HIDDEN void tm_hist_clear_locked(void);

/* The thread that owns t exits: its block waits for the next thread. */
TM_HIDDEN void tm_hist_thread_exit(tm_thread_t *t);

/* fork: hist_lock (after the intern lock, before raw_alloc's); the child
 * gives the blocks of the threads it does not have to its future ones. */
TM_HIDDEN void tm_hist_atfork_prepare(void);
TM_HIDDEN void tm_hist_atfork_parent(void);
TM_HIDDEN void tm_hist_atfork_child(void);

#endif /* TM_HISTORY_H */
