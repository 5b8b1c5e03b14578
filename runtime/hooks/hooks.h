/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* hooks.h - the allocation entry points: the __tm_* hooks the pass calls,
 * the real allocator they forward to, and the recording helpers shared by
 * hooks_c.c, hooks_cxx.c, interpose.c and sanitizer_hooks.c.
 *
 * Two modes, chosen at compile time:
 *
 * - Interposition (default). The runtime defines malloc, free, calloc, ...
 *   itself (interpose.c, weakly) so that uninstrumented code is traced too;
 *   the real allocator is chosen once per process (real_alloc.c): the next
 *   malloc after ours (glibc, jemalloc, tcmalloc), or the program's own
 *   family when its definition wins over ours. The __tm_* hooks call the
 *   real allocator directly, never the interposed symbols, so a block is
 *   seen once.
 *
 * - Sanitizer (TM_SANITIZER_MODE: ASan, TSan, MSan, HWASan and standalone
 *   LSan own malloc; clang's leak_sanitizer feature means LSan alone). The
 *   runtime defines no malloc; uninstrumented allocations are seen through
 *   __sanitizer_install_malloc_and_free_hooks (sanitizer_hooks.c). The real
 *   allocator is the sanitizer's malloc, so a __tm_* hook raises tm_reentrant
 *   around the real call (the sanitizer hook then ignores the block) and
 *   records the block itself, with its site and the requested size.
 *
 * Every hook is a short fast path (one relaxed load of tm_tracing, the real
 * call) plus a noinline slow path taken only while tracing.
 */
#ifndef TM_HOOKS_H
#define TM_HOOKS_H

#include <errno.h>
#include <malloc.h> /* memalign, valloc, pvalloc */
#include <stddef.h>
#include <stdlib.h>

#include "block_index.h"
#include "block_trailer.h"
#include "internal.h"

/* internal.h declares tm_reentrant without a TLS model, so position-
 * independent code would reach it through __tls_get_addr (a call, and one
 * that may malloc for a dlopen'ed module). It is defined initial-exec
 * (shadow_stack.c); say so here too. */
extern __thread int tm_reentrant __attribute__((tls_model("initial-exec")));

/* ---- Mode ------------------------------------------------------------- */

#if defined(__has_feature)
#define TM_HAS_FEATURE(x) __has_feature(x)
#else
#define TM_HAS_FEATURE(x) 0 /* GCC: __SANITIZE_*__ instead */
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) ||           \
    defined(__SANITIZE_HWADDRESS__) || TM_HAS_FEATURE(address_sanitizer) ||    \
    TM_HAS_FEATURE(thread_sanitizer) || TM_HAS_FEATURE(memory_sanitizer) ||    \
    TM_HAS_FEATURE(hwaddress_sanitizer) || TM_HAS_FEATURE(leak_sanitizer)
#define TM_SANITIZER_MODE 1
#else
#define TM_SANITIZER_MODE 0
#endif

#define TM_NOINLINE __attribute__((noinline))
#define TM_EXPORT __attribute__((visibility("default")))

/* ---- The hook prototypes, generated from the one list ------------------ */

/* `TM_HOOK_APPEND_SITE (size_t n)` -> `(size_t n, const struct tm_site *)`:
 * C cannot append to a parenthesised list, but it can re-invoke a macro on
 * it. */
#define TM_HOOK_APPEND_SITE(...) (__VA_ARGS__, const struct tm_site *site)
#define TM_HOOK(NAME, RET, PARAMS, ARGS, KIND)                                 \
  TM_EXPORT RET __tm_##NAME TM_HOOK_APPEND_SITE PARAMS;
#include "tracemalloc_hooks.def"
#undef TM_HOOK

/* ---- The real allocator ----------------------------------------------- */

#if TM_SANITIZER_MODE
#define tm_real_malloc malloc
#define tm_real_calloc calloc
#define tm_real_realloc realloc
#define tm_real_free free
#define tm_real_memalign memalign
#define tm_real_valloc valloc
#define tm_real_pvalloc pvalloc
#define tm_real_aligned_alloc aligned_alloc
#define tm_real_posix_memalign posix_memalign
#define tm_real_malloc_usable_size malloc_usable_size
#else
/* The allocator chosen once per process (real_alloc.c): glibc, or the
 * program's own malloc family, or a jemalloc/tcmalloc linked or preloaded.
 * Each entry starts out as a "resolve, then call" function, so a call is
 * one relaxed load of the pointer and one indirect call, never a test. */
