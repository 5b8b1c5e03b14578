/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback.h - traceback capture from the shadow stack, and interning.
 *
 * Names: tm_intern_* is this interning of the runtime's tracebacks, named
 * by 32-bit ids; tm_tb_* its records and per-thread cache. The public
 * tm_traceback_* functions (tracemalloc.h) are the snapshot's traceback
 * objects, another thing.
 *
 * A runtime traceback is interned once and named by a 32-bit id (so that a
 * trace-table entry stays 16 bytes). Its identity is the sequence of expanded
 * site pointers (tracemalloc_abi.h section 3) cut at the limit, plus
 * total_nframe: comparing pointers on the allocation path is much cheaper
 * than comparing (filename, lineno) strings, and the snapshot re-interns by
 * content anyway. The frames are resolved once, when a traceback is first
 * seen, into interned (filename, function, lineno) triples that survive a
 * dlclose of the module the sites came from.
 * The allocating thread (thread_registry.h) is part of the identity too,
 * so that a trace's id names its thread: tracebacks are per thread here,
 * and merged by frames in the snapshot (take_snapshot.c).
 *
 * Capture cost. Each thread keeps (shadow_stack.h) the record chain its
 * last capture read, with the frame count of every prefix of it, so a
 * capture reads only the records pushed since (tm_shadow_gather's memo).
 * And a direct-mapped cache to the interned id: at limit 1 with a site, keyed
 * exactly by (site, total_nframe), which is that traceback's whole identity
 * (no verification: tm_intern_cached, inlined into the allocation
 * path); otherwise by a cheap hash of (site, the slots that supply the
 * first `limit` frames, total_nframe), a hit being checked against the
 * entry's raw row of those pointers (traceback_cache.c; or, for a key of
 * 32 slots or more, against the record, as the intern set checks a
 * candidate). Either way the
 * cache gives the id the set would. It belongs to an epoch that
 * tm_intern_reset and every module load bump (and to a limit); a thread
 * empties it when it sees another.
 *
 * Locking: tm_intern_capture must be called with a trace-table lock held
 * (a shard lock, a thread's own block lock or the domains lock), or on the
 * only thread: tm_intern_reset runs with all of them held, which is what
 * makes the lock-free lookup safe. Records and
 * frames never move until that reset.
 */
#ifndef TM_TRACEBACK_H
#define TM_TRACEBACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "region.h"
#include "shadow_stack.h"
#include "tracemalloc_abi.h"
#include "visibility.h"

typedef struct tm_tb {
  uint32_t hash;
  uint16_t nframe;       /* frames kept: 1..limit */
  uint16_t total_nframe; /* true depth, capped at 65535 */
  /* The allocating thread (thread_registry.h; 0: unknown), part of the
   * identity: equal frames from two threads are two records, so a trace's
   * one id names its thread too (no memory per trace). */
  uint32_t thread;
  const struct tm_site *keys[]; /* nframe expanded sites; NULL = unknown */
  /* followed by uint32_t frame_ids[nframe] */
} tm_tb_t;

/* A resolved frame. filename is never NULL; function may be NULL. */
typedef struct tm_rframe {
  const char *filename;
  const char *function;
  uint32_t lineno;
  uint32_t reserved;
  uint64_t pad;
} tm_rframe_t;

/* Frame id 0 is ('<unknown>', 0). */
#define TM_FRAME_UNKNOWN 0u

/* Intern the traceback of an allocation made now on this thread with `site`
 * (NULL: an uninstrumented caller, attributed to the nearest instrumented
 * frame), keeping at most `limit` frames. Returns its id (> 0), or 0 when the
 * runtime is out of memory. Caller holds a trace-table lock. */
TM_HIDDEN uint32_t tm_intern_capture(const struct tm_site *site,
                                     unsigned limit);
/* (Or, while the process is single-threaded, with no lock: trace_table.c.) */

/* ---- The inlined fast path (trace_table.c's allocation path) ----------- */

/* Bumped by tm_intern_reset and by every module load and unload (the
 * unload: the capture memos, shadow_below.c); a thread's cache belongs to
 * one epoch and one limit (shadow_stack.h). */
TM_HIDDEN extern _Atomic uint64_t tm_tb_epoch;

TM_HIDDEN void tm_tb_thread_sync_slow(tm_thread_t *t, uint64_t epoch,
                                      unsigned limit);

/* Make t's cache that of the current epoch and `limit`. */
static inline void tm_tb_thread_sync(tm_thread_t *t, unsigned limit) {
  uint64_t epoch = atomic_load_explicit(&tm_tb_epoch, memory_order_relaxed);
  if (__builtin_expect(t->epoch != epoch || t->limit != limit, 0))
    tm_tb_thread_sync_slow(t, epoch, limit);
}

/* Slot of the exact (limit 1, site) entry of (site, total_nframe). */
static inline uint32_t tm_tb_exact_index(const struct tm_site *site,
                                         uint32_t total) {
  // Sites are constants laid out one after another (40 bytes each): their
  // address / 8 already spreads them; the total tells stacks apart.
  return (uint32_t)(((uintptr_t)site >> 3) ^ total) & (TM_TB_CACHE_SIZE - 1);
}

/* The id tm_intern_capture(site, limit) would return, for the thread
 * whose state is t (tm_thread_self, non-NULL), when it is the common case:
 * limit 1, a site that is one frame (no inlined_at), and (site,
 * total_nframe) in the exact cache entry (which tm_intern_capture fills);
 * total_nframe is 1 + the frames of the records below the site, which
 * tm_shadow_below counts. 0 otherwise: then call that. */
static inline __attribute__((always_inline)) uint32_t
tm_intern_cached(const struct tm_site *site, unsigned limit, tm_thread_t *t) {
  uint64_t epoch = atomic_load_explicit(&tm_tb_epoch, memory_order_relaxed);
  if (__builtin_expect(limit != 1 || site == NULL || t->epoch1 != epoch ||
                           site->inlined_at != NULL,
                       0))
    return 0;
  uint32_t below =
      tm_shadow_below_now(t, (site->flags & TM_SITE_OWN_FRAME) != 0);
  if (__builtin_expect(below == TM_BELOW_NONE, 0))
    return 0;
  uint32_t total = below >= TM_TOTAL_CAP ? TM_TOTAL_CAP : below + 1;
  const tm_tb_cache_entry_t *e = &t->cache[tm_tb_exact_index(site, total)];
  if (__builtin_expect(e->key == (uintptr_t)site && e->check == total, 1))
    return e->id;
  return 0;
}

/* Above limit 1 (traceback_paths.c): the id of a capture at site (non-NULL;
 * own: its TM_SITE_OWN_FRAME) made now on this thread (state t, synced),
 * when its records are a path a capture kept over the same stack below;
 * else 0. */
TM_HIDDEN uint32_t tm_tb_paths_hit(tm_thread_t *t, const struct tm_site *site,
                                   bool own);
/* After a capture above limit 1 that gathered (tm_shadow_gather) and got
 * id: keep its path, when the gather was the common, clean one. */
TM_HIDDEN void tm_tb_paths_keep(tm_thread_t *t, const struct tm_site *site,
                                bool own, uint32_t id);

/* The records' region (ids are offsets / 16 + 1), read by the inlined
 * lookups below. */
TM_HIDDEN extern tm_region_t tm_intern_region;

static inline const tm_tb_t *tm_intern_get(uint32_t id) {
  // 0 is "out of memory", never a record
  return (const tm_tb_t *)tm_region_at(&tm_intern_region,
                                       (size_t)(id - 1) * 16);
}

/* Each record is preceded by TM_INTERN_HIST_BYTES of zeroed memory, aligned
 * to a cache line, that belongs to the allocation history (history.h): its
 * counters of this id, reached from the id in one indexed load, in lines
 * that no other id's counters share. */
#define TM_INTERN_HIST_BYTES 128
static inline void *tm_intern_hist_slot(uint32_t id) {
  return (char *)tm_region_at(&tm_intern_region, (size_t)(id - 1) * 16) -
         TM_INTERN_HIST_BYTES;
}

static inline const uint32_t *tm_tb_frame_ids(const tm_tb_t *tb) {
  return (const uint32_t *)(tb->keys + tb->nframe);
}

const tm_rframe_t *tm_intern_frame(uint32_t frame_id);

/* Exclusive upper bounds of the ids handed out so far (for dense temporary
 * maps in take_snapshot). Caller holds every trace-table lock. */
uint32_t tm_intern_id_bound(void);
uint32_t tm_intern_frame_bound(void);
/* Set bit id of bits (tm_intern_id_bound() bits) for every id interned
 * since the last reset. Caller holds every trace-table lock. */
TM_HIDDEN void tm_intern_mark_ids(uint64_t *bits);

/* A module was loaded (__tm_module_init_v4): its site addresses may be
 * those of an unloaded module. Drops every thread's cached results and,
 * when any module was unloaded since the last call, starts a new module
 * generation: no site pointer finds a record or frame interned before it
 * (traceback.c). Call with no runtime lock held (it calls
 * dl_iterate_phdr). */
void tm_intern_invalidate_caches(void);

/* Forget every traceback, frame and string (tm_clear_traces, tm_stop).
 * Caller holds every trace-table lock. */
void tm_intern_reset(void);

/* Check the intern set's invariants (takes the intern lock: call with no
 * runtime lock held). NULL when they hold, else what is broken: the count
 * equals the occupied slots and one slot at least stays empty; every id is
 * one a record was built for; every record is found again from its key
 * (its hash's home slot, no empty slot before it) and no two slots hold
 * the same traceback (so ids are unique); each record's frame ids were
 * handed out and are "<unknown>" exactly for unknown frames. For the unit
 * tests. */
const char *tm_intern_validate(void);
#ifdef TM_DEBUG
/* Debug-only: add `delta` to the set's count, for a test to check that
 * tm_intern_validate notices. */
void tm_intern_debug_corrupt_count(int32_t delta);
/* Debug-only: the bits of a capture's hash that pick and name its hashed
 * cache entry (all of them by default); a test sets 0 to make every such
 * capture collide. */
extern uint64_t tm_tb_debug_key_mask;
#endif

/* fork(): the intern lock, taken after every trace-table lock. */
void tm_intern_atfork_prepare(void);
void tm_intern_atfork_parent(void);
void tm_intern_atfork_child(void);

#endif /* TM_TRACEBACK_H */
