/* trace_table.h - the traces: (domain, ptr) -> (size, traceback id), and the
 * current / peak / dropped counters.
 *
 * Domain 0 (every allocation the hooks see) is sharded by pointer hash into
 * TM_TRACE_SHARDS tables, each with its own spinlock, so that threads
 * allocating at the same time rarely meet. The other domains (tm_track) are
 * tables created lazily under one lock. current and peak are global atomics:
 * exact under threads (see trace_table.c).
 *
 * Lock order: domains lock, shard 0 .. shard N-1, then the intern lock
 * (traceback.c), then raw_alloc's locks, then the shadow-stack registry lock
 * (a leaf).
 */
#ifndef TM_TRACE_TABLE_H
#define TM_TRACE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracemalloc_abi.h"

#define TM_TRACE_SHARDS 128

/* The traceback limit of the current tracing session (read under a table
 * lock; changed only by tm_start while not tracing). */
extern _Atomic int tm_trace_limit;

/* Record (domain, ptr) with `size` and the traceback of an allocation made
 * now at `site` (NULL: attributed to the shadow stack). An existing trace is
 * replaced. 0 on success, -1 if the trace was dropped (runtime out of memory;
 * no trace is left at that key), -2 when not tracing. */
int tm_trace_table_add(unsigned domain, uintptr_t ptr, size_t size,
                       const struct tm_site *site);

/* tm_core_on_alloc / tm_core_on_free once they know tracing is on and the
 * thread is not inside the runtime: raise tm_reentrant, make sure the
 * thread has its runtime state, add (replace) / remove the domain-0 trace
 * of ptr, lower tm_reentrant. */
void tm_trace_table_on_alloc0(uintptr_t ptr, size_t size,
                              const struct tm_site *site);
void tm_trace_table_on_free0(uintptr_t ptr);

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

/* Every lock, in order (snapshots, clear, fork). */
void tm_trace_table_lock_all(void);
void tm_trace_table_unlock_all(void);
/* fork child: reset every lock instead of unlocking. */
void tm_trace_table_reset_locks(void);

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

/* Counters. */
void tm_trace_table_traced_memory(size_t *current, size_t *peak);
void tm_trace_table_reset_peak(void);
uint64_t tm_trace_table_dropped(void);
/* A trace that could not even be attempted (hooks side) counts too. */
void tm_trace_table_count_drop(void);

#endif /* TM_TRACE_TABLE_H */