struct tm_real_allocator {
  void *(*_Atomic malloc)(size_t);
  void *(*_Atomic calloc)(size_t, size_t);
  void *(*_Atomic realloc)(void *, size_t);
  void (*_Atomic free)(void *);
  void *(*_Atomic memalign)(size_t, size_t);
  void *(*_Atomic aligned_alloc)(size_t, size_t);
  int (*_Atomic posix_memalign)(void **, size_t, size_t);
  void *(*_Atomic valloc)(size_t);
  void *(*_Atomic pvalloc)(size_t);
  size_t (*_Atomic malloc_usable_size)(void *);
};
TM_HIDDEN extern struct tm_real_allocator tm_real;

/* 1 when the malloc in effect is ours (interpose.c), so every allocation
 * of the process passes through us; 0 when the program's own family (or a
 * malloc library loaded before ours, or static glibc's) is in effect: then
 * interpose.c's remaining functions must not record what the program's
 * free, not ours, will release. Valid once the table is resolved. */
TM_HIDDEN extern _Atomic int tm_real_ours_in_effect;
/* 1 when ours is in effect and the real allocator is glibc's (its malloc
 * is __libc_malloc, in glibc's object): then blocks carry trailers
 * (tm_hooks_trailer_mode) and glibc_fastbins.c keeps glibc's fastbin
 * limit. Valid once the table is resolved. */
TM_HIDDEN extern _Atomic int tm_real_is_glibc;

/* interpose.c's definitions; the global malloc, free, ... are weak aliases
 * of them, which real_alloc.c compares with the symbols in effect. */
TM_HIDDEN void *tm_interpose_malloc(size_t);
TM_HIDDEN void *tm_interpose_calloc(size_t, size_t);
TM_HIDDEN void *tm_interpose_realloc(void *, size_t);
TM_HIDDEN void *tm_interpose_reallocarray(void *, size_t, size_t);
TM_HIDDEN void tm_interpose_free(void *);
TM_HIDDEN void *tm_interpose_memalign(size_t, size_t);
TM_HIDDEN void *tm_interpose_aligned_alloc(size_t, size_t);
TM_HIDDEN int tm_interpose_posix_memalign(void **, size_t, size_t);
TM_HIDDEN void *tm_interpose_valloc(size_t);
TM_HIDDEN void *tm_interpose_pvalloc(size_t);
TM_HIDDEN size_t tm_interpose_malloc_usable_size(void *);
/* mallopt (interpose.c: glibc only): M_MXFAST goes to glibc_fastbins.c. */
TM_HIDDEN int tm_interpose_mallopt(int, int);
/* glibc_fastbins.c: the program's mallopt(param, value), done. */
TM_HIDDEN int tm_fastbins_mallopt(int param, int value);

/* Resolve the table now if nothing has (idempotent). */
TM_HIDDEN void tm_real_resolve(void);

#define TM_REAL_FN(F) atomic_load_explicit(&tm_real.F, memory_order_relaxed)
#define tm_real_malloc TM_REAL_FN(malloc)
#define tm_real_calloc TM_REAL_FN(calloc)
#define tm_real_realloc TM_REAL_FN(realloc)
#define tm_real_free TM_REAL_FN(free)
#define tm_real_memalign TM_REAL_FN(memalign)
#define tm_real_valloc TM_REAL_FN(valloc)
#define tm_real_pvalloc TM_REAL_FN(pvalloc)
#define tm_real_aligned_alloc TM_REAL_FN(aligned_alloc)
#define tm_real_posix_memalign TM_REAL_FN(posix_memalign)
#define tm_real_malloc_usable_size TM_REAL_FN(malloc_usable_size)
#endif

/* Bracket a real-allocator call made by a hook that records the block
 * itself. In sanitizer mode the sanitizer's malloc hook would otherwise see
 * the same block (with no site); in interposition mode the real allocator
 * never comes back to us, so the bracket costs nothing. */
#if TM_SANITIZER_MODE
#define TM_REAL_BEGIN() (tm_reentrant += TM_REENTRANT_IGNORE)
#define TM_REAL_END() (tm_reentrant -= TM_REENTRANT_IGNORE)
#else
#define TM_REAL_BEGIN() ((void)0)
#define TM_REAL_END() ((void)0)
#endif

/* ---- glibc's fastbin limit (glibc_fastbins.c) ---------------------------- */

