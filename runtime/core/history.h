/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* history.h - allocation history per traceback (calls, bytes allocated,
 * frees, temporary allocations) and the live set at the global peak.
 *
 * Keyed by the interned traceback id (traceback.h), whatever the id names:
 * a traceback's counters are those of the id the trace table stores.
 *
 * Dense counters per id. An interned id names its allocating thread
 * (traceback.h: tm_tb_t.thread), so the thread that allocates from an id
 * is always the same one, its owner. The interner keeps, right before each
 * record, TM_INTERN_HIST_BYTES of this module's memory (traceback.h:
 * tm_intern_hist_slot): the id's entry, reached from the id in one indexed
 * load, with no lookup and no per-thread table. It is two cache lines that
 * no other id shares, so counters of different ids (of different threads)
 * never share a line:
 *  - `own`, the owner's: every operation by the owner (allocations, its
 *    own frees), written without a lock or an atomic instruction, only
 *    ever by that thread, inside a trace-table operation.
 *  - `x`, the others': a free by another thread than the owner (a
 *    cross-thread free), under the entry's lock (x.lock),
 *    since two such threads may free blocks of one id at once under two
 *    different shard locks. This line moves between threads once per
 *    cross-thread free; the owner's line does not.
 * An id of thread 0 (the registry was full: several threads share it) has
 * no owner: every operation takes the lock and writes `own`. The live
 * values (allocated - freed, calls - frees) are own's minus x's frees;
 * the sum of the two parts is exact.
 * Whoever holds every trace-table lock (snapshots, clear, fork) sees no
 * update half done. A thread knows that it owns an id by its registry
 * index (tm_thread_t.hist_self), valid and non-zero while tm_tb_epoch,
 * which every reset bumps, is hist_epoch (one compare); else the slow
 * path looks it up again.
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

#include "bench_without_history.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "traceback.h"
#include "visibility.h"

/* The owner's part of an entry (above). */
typedef struct tm_hist_part {
  uint64_t calls, allocated; /* allocations of this id, their bytes */
  uint64_t frees, freed;     /* frees of blocks of this id, their bytes */
  uint64_t temporary;        /* frees that were temporary (history.h) */
  /* allocated - freed and calls - frees at the latest peak, valid while
   * version == tm_hist_version */
  uint64_t peak_bytes, peak_count;
  uint64_t version;
} tm_hist_part_t;

/* The others' part: cross-thread frees, under `lock`. */
typedef struct tm_hist_xpart {
  union {
    tm_spinlock_t lock;
    uint64_t lock_room[2]; /* its size with TM_DEBUG's owner too */
  };
  uint64_t frees, freed;
  /* frees and freed at the latest peak, valid while version is
   * tm_hist_version */
  uint64_t peak_frees, peak_freed;
  uint64_t version;
} tm_hist_xpart_t;

typedef struct tm_hist_entry {
  _Alignas(64) tm_hist_part_t own;
  _Alignas(64) tm_hist_xpart_t x;
} tm_hist_entry_t;
_Static_assert(sizeof(tm_hist_entry_t) == TM_INTERN_HIST_BYTES,
               "the interner keeps this many bytes per id");
_Static_assert(sizeof(tm_hist_part_t) == 64, "one cache line per part");

static inline tm_hist_entry_t *tm_hist_entry(uint32_t tb) {
  return (tm_hist_entry_t *)tm_intern_hist_slot(tb);
}

/* Never 0 (a zeroed entry has version 0: "take the live value"). */
TM_HIDDEN extern _Atomic uint64_t tm_hist_version;

/* The slow paths do the whole update: the owner learnt again, or the
 * lock taken (a cross-thread free, a thread without state or index). */
TM_HIDDEN TM_COLD_CALL void tm_hist_alloc_slow(uint32_t tb, size_t size,
                                               uintptr_t ptr);
TM_HIDDEN TM_COLD_CALL void tm_hist_free_slow(uint32_t tb, size_t size,
                                              uintptr_t ptr);

/* A free by a thread with a valid index of a block of id tb, whose entry
 * is e and thread `owner`, not this thread's: a cross-thread free (x,
 * under its lock), or an id of thread 0. */
TM_HIDDEN TM_COLD_CALL void tm_hist_free_other(tm_hist_entry_t *e,
                                               uint32_t owner, uint32_t tb,
                                               size_t size, uintptr_t ptr);

/* Is t's registry index (hist_self) valid and non-zero? (hist_epoch is
 * set only for a non-zero index.) */
static inline bool tm_hist_self_valid(const tm_thread_t *t) {
  return t->hist_epoch ==
         atomic_load_explicit(&tm_tb_epoch, memory_order_relaxed);
}

/* Before any change of e: keep its value at the latest peak. */
static inline void tm_hist_sync(tm_hist_part_t *e) {
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
  if (!TM_HISTORY_ON_HOT_PATH)
    return;
  // tb was captured by this thread (every caller): with a valid non-zero
  // index, this thread is its owner.
  if (__builtin_expect(t == NULL || !tm_hist_self_valid(t), 0)) {
    tm_hist_alloc_slow(tb, size, ptr);
    return;
  }
  tm_hist_part_t *e = &tm_hist_entry(tb)->own;
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
  if (!TM_HISTORY_ON_HOT_PATH)
    return;
  tm_thread_t *t = tm_thread_self;
  const tm_tb_t *rec = tm_intern_get(tb);
  // The entry is right before the record (traceback.h).
  tm_hist_entry_t *entry =
      (tm_hist_entry_t *)((char *)rec - TM_INTERN_HIST_BYTES);
  if (__builtin_expect(t == NULL || !tm_hist_self_valid(t), 0)) {
    tm_hist_free_slow(tb, size, ptr);
    return;
  }
  if (__builtin_expect(rec->thread != t->hist_self, 0)) {
    tm_hist_free_other(entry, rec->thread, tb, size, ptr);
    return;
  }
  tm_hist_part_t *e = &entry->own;
  tm_hist_sync(e);
  e->frees++;
  e->freed += size;
  if (ptr == t->hist_last && ptr) {
    e->temporary++;
    t->hist_last = 0;
  }
}

/* Undo a tm_hist_on_free(tb, size, 0): a realloc that failed puts its old
 * block back (tm_trace_table_restore, tm_core_blk_restore). */
TM_HIDDEN void tm_hist_unfree(uint32_t tb, size_t size);

/* current reached the peak (>=): the live set now is the peak's. */
static inline __attribute__((always_inline)) void
tm_hist_peak_reached(bool st) {
  if (!TM_HISTORY_ON_HOT_PATH)
    return;
  if (st)
    atomic_store_explicit(
        &tm_hist_version,
        atomic_load_explicit(&tm_hist_version, memory_order_relaxed) + 1,
        memory_order_relaxed);
  else
    atomic_fetch_add_explicit(&tm_hist_version, 1, memory_order_relaxed);
}

/* One traceback's history: its entry's two parts summed. */
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

/* fork: hist_lock (after the intern lock, before raw_alloc's). No entry
 * lock is held then (they are taken inside trace-table operations). */
TM_HIDDEN void tm_hist_atfork_prepare(void);
TM_HIDDEN void tm_hist_atfork_parent(void);
TM_HIDDEN void tm_hist_atfork_child(void);

#endif /* TM_HISTORY_H */
