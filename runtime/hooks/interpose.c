/* interpose.c - the malloc family, defined by the runtime so that code that
 * is not instrumented (libc, libstdc++, any library built without the pass)
 * is traced too.
 *
 * glibc supports replacing malloc: when the program (or a library loaded
 * before libc) defines malloc, free, calloc, realloc and the aligned
 * variants, every allocation in the process, libc's own included, goes
 * through them. Ours forward to glibc's __libc_* entry points and, while
 * tracing, record the block with no site: the core attributes it to the
 * nearest instrumented caller on the shadow stack, as CPython attributes a
 * C allocation to the Python line that called into C. A block freed here is
 * untraced, whoever allocated it.
 *
 * Rules:
 * - Not tracing: one relaxed load of tm_tracing plus the real call.
 * - These run before any constructor (the dynamic loader and dlsym call
 *   calloc early): nothing here may need initialisation; tm_tracing is a
 *   zero-initialised global, so they just forward.
 * - The __tm_* hooks call __libc_* directly, and the runtime never calls
 *   malloc for itself, so a block is never recorded twice. While the
 *   runtime runs on this thread (tm_reentrant) nothing is recorded.
 *
 * Under a sanitizer the sanitizer owns these symbols: this file defines
 * none of them and sanitizer_hooks.c takes over.
 */
#include "hooks.h"

const char tm_interpose_linked = 1;

#if !TM_SANITIZER_MODE

#include <errno.h>
#include <stdlib.h>

static TM_NOINLINE void *record(void *p, size_t size) {
  if (p != NULL)
    tm_hooks_record_alloc(p, size, NULL);
  return p;
}

static TM_NOINLINE void forget(void *p) {
  if (p != NULL)
    tm_hooks_record_free(p);
}

TM_EXPORT void *malloc(size_t size) {
  void *p = __libc_malloc(size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}

TM_EXPORT void *calloc(size_t nmemb, size_t size) {
  void *p = __libc_calloc(nmemb, size);
  /* Non-NULL: nmemb * size did not overflow (glibc checks). */
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, nmemb * size);
  return p;
}

TM_EXPORT void free(void *ptr) {
  /* Forget the trace before the address can be handed out again. */
  if (TM_UNLIKELY(tm_hooks_tracing()))
    forget(ptr);
  __libc_free(ptr);
}

TM_EXPORT void *realloc(void *ptr, size_t size) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return __libc_realloc(ptr, size);
  return tm_hooks_realloc_slow(ptr, size, NULL);
}

TM_EXPORT void *reallocarray(void *ptr, size_t nmemb, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(nmemb, size, &total)) {
    errno = ENOMEM; /* glibc's reallocarray */
    return NULL;
  }
  return realloc(ptr, total);
}

/* glibc 2.36: aligned_alloc and memalign are both __libc_memalign. */
TM_EXPORT void *memalign(size_t alignment, size_t size) {
  void *p = __libc_memalign(alignment, size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}

TM_EXPORT void *aligned_alloc(size_t alignment, size_t size) {
  void *p = __libc_memalign(alignment, size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}

TM_EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size) {
  int rc = tm_real_posix_memalign(memptr, alignment, size);
  if (TM_UNLIKELY(tm_hooks_tracing()) && rc == 0)
    record(*memptr, size);
  return rc;
}

TM_EXPORT void *valloc(size_t size) {
  void *p = __libc_valloc(size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}

/* The block is rounded up to whole pages; the trace keeps the request. */
TM_EXPORT void *pvalloc(size_t size) {
  void *p = __libc_pvalloc(size);
  if (TM_UNLIKELY(tm_hooks_tracing()))
    return record(p, size);
  return p;
}

#endif /* !TM_SANITIZER_MODE */