/* Register the fork handlers and the tracing-switch callback (called once,
 * by tm_hooks_install, before any tm_start). Empty under a sanitizer. */
TM_HIDDEN void tm_fastbins_install(void);
/* Make glibc's fastbin limit that of the current state: the program's,
 * + 8 while trailer blocks are made (tracing, trailer mode). */
TM_HIDDEN void tm_fastbins_sync(void);

/* ---- Fast-path test and recording helpers (hooks_c.c) ------------------ */

/* Tracing on? One relaxed load: the whole cost of a hook when it is off. */
static inline int tm_hooks_tracing(void) {
  return atomic_load_explicit(&tm_tracing, memory_order_relaxed);
}

/* Trailer mode (runtime/core/trace_table.h): traced blocks carry their
 * trace in 8 bytes at the end of glibc's usable size. Only when every
 * free, realloc and malloc_usable_size of the block is sure to reach us
 * (our interposer is the process's malloc family: real_alloc.c,
 * tm_real_ours_in_effect) and the real allocator is glibc's, whose chunk
 * header says where the trailer is (tm_real_is_glibc implies both). Not
 * under a sanitizer (its allocator owns the family), not when the program
 * or a library loaded first defines malloc (its free would not forget the
 * trace), not in a runtime loaded into an uninstrumented host (python: its
 * glibc free would get the blocks), not over jemalloc or tcmalloc. Those
 * keep the side table. */
static inline int tm_hooks_trailer_mode(void) {
#if TM_SANITIZER_MODE
  return 0;
#else
  return atomic_load_explicit(&tm_real_is_glibc, memory_order_relaxed);
#endif
}

/* Could a trailer block exist? (Set for good by the first one.) The hooks'
 * not-tracing fast path of free, realloc and malloc_usable_size tests it
 * with tm_hooks_tracing: between tm_stop's switch and its clear of every
 * bit, a free must still forget its block's trace under its lock, so that
 * no walk of the bits reads a block that is gone. */
static inline int tm_hooks_tracing_or_trailers(void) {
  return tm_hooks_tracing() | tm_blk_maybe();
}

/* While tracing or with trailers about (hooks_c.c): malloc / calloc that
 * make a trailer block when trailer mode applies, else record in the side
 * table; free of any block (trailer or not); site NULL: uninstrumented. */
TM_HIDDEN void *tm_hooks_malloc_traced(size_t size, const struct tm_site *site);
TM_HIDDEN void *tm_hooks_calloc_traced(size_t nmemb, size_t size,
                                       const struct tm_site *site);
TM_HIDDEN void tm_hooks_free_slow(void *ptr);
/* malloc_usable_size of any block: the trailer is not the program's. */
TM_HIDDEN size_t tm_hooks_usable_size(void *ptr);

/* Record / forget a block (nothing while the runtime runs on this thread).
 * errno is preserved: the caller's errno is what the real allocator left. */
TM_HIDDEN void tm_hooks_record_alloc(void *ptr, size_t size,
                                     const struct tm_site *site);
TM_HIDDEN void tm_hooks_record_free(void *ptr);

/* realloc(ptr, size) while tracing (or with trailers about), with glibc's
 * realloc(p, 0) and CPython's re-tagging rules; site NULL for uninstrumented
 * callers. */
TM_HIDDEN void *tm_hooks_realloc_slow(void *ptr, size_t size,
                                      const struct tm_site *site);

/* Allocation the runtime makes for the program's benefit but must never
 * trace (the pthread_create start block): the real allocator, bracketed. */
TM_HIDDEN void *tm_hooks_untraced_malloc(size_t size);
TM_HIDDEN void tm_hooks_untraced_free(void *ptr);

/* Install the sanitizer malloc/free hooks (sanitizer mode; a no-op
 * otherwise). Idempotent. Also run by a constructor; a static link gets it
 * with any hook through anchors.c. */
TM_HIDDEN void tm_hooks_install(void);

/* Static-link anchors: each defined in the object it pulls in, all
 * referred to from anchors.c (which says why each exists). */
TM_HIDDEN extern const char tm_interpose_linked;
TM_HIDDEN extern const char tm_thread_start_linked;
TM_HIDDEN extern const char tm_signal_hooks_linked;
/* context_switch.c: the swapcontext/makecontext wrappers (anchors.c). */
TM_HIDDEN extern const char tm_context_switch_linked;
TM_HIDDEN extern const char tm_hooks_anchors_linked;

#endif /* TM_HOOKS_H */
