/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* core.c - what the allocation hooks call (internal.h): record, forget and
 * re-tag blocks in domain 0.
 *
 * Each entry point is a fast path (one relaxed load of tm_tracing and of
 * tm_reentrant) and a slow path that raises tm_reentrant for the duration
 * of the work (alloc and free are defined in trace_table.c, the table work
 * inlined there), so that nothing the runtime does on this thread
 * (pthread_setspecific's calloc, a signal handler's malloc while a shard lock
 * is held) is traced or can re-enter a lock. Nothing here sets errno
 * except a failed mmap of a shadow stack, which is undone.
 */
#include <errno.h>

#include "internal.h"
#include "shadow_stack.h"
#include "trace_table.h"

_Atomic int tm_tracing;

/* A static link that only interposes malloc pulls this object in, but
 * nothing of init.c: this reference brings init.o (its constructor reads
 * TRACEMALLOC) along whenever the core is linked. */
__attribute__((used)) static void (*const force_init_link)(void) =
    tm_runtime_init;

static inline bool core_active(void) {
  return atomic_load_explicit(&tm_tracing, memory_order_relaxed) &&
         !tm_reentrant;
}

/* tm_core_on_alloc and tm_core_on_free: trace_table.c (the hot path, with
 * the table and the common traceback capture inlined). */

/* ---- Signal handlers while the runtime is busy (internal.h) ------------ */

/* Queue entries' kinds (tm_deferred_t.kind): */
#define DEFER_ALLOC 0
#define DEFER_FREE UINTPTR_MAX
#define DEFER_BLK_FREE                                                         \
  (UINTPTR_MAX - 1) /* free of a trailer block, pending                        \
                     */

static bool defer_entry(uintptr_t ptr, size_t size, const struct tm_site *site,
                        uintptr_t kind, const struct tm_frame_record *top) {
  tm_thread_t *t = tm_thread_own;
  uint32_t tail = t ? t->defer_tail : 0;
  if (!t || tail - t->defer_head >= TM_DEFER_SLOTS)
    return false;
  // Reserve, then fill: a nested handler takes the next slot.
  t->defer_tail = tail + 1;
  atomic_signal_fence(memory_order_seq_cst);
  t->defer[tail & (TM_DEFER_SLOTS - 1)] =
      (tm_deferred_t){ptr, size, site, kind, top};
  atomic_signal_fence(memory_order_seq_cst);
  // Park: the thread's next allocation takes the slow path, which flushes.
  tm_thread_self = NULL;
  return true;
}

void tm_core_defer(uintptr_t ptr, size_t size, const struct tm_site *site,
                   bool is_free) {
  if (tm_reentrant >= TM_REENTRANT_IGNORE)
    return; // the runtime's own call into the allocator: not the program's
  // No queue (the thread is exiting) or a full one. A lost free leaves its
  // trace until the address is traced again (docs/semantics.md).
  if (!defer_entry(ptr, size, site, is_free ? DEFER_FREE : DEFER_ALLOC,
                   __tm_shadow_top) &&
      !is_free)
    tm_trace_table_count_drop();
}

void (*_Atomic tm_core_blk_release)(void *p);

TM_COLD_CALL bool tm_core_defer_blk_free(void *ptr) {
  return defer_entry((uintptr_t)ptr, 0, NULL, DEFER_BLK_FREE, NULL);
}

void tm_core_defer_free(void *ptr) {
  if (ptr)
    tm_core_defer((uintptr_t)ptr, 0, NULL, true);
}

