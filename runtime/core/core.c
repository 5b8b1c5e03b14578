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

void tm_core_on_realloc(void *old, void *new_ptr, size_t size,
                        const struct tm_site *site) {
  if (TM_LIKELY(!core_active()) || !new_ptr)
    return;
  on_realloc_slow(old, new_ptr, size, site);
}

void tm_core_realloc_begin(void *old, tm_core_realloc_token_t *tok) {
  *tok = (tm_core_realloc_token_t){.old = old};
  if (TM_LIKELY(!core_active()) || !old)
    return;
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
  if (TM_LIKELY(!core_active()))
    return;
  tm_reentrant++;
  if (new_ptr) {
    tm_trace_table_add(0, (uintptr_t)new_ptr, size, site);
  } else if (tok->found) {
    tm_detached_t d = {true, tok->tb, tok->size, tok->generation};
    tm_trace_table_restore((uintptr_t)tok->old, &d);
  }
  tm_reentrant--;
}
