/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_hdr_blocks.c - the out-of-line parts of header blocks: the
 * first block of a leaf (or the fallback to the side table), and realloc's
 * detach and restore of a header trace.
 *
 * Separate from the side tables' add/remove (trace_table.c) because a
 * header block's trace is in the block, not in a table; the inline fast
 * paths and the design are in trace_table.h, "Header mode". (tm_track of a
 * header block, hdr_track, stays in trace_table.c: tm_trace_table_add
 * calls it, and this file calls tm_core_on_alloc there, so moving it here
 * would make the two files call each other.)
 */
#include "trace_table_internal.h"

#include "history.h"
#include "shadow_stack.h"

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
  d->traced = tm_core_hdr_forget_as((uintptr_t)ptr, w, 0);
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
