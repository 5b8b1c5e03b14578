/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_blk_lock.c - the block-lock barrier: the per-thread block
 * lock's stop side (membarrier or a fence), the wait of a thread that finds
 * the stop flag set, and the shared owner of threads without state.
 *
 * Separate because it is the one place that talks to membarrier(2), and
 * the whole-table operations (trace_table_whole.c) and a fork child use it
 * without touching a table. The protocol: trace_table.h, "Trailer mode".
 */
#include "trace_table_internal.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<linux/membarrier.h>)
#include <linux/membarrier.h>
#define TT_HAVE_MEMBARRIER_H 1
#endif
#endif

/* Threads without state: before their setup, or once they exit. */
tm_blk_owner_t tm_tt_blk_shared;
_Atomic int tm_tt_blk_stop;
/* membarrier's private expedited command is registered (set at start and
 * in a fork child, before any trailer block): lock_all calls it. */
static _Atomic int blk_asym;

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
  atomic_store_explicit(&blk_asym, ok, memory_order_relaxed);
  // No lock_all runs now (start, fork child): the stop bit is clear.
  atomic_store_explicit(&tm_tt_blk_stop, ok ? 0 : TM_TT_BLK_FENCE,
                        memory_order_relaxed);
}

/* Every running thread of the process executes a full barrier (the stop
 * side of the Dekker in trace_table.h); a fence where that is not
 * available. */
void tm_tt_blk_heavy_barrier(void) {
  atomic_thread_fence(memory_order_seq_cst);
#ifdef TT_MEMBARRIER
  // Registered, so it does not fail (membarrier(2): EPERM only when not
  // registered).
  if (atomic_load_explicit(&blk_asym, memory_order_relaxed))
    (void)syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
#endif
}

TM_COLD_CALL void tm_tt_blk_wait(tm_blk_owner_t *o) {
  for (;;) {
    // The mark is set: the full fence between it and the read of the flag
    // (a no-op's worth when membarrier is in use: lock_all's barrier is
    // the other half then, and this runs only while stopped).
    atomic_thread_fence(memory_order_seq_cst);
    if (!(atomic_load_explicit(&tm_tt_blk_stop, memory_order_acquire) &
          TM_TT_BLK_STOPPED))
      return;
    atomic_store_explicit(&o->busy, 0, memory_order_release);
    for (unsigned n = 0;
         atomic_load_explicit(&tm_tt_blk_stop, memory_order_acquire) &
         TM_TT_BLK_STOPPED;
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
void tm_tt_blk_shared_take(void) {
  for (unsigned n = 0; atomic_exchange_explicit(&tm_tt_blk_shared.busy, 1,
                                                memory_order_acquire);
       n++)
    if (n < 64)
      tm_spin_pause();
    else
      sched_yield();
}

TM_COLD_CALL tm_blk_owner_t *tm_tt_blk_shared_lock(void) {
  tm_tt_blk_shared_take();
  return &tm_tt_blk_shared;
}