void tm_core_flush_queue(tm_thread_t *t) {
  tm_reentrant++;
  atomic_signal_fence(memory_order_seq_cst);
  // A handler that interrupts this loop sees the runtime busy and appends;
  // the loop takes its entry too.
  while (t->defer_head != t->defer_tail) {
    tm_deferred_t d = t->defer[t->defer_head & (TM_DEFER_SLOTS - 1)];
    atomic_signal_fence(memory_order_seq_cst);
    t->defer_head++;
    if (d.kind == DEFER_FREE) {
      tm_trace_table_remove(0, d.ptr);
      continue;
    }
    if (d.kind == DEFER_BLK_FREE) {
      // The block is still allocated (its free was held back): forget it
      // (if a clear has not) and free it now.
      tm_core_blk_forget_as(d.ptr, tm_blk_word(d.ptr), d.ptr, NULL);
      void (*release)(void *) =
          atomic_load_explicit(&tm_core_blk_release, memory_order_relaxed);
      if (release)
        release((void *)d.ptr);
      continue;
    }
    // The traceback is captured as the handler's, from its top: its records
    // are dead by now (below this frame or overwritten), so the capture
    // reads what of them survived its checks, then the interrupted frames
    // below.
    const struct tm_frame_record *top = __tm_shadow_top;
    __tm_shadow_top = d.top;
    tm_shadow_replay = 1; // dead records: no memo (shadow_gather.c)
    tm_trace_table_add(0, d.ptr, d.size, d.site);
    tm_shadow_replay = 0;
    __tm_shadow_top = top;
  }
  atomic_signal_fence(memory_order_seq_cst);
  tm_reentrant--;
}

void tm_core_flush_deferred(void) {
  tm_thread_t *t = tm_thread_own;
  if (!t || tm_reentrant)
    return;
  if (t->defer_head != t->defer_tail)
    tm_core_flush_queue(t);
  // Unpark, unless a handler queued again since: then the next allocation
  // flushes. (A handler that parks between the test and the store is
  // flushed by the next slow path: the runtime's own entry points.)
  if (t->defer_head == t->defer_tail)
    tm_thread_self = t;
}

static __attribute__((noinline)) void
on_realloc_slow(void *old, void *new_ptr, size_t size,
                const struct tm_site *site) {
  tm_reentrant++;
  // CPython: a moved block loses its old trace first, so that the peak
  // check after the add sees current - old + new, never old + new.
  if (old && old != new_ptr)
    tm_trace_table_remove(0, (uintptr_t)old);
  tm_trace_table_add(0, (uintptr_t)new_ptr, size, site);
  tm_reentrant--;
}

/* realloc seen while the runtime is busy on this thread (a handler): the
 * same as on_realloc_slow, deferred. */
static __attribute__((noinline)) void
defer_realloc(void *old, void *new_ptr, size_t size,
              const struct tm_site *site) {
  if (old && old != new_ptr)
    tm_core_defer((uintptr_t)old, 0, NULL, true);
  tm_core_defer((uintptr_t)new_ptr, size, site, false);
}

void tm_core_on_realloc(void *old, void *new_ptr, size_t size,
                        const struct tm_site *site) {
  if (TM_LIKELY(!core_active()) || !new_ptr) {
    if (new_ptr && tm_reentrant &&
        atomic_load_explicit(&tm_tracing, memory_order_relaxed))
      defer_realloc(old, new_ptr, size, site);
    return;
  }
  tm_core_flush_deferred();
  on_realloc_slow(old, new_ptr, size, site);
}

void tm_core_realloc_begin(void *old, tm_core_realloc_token_t *tok) {
  *tok = (tm_core_realloc_token_t){.old = old};
  if (TM_LIKELY(!core_active()) || !old)
    return;
  tm_core_flush_deferred();
  tm_detached_t d;
  tm_reentrant++;
  if (tm_trace_table_detach((uintptr_t)old, &d)) {
    tok->found = true;
    tok->size = d.size;
    tok->tb = d.tb;
    tok->generation = d.generation;
  }
  tm_reentrant--;
}

void tm_core_realloc_end(const tm_core_realloc_token_t *tok, void *new_ptr,
                         size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!core_active())) {
    // A handler's realloc while the runtime was busy: begin detached
    // nothing, so the old trace goes with the deferred free.
    if (new_ptr && tm_reentrant &&
        atomic_load_explicit(&tm_tracing, memory_order_relaxed))
      defer_realloc(tok->old, new_ptr, size, site);
    return;
  }
  tm_reentrant++;
  if (new_ptr) {
    tm_trace_table_add(0, (uintptr_t)new_ptr, size, site);
  } else if (tok->found) {
    tm_detached_t d = {true, tok->tb, tok->size, tok->generation};
    tm_trace_table_restore((uintptr_t)tok->old, &d);
  }
  tm_reentrant--;
}
