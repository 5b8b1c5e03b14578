/* internal.h - what the allocation hooks (hooks*.c, interpose.c,
 * sanitizer_hooks.c) need from the tracing core (trace table, traceback
 * capture, counters), and nothing else.
 *
 * The core records; the hooks call the real allocator and then tell the core
 * what happened. All of these are safe to call from any thread, from inside
 * malloc, and when not tracing (they return at once). None of them allocates
 * with malloc.
 */
#ifndef TM_INTERNAL_H
#define TM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracemalloc.h"
#include "tracemalloc_abi.h"

#define TM_HIDDEN __attribute__((visibility("hidden")))
#define TM_LIKELY(x) __builtin_expect(!!(x), 1)
#define TM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Non-zero while tracing. Read on every hook with relaxed order; the core
 * re-checks under its shard lock before it changes a table. */
TM_HIDDEN extern _Atomic int tm_tracing;

/* Per-thread reentrancy depth: non-zero while the runtime itself is running
 * on this thread (recording, snapshotting, or inside a hook that already
 * records). An allocation seen while it is non-zero is not traced. */
TM_HIDDEN extern __thread int tm_reentrant;

/* A block of `size` bytes was allocated at ptr (domain 0). `site` is the
 * static call site from the pass, or NULL when the allocation came from
 * uninstrumented code (attributed to the nearest instrumented caller). An
 * existing trace at ptr is replaced (CPython). If the trace cannot be
 * recorded it is dropped and counted. */
TM_HIDDEN void tm_core_on_alloc(void *ptr, size_t size,
                                const struct tm_site *site);

/* The block at ptr was freed (or is about to be): remove its trace if any. */
TM_HIDDEN void tm_core_on_free(void *ptr);

/* realloc(old, size) returned new_ptr != NULL: CPython's rule: if the block
 * moved, remove the trace of old; then add or update the trace at new_ptr
 * with `size` and the current traceback (the realloc site). Peak never
 * counts the old and new block together. old may be NULL. */
TM_HIDDEN void tm_core_on_realloc(void *old, void *new_ptr, size_t size,
                                  const struct tm_site *site);

/* Make sure this thread has a shadow-stack frame array (called at thread
 * start by the pthread_create wrapper, and lazily by the core). */
TM_HIDDEN void tm_shadow_thread_init(void);

/* Runtime initialisation: idempotent, recursion-safe; reads TRACEMALLOC and
 * TRACEMALLOC_DUMP. Called from the runtime's constructor, from
 * __tm_module_init_v1 and lazily from the hooks. */
TM_HIDDEN void tm_runtime_init(void);

#endif /* TM_INTERNAL_H */
