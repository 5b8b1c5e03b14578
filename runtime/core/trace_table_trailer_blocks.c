/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_trailer_blocks.c - the out-of-line parts of trailer blocks: the
 * first block of a leaf (or the fallback to the side table), and realloc's
 * detach and restore of a trailer trace. (A trailer the program overwrote:
 * trailer_overwritten.c.)
 *
 * Separate from the side tables' add/remove (trace_table.c) because a
 * trailer block's trace is in the block, not in a table; the inline fast
 * paths and the design are in trace_table.h, "Trailer mode". (tm_track of
 * a trailer block, trl_track, stays in trace_table.c: tm_trace_table_add
 * calls it, and this file calls tm_core_on_alloc there, so moving it here
 * would make the two files call each other.)
 */
#include "trace_table_internal.h"

#include "history.h"
#include "shadow_stack.h"

void *tm_core_blk_alloc_slow(void *ptr, size_t size, const struct tm_site *site,
                             void (*release)(void *)) {
  uintptr_t p = (uintptr_t)ptr;
  // Before the first trailer block exists (a leaf is made for it here).
  atomic_store_explicit(&tm_core_blk_release, release, memory_order_relaxed);
  tm_reentrant++;
  _Atomic uint64_t *w = tm_blk_word_make(p);
  tm_reentrant--;
  if (w && !(tm_trl_chunk_word(p) & TM_TRL_GLIBC_MMAPPED))
    return tm_core_blk_alloc_inline(ptr, size, site, release);
  // No leaf for it, or a chunk glibc mapped on its own (rounded to pages:
  // its size is more than a seal can say): traced in the side table. It is
  // 8 bytes larger than asked, which nothing can see.
  tm_core_on_alloc(ptr, size, site);
  return ptr;
}

void tm_core_blk_detach(void *ptr, _Atomic uint64_t *w, tm_blk_detached_t *d) {
  d->traced = tm_core_blk_forget_as((uintptr_t)ptr, w, 0, d);
}

void tm_core_blk_restore(void *ptr, const tm_blk_detached_t *d) {
  if (!d->traced)
    return;
  uintptr_t p = (uintptr_t)ptr;
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  bool st = tm_single_threaded();
  tm_blk_owner_t *o = tm_tt_blk_begin(st, tm_thread_own);
  // A clear or stop since the detach forgot the trace (and its traceback),
  // as CPython forgets it. The trailer itself is untouched: the failed
  // realloc left the block as it was.
  if (atomic_load_explicit(&tm_tracing, memory_order_acquire) &&
      d->generation == tm_tt_clear_generation) {
    tm_tt_blk_set(tm_blk_word(p), tm_blk_bit(p), st);
    o->count++;
    tm_hist_unfree(d->tb, d->size);
    tm_tt_current_add(d->size, st);
  }
  tm_tt_blk_end(o, st);
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
}
