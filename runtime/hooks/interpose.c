/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* interpose.c - the malloc family, defined by the runtime so that code that
 * is not instrumented (libc, libstdc++, any library built without the pass)
 * is traced too.
 *
 * glibc supports replacing malloc: when the program (or a library loaded
 * before libc) defines malloc, free, calloc, realloc and the aligned
 * variants, every allocation in the process, libc's own included, goes
 * through them. Ours forward to the real allocator (real_alloc.c: the next
 * malloc after ours, glibc's or a jemalloc/tcmalloc linked or preloaded)
 * and, while tracing, record the block with no site: the core attributes it
 * to the nearest instrumented caller on the shadow stack, as CPython
 * attributes a C allocation to the Python line that called into C. A block
 * freed here is untraced, whoever allocated it.
 *
 * Every symbol is a WEAK alias of a hidden tm_interpose_* function: a
 * program (or a static library in it) that defines its own malloc family
 * links with the whole-archived static runtime, its strong definitions win,
 * and real_alloc.c then sees that ours is not in effect and makes the
 * program's family the real allocator. In a -static program glibc's malloc
 * wins the same way. In that case (tm_real_ours_in_effect == 0) the
 * functions of ours that are still reached (those the program does not
 * define) forward to the program's allocator without recording: the
 * program's free, not ours, will release those blocks, so a trace would
 * outlive them.
 *
 * Rules:
 * - Not tracing: one relaxed load of tm_tracing plus one indirect call
 *   through the real-allocator table.
 * - These run before any constructor (the dynamic loader and dlsym call
 *   calloc early): the table starts resolved-on-first-call (real_alloc.c);
 *   tm_tracing is a zero-initialised global, so they just forward.
 * - The __tm_* hooks call the real allocator directly, and the runtime
 *   never calls malloc for itself, so a block is never recorded twice.
 *   While the runtime runs on this thread (tm_reentrant) nothing is
 *   recorded.
 *
 * Under a sanitizer the sanitizer owns these symbols: this file defines
 * none of them and sanitizer_hooks.c takes over.
 */
#include "hooks.h"

/* Static-link anchor: see anchors.c. */
const char tm_interpose_linked = 1;

#if !TM_SANITIZER_MODE

#include <errno.h>
#include <stdlib.h>

/* The global symbol NAME: a weak, exported alias of tm_interpose_NAME. */
#define TM_INTERPOSE(NAME)                                                     \
  extern __typeof(tm_interpose_##NAME) NAME __attribute__((                    \
      weak, alias("tm_interpose_" #NAME), visibility("default")))

static TM_NOINLINE void *record(void *p, size_t size) {
  if (p != NULL &&
      atomic_load_explicit(&tm_real_ours_in_effect, memory_order_relaxed))
    tm_hooks_record_alloc(p, size, NULL);
  return p;
}

/* While tracing, malloc and calloc make trailer blocks when trailer mode
 * applies (hooks.h), and free, realloc and malloc_usable_size look for a
 * trailer block whenever one may exist (tm_hooks_tracing_or_trailers). */
TM_HIDDEN void *tm_interpose_malloc(size_t size) {
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return tm_hooks_malloc_traced(size, NULL);
  return tm_real_malloc(size);
}
TM_INTERPOSE(malloc);
/* Under a name of its own, so that another runtime copy can tell "the malloc
 * in effect is a tracemalloc interposer" from "the program's own malloc"
 * (tm_rendezvous_is_interposer). No version may rename it. */
extern __typeof(tm_interpose_malloc) __tm_interposed_malloc
    __attribute__((alias("tm_interpose_malloc"), visibility("default")));

TM_HIDDEN void *tm_interpose_calloc(size_t nmemb, size_t size) {
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return tm_hooks_calloc_traced(nmemb, size, NULL);
  return tm_real_calloc(nmemb, size);
}
TM_INTERPOSE(calloc);

TM_HIDDEN void tm_interpose_free(void *ptr) {
  /* Forget the trace before the address can be handed out again. */
  if (TM_UNLIKELY(tm_hooks_tracing_or_trailers())) {
    tm_hooks_free_slow(ptr);
    return;
  }
  tm_real_free(ptr);
}
TM_INTERPOSE(free);

TM_HIDDEN void *tm_interpose_realloc(void *ptr, size_t size) {
  if (TM_LIKELY(!tm_hooks_tracing_or_trailers()) ||
      !atomic_load_explicit(&tm_real_ours_in_effect, memory_order_relaxed))
    return tm_real_realloc(ptr, size);
  return tm_hooks_realloc_slow(ptr, size, NULL);
}
TM_INTERPOSE(realloc);

TM_HIDDEN void *tm_interpose_reallocarray(void *ptr, size_t nmemb,
                                          size_t size) {
  size_t total;
  if (__builtin_mul_overflow(nmemb, size, &total)) {
    errno = ENOMEM; /* glibc's reallocarray */
    return NULL;
  }
  return realloc(ptr, total); /* the realloc in effect, ours or not */
}
TM_INTERPOSE(reallocarray);

TM_HIDDEN void *tm_interpose_memalign(size_t alignment, size_t size) {
  void *p = tm_real_memalign(alignment, size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}
TM_INTERPOSE(memalign);

TM_HIDDEN void *tm_interpose_aligned_alloc(size_t alignment, size_t size) {
  void *p = tm_real_aligned_alloc(alignment, size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}
TM_INTERPOSE(aligned_alloc);

TM_HIDDEN int tm_interpose_posix_memalign(void **memptr, size_t alignment,
                                          size_t size) {
  int rc = tm_real_posix_memalign(memptr, alignment, size);
  if (TM_UNLIKELY(tm_hooks_tracing()) && rc == 0)
    record(*memptr, size);
  return rc;
}
TM_INTERPOSE(posix_memalign);

TM_HIDDEN void *tm_interpose_valloc(size_t size) {
  void *p = tm_real_valloc(size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}
TM_INTERPOSE(valloc);

/* The block is rounded up to whole pages; the trace keeps the request. */
TM_HIDDEN void *tm_interpose_pvalloc(size_t size) {
  void *p = tm_real_pvalloc(size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}
TM_INTERPOSE(pvalloc);

/* Not an allocation, but it reads the block's header: it must be asked of
 * the allocator that made the block, never glibc's on a jemalloc block. A
 * trailer block's usable size leaves our trailer out. */
TM_HIDDEN size_t tm_interpose_malloc_usable_size(void *ptr) {
  if (TM_UNLIKELY(tm_blk_maybe()))
    return tm_hooks_usable_size(ptr);
  return tm_real_malloc_usable_size(ptr);
}
TM_INTERPOSE(malloc_usable_size);

#if defined(__GLIBC__) && defined(M_MXFAST)
/* Not an allocation either: glibc's fastbin limit is kept in the program's
 * units while trailer blocks are 8 bytes larger, so the program's own
 * setting goes through glibc_fastbins.c (every other parameter unchanged). */
TM_HIDDEN int tm_interpose_mallopt(int param, int value) {
  return tm_fastbins_mallopt(param, value);
}
TM_INTERPOSE(mallopt);
#endif

#endif /* !TM_SANITIZER_MODE */
