/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
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
#include "visibility.h"

#define TM_LIKELY(x) __builtin_expect(!!(x), 1)
#define TM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Non-zero while tracing. Read on every hook with relaxed order; the core
 * re-checks under its shard lock before it changes a table. */
TM_HIDDEN extern _Atomic int tm_tracing;

/* Per-thread reentrancy depth: non-zero while the runtime itself is running
 * on this thread (recording, snapshotting, or inside a hook that already
 * records). An allocation seen while it is non-zero is not traced.
 * Initial-exec, like its definition: without the attribute every access
 * from libtracemalloc.so would call __tls_get_addr. */
TM_HIDDEN extern __thread int tm_reentrant
    __attribute__((tls_model("initial-exec")));

/* tm_reentrant is a sum of two kinds of bracket:
 *  - busy (+1): the runtime changes its tables on this thread, or holds one
 *    of their locks. An allocation seen then can only come from a signal
 *    handler that interrupted it; it cannot touch the tables (the lock may
 *    be held by the very code it interrupted), so it is deferred: queued on
 *    the thread (lock-free, the thread's own queue) and recorded as soon as
 *    the runtime is no longer busy there (tm_core_flush_deferred), or
 *    counted as dropped when the queue is full.
 *  - ignore (+TM_REENTRANT_IGNORE): the runtime itself calls into the
 *    allocator or libc (a delegated operator new, the sanitizer's malloc,
 *    pthread_setspecific, the dump writer's stdio): the allocations nested
 *    in it are the runtime's, or recorded by the caller with its site, and
 *    are not traced. */
#define TM_REENTRANT_IGNORE 0x10000

/* Queue an allocation (free: is_free) that a signal handler made while the
 * runtime was busy on this thread. Async-signal-safe; no lock. */
TM_HIDDEN void tm_core_defer(uintptr_t ptr, size_t size,
                             const struct tm_site *site, bool is_free);
/* tm_core_defer(ptr, 0, NULL, true) unless ptr is NULL. */
TM_HIDDEN void tm_core_defer_free(void *ptr);
/* Record what this thread's handlers queued (call with tm_reentrant 0). */
TM_HIDDEN void tm_core_flush_deferred(void);

/* These entry points test tm_tracing and tm_reentrant themselves (and do
 * nothing when the runtime is already running on this thread), and never
 * change errno except as documented.
 *
 * A block of `size` bytes was allocated at ptr (domain 0). `site` is the
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

/* realloc without the address-reuse window of tm_core_on_realloc: call
 * tm_core_realloc_begin(old, &tok) BEFORE the real realloc (it takes the
 * trace of `old` out, so another thread that gets `old` from malloc once
 * the real realloc freed it cannot lose its fresh trace to us), then
 * tm_core_realloc_end(&tok, result, size, site) after it: a NULL result
 * puts the old trace back unchanged (the block is still valid: CPython);
 * otherwise the block is traced at `result` with `size` and the realloc
 * site (CPython's re-tagging; the peak sees current - old + new). Both are
 * no-ops when not tracing or re-entered; old may be NULL. */
typedef struct tm_core_realloc_token {
  void *old;
  size_t size;
  uint64_t generation;
  uint32_t tb;
  bool found;
} tm_core_realloc_token_t;
TM_HIDDEN void tm_core_realloc_begin(void *old, tm_core_realloc_token_t *tok);
TM_HIDDEN void tm_core_realloc_end(const tm_core_realloc_token_t *tok,
                                   void *new_ptr, size_t size,
                                   const struct tm_site *site);

/* Make sure this thread has its runtime state (shadow_stack.h: header,
 * capture arrays, stack bounds; called at thread start by the
 * pthread_create wrapper, and lazily by the core). */
TM_HIDDEN void tm_shadow_thread_init(void);

/* Defined by the hooks (sanitizer_hooks.c): installs the sanitizer allocator
 * hooks in sanitizer mode, and glibc's fastbin keeper otherwise
 * (glibc_fastbins.c). tm_runtime_init calls it, which also makes every
 * static link pull in the hook objects (interposition, thread start) even
 * when the program itself never calls a __tm_* hook. */
TM_HIDDEN void tm_hooks_install(void);

/* Set by the hooks (tm_hooks_install, before any tm_start): called by
 * tm_start and tm_stop after they switch tracing, holding no runtime lock
 * (hooks/glibc_fastbins.c keeps glibc's fastbin limit in the program's
 * units while trailer blocks are made). NULL: nothing to tell. */
TM_HIDDEN extern void (*_Atomic tm_core_tracing_switched)(void);

/* A thread of the program was created (dump_triggers.c): the wrapper of
 * pthread_create calls it after a successful creation. */
TM_HIDDEN void tm_dump_triggers_thread_created(void);

/* Is `handler` the runtime's termination handler, which stands for the
 * default action (dump_triggers.c; the sigaction wrapper reports SIG_DFL)? */
TM_HIDDEN bool tm_dump_triggers_is_default(void (*handler)(int));

/* Runtime initialisation: idempotent, recursion-safe; reads TRACEMALLOC and
 * TRACEMALLOC_DUMP. Called from the runtime's constructor, from
 * __tm_module_init_v4 and lazily from the hooks. */
TM_HIDDEN void tm_runtime_init(void);

#endif /* TM_INTERNAL_H */
