/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* hooks_c.c - the C allocation hooks (__tm_malloc ... __tm_strndup) the pass
 * calls instead of the malloc family, and the recording helpers the other
 * entry points (interpose.c, sanitizer_hooks.c, hooks_cxx.c) share.
 *
 * Each hook has exactly the semantics of the function it replaces (return
 * value, errno, glibc's argument checks) and then records the block with
 * the size the caller asked for and the site the pass passed. The fast path
 * is one relaxed load of tm_tracing and the real call; everything else sits
 * in noinline slow paths taken only while tracing.
 *
 * Ordering, for threads: a trace is removed BEFORE the block goes back to
 * the allocator (free, delete, realloc(p, 0)), so that another thread that
 * gets the same address from malloc cannot have its fresh trace removed by
 * us. realloc follows the same rule through tm_core_realloc_begin/end: the
 * old trace is detached before the real call and restored if it fails.
 */
#include "hooks.h"
#include "trace_table.h" /* tm_core_on_*_inline: the recording fast path */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- Recording helpers -------------------------------------------------- */

/* The core tests tm_tracing and tm_reentrant itself and keeps errno. */
void tm_hooks_record_alloc(void *ptr, size_t size, const struct tm_site *site) {
  tm_core_on_alloc(ptr, size, site);
}

void tm_hooks_record_free(void *ptr) { tm_core_on_free(ptr); }

void *tm_hooks_realloc_slow(void *ptr, size_t size,
                            const struct tm_site *site) {
  void *r;
  if (ptr != NULL && size == 0) {
    /* glibc 2.36 (and every sanitizer by default) frees ptr and returns
     * NULL: forget the trace first, while the address is still ours. A libc
     * that returns a minimal block instead gets it traced with size 0. */
    tm_hooks_record_free(ptr);
    TM_REAL_BEGIN();
    r = tm_real_realloc(ptr, 0);
    TM_REAL_END();
    if (r != NULL)
      tm_hooks_record_alloc(r, 0, site);
    return r;
  }
  /* The old trace comes out BEFORE the real realloc can free the old
   * block, so another thread that gets that address from malloc cannot
   * lose its fresh trace to us; on failure it goes back untouched (the
   * block is still valid: CPython), on success the block is traced at the
   * result with the realloc site, and the peak sees current - old + new. */
  tm_core_realloc_token_t tok;
  tm_core_realloc_begin(ptr, &tok);
  TM_REAL_BEGIN();
  r = tm_real_realloc(ptr, size);
  TM_REAL_END();
  tm_core_realloc_end(&tok, r, size, site);
  return r;
}

void *tm_hooks_untraced_malloc(size_t size) {
  TM_REAL_BEGIN();
  void *p = tm_real_malloc(size);
  TM_REAL_END();
  return p;
}

void tm_hooks_untraced_free(void *ptr) {
  TM_REAL_BEGIN();
  tm_real_free(ptr);
  TM_REAL_END();
}

/* ---- Slow paths ---------------------------------------------------------- */

/* The slow path of every hook that allocates a fresh block: real call
 * (bracketed in sanitizer mode), then record `size` if it succeeded. */
#define TM_ALLOC_SLOW(TYPE, CALL, SIZE)                                        \
  do {                                                                         \
    TM_REAL_BEGIN();                                                           \
    TYPE p_ = CALL;                                                            \
    TM_REAL_END();                                                             \
    if (p_ != NULL)                                                            \
      tm_hooks_record_alloc(p_, (SIZE), site);                                 \
    return p_;                                                                 \
  } while (0)

/* malloc and free, the pair that matters most, record inline: the real
 * call plus the core's fast path, one function (trace_table.h). */
static TM_NOINLINE void *malloc_slow(size_t size, const struct tm_site *site) {
  TM_REAL_BEGIN();
  void *p = tm_real_malloc(size);
  TM_REAL_END();
  if (TM_LIKELY(p != NULL))
    tm_core_on_alloc_inline(p, size, site);
  return p;
}

static TM_NOINLINE void *calloc_slow(size_t nmemb, size_t size,
                                     const struct tm_site *site) {
  /* A non-NULL result means nmemb * size did not overflow. */
  TM_ALLOC_SLOW(void *, tm_real_calloc(nmemb, size), nmemb *size);
}

static TM_NOINLINE void free_slow(void *ptr) {
  tm_core_on_free_inline(ptr); /* nothing for NULL */
  TM_REAL_BEGIN();
  tm_real_free(ptr);
  TM_REAL_END();
}

static TM_NOINLINE void *memalign_slow(size_t alignment, size_t size,
                                       int aligned_alloc_api,
                                       const struct tm_site *site) {
  if (aligned_alloc_api)
    TM_ALLOC_SLOW(void *, tm_real_aligned_alloc(alignment, size), size);
  TM_ALLOC_SLOW(void *, tm_real_memalign(alignment, size), size);
}

static TM_NOINLINE int posix_memalign_slow(void **memptr, size_t alignment,
                                           size_t size,
                                           const struct tm_site *site) {
  void *p = NULL;
  TM_REAL_BEGIN();
  int rc = tm_real_posix_memalign(&p, alignment, size);
  TM_REAL_END();
  if (rc != 0)
    return rc; /* *memptr untouched, as glibc leaves it */
  tm_hooks_record_alloc(p, size, site);
  *memptr = p;
  return 0;
}

static TM_NOINLINE void *valloc_slow(size_t size, int page_rounded,
                                     const struct tm_site *site) {
  /* pvalloc rounds the block up to whole pages; the trace keeps the size
   * the caller asked for, like every other hook. */
  if (page_rounded)
    TM_ALLOC_SLOW(void *, tm_real_pvalloc(size), size);
  TM_ALLOC_SLOW(void *, tm_real_valloc(size), size);
}

/* ---- The hooks ----------------------------------------------------------- */

void *__tm_malloc(size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_malloc(size);
  return malloc_slow(size, site);
}

void *__tm_calloc(size_t nmemb, size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_calloc(nmemb, size);
  return calloc_slow(nmemb, size, site);
}

void *__tm_realloc(void *ptr, size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_realloc(ptr, size);
  return tm_hooks_realloc_slow(ptr, size, site);
}

void *__tm_reallocarray(void *ptr, size_t nmemb, size_t size,
                        const struct tm_site *site) {
  size_t total;
  if (__builtin_mul_overflow(nmemb, size, &total)) {
#if TM_SANITIZER_MODE
    /* Let the sanitizer report (or return NULL) as it would. TSan runs its
     * free hook on ptr before it even checks: keep our hook out of it. */
    TM_REAL_BEGIN();
    void *r = reallocarray(ptr, nmemb, size);
    TM_REAL_END();
    return r;
#else
    errno = ENOMEM; /* glibc's reallocarray */
    return NULL;
#endif
  }
  return __tm_realloc(ptr, total, site);
}

void __tm_free(void *ptr, const struct tm_site *site) {
  (void)site;
  if (TM_LIKELY(!tm_hooks_tracing())) {
    tm_real_free(ptr);
    return;
  }
  free_slow(ptr);
}

void *__tm_aligned_alloc(size_t alignment, size_t size,
                         const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_aligned_alloc(alignment, size);
  return memalign_slow(alignment, size, 1, site);
}

int __tm_posix_memalign(void **memptr, size_t alignment, size_t size,
                        const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_posix_memalign(memptr, alignment, size);
  return posix_memalign_slow(memptr, alignment, size, site);
}

void *__tm_memalign(size_t alignment, size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_memalign(alignment, size);
  return memalign_slow(alignment, size, 0, site);
}

void *__tm_valloc(size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_valloc(size);
  return valloc_slow(size, 0, site);
}

void *__tm_pvalloc(size_t size, const struct tm_site *site) {
  if (TM_LIKELY(!tm_hooks_tracing()))
    return tm_real_pvalloc(size);
  return valloc_slow(size, 1, site);
}

/* strdup and strndup are done here (length + real malloc + copy) rather
 * than by calling libc's, so that the block is recorded once, with the
 * site, and not a second time by the interposed malloc libc would call. */
char *__tm_strdup(const char *s, const struct tm_site *site) {
  size_t n = strlen(s) + 1;
  char *p = __tm_malloc(n, site);
  if (p != NULL)
    memcpy(p, s, n);
  return p;
}

char *__tm_strndup(const char *s, size_t n, const struct tm_site *site) {
  size_t len = strnlen(s, n);
  char *p = __tm_malloc(len + 1, site);
  if (p != NULL) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

/* With the static library an object file is linked only when something
 * refers to it: whoever calls a hook also gets the interposition, the
 * thread-start wrapper and the sanitizer hooks (anchors.c). */
__attribute__((used)) static const char *const tm_hooks_link_keep =
    &tm_hooks_anchors_linked;
