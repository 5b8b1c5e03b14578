/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* hooks_c.c - the C allocation hooks (__tm_malloc ... __tm_wcsdup) the pass
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
#include <wchar.h>

/* ---- Recording helpers -------------------------------------------------- */

/* The core tests tm_tracing and tm_reentrant itself and keeps errno. */
void tm_hooks_record_alloc(void *ptr, size_t size, const struct tm_site *site) {
  tm_core_on_alloc(ptr, size, site);
}

void tm_hooks_record_free(void *ptr) { tm_core_on_free(ptr); }

/* ---- Trailer blocks (trace_table.h, "Trailer mode") -------------------- */

/* The real free of a trailer block, for the frees the core deferred (a
 * signal handler's, while the runtime was busy on its thread). */
static void trl_release(void *p) { tm_real_free(p); }

/* Record a block made with no site (the interposer) only if our family is
 * in effect: else the program's free, not ours, releases it (interpose.c). */
static inline int record_site(const struct tm_site *site) {
#if TM_SANITIZER_MODE
  (void)site;
  return 1;
#else
  return site != NULL ||
         atomic_load_explicit(&tm_real_ours_in_effect, memory_order_relaxed);
#endif
}

/* A trailer block of `size` bytes, when trailer mode applies (false: it
 * does not, use the side table). *out is the block, or NULL if the real
 * allocator failed. Inlined: it is malloc's fast path while tracing. */
static inline __attribute__((always_inline)) bool
trl_malloc(size_t size, const struct tm_site *site, void **out) {
  if (!TM_LIKELY(tm_hooks_trailer_mode() && !tm_reentrant &&
                 size <= TM_TRL_MAX_SIZE))
    return false;
  void *b = tm_real_malloc(size + TM_TRL_SIZE);
  *out = TM_LIKELY(b != NULL)
             ? tm_core_blk_alloc_inline(b, size, site, trl_release)
             : NULL;
  return true;
}

void *tm_hooks_malloc_traced(size_t size, const struct tm_site *site) {
  void *h;
  if (trl_malloc(size, site, &h))
    return h;
  TM_REAL_BEGIN();
  void *p = tm_real_malloc(size);
  TM_REAL_END();
  if (TM_LIKELY(p != NULL) && record_site(site))
    tm_core_on_alloc(p, size, site);
  return p;
}

void *tm_hooks_calloc_traced(size_t nmemb, size_t size,
                             const struct tm_site *site) {
  size_t total;
  if (tm_hooks_trailer_mode() && !tm_reentrant &&
      !__builtin_mul_overflow(nmemb, size, &total) &&
      total <= TM_TRL_MAX_SIZE) {
    void *b = tm_real_calloc(1, total + TM_TRL_SIZE);
    return b != NULL ? tm_core_blk_alloc_inline(b, total, site, trl_release)
                     : NULL;
  }
  TM_REAL_BEGIN();
  void *p = tm_real_calloc(nmemb, size);
  TM_REAL_END();
  /* A non-NULL result means nmemb * size did not overflow. */
  if (p != NULL && record_site(site))
    tm_core_on_alloc(p, nmemb * size, site);
  return p;
}

/* The free of a block that is not a trailer block (the side table's, or
 * untraced). Out of line so that tm_hooks_free_slow's trailer path, whose
 * only calls are cold ones (TM_COLD_CALL) and the real free's tail call,
 * saves no register: this path's calls are ordinary ones. */
static TM_NOINLINE void free_not_trailer(void *ptr) {
  if (tm_hooks_tracing())
    tm_core_on_free_inline(ptr);
  TM_REAL_BEGIN();
  tm_real_free(ptr);
  TM_REAL_END();
}

void tm_hooks_free_slow(void *ptr) {
  // free(NULL) is common (Lua's l_alloc frees every size-0 request) and
  // traces nothing: no bitmap lookup, no call into the core.
  if (ptr == NULL) {
    TM_REAL_BEGIN();
    tm_real_free(NULL);
    TM_REAL_END();
    return;
  }
  _Atomic uint64_t *w;
  if (tm_blk_maybe() && (w = tm_blk_block_word(ptr)) != NULL) {
    if (tm_core_blk_free_inline(ptr, w) != NULL) /* NULL: a handler's free,
                                                    deferred (busy runtime) */
      tm_real_free(ptr);
    return;
  }
  free_not_trailer(ptr);
}

/* A trailer block's usable size is glibc's, from its chunk header, less the
 * trailer: the offset of the trailer, with no call into glibc (SQLite asks
 * it of every block it allocates and frees). */
size_t tm_hooks_usable_size(void *ptr) {
  if (tm_blk_maybe() && tm_blk_is(ptr))
    return tm_trl_offset((uintptr_t)ptr);
  return tm_real_malloc_usable_size(ptr);
}

/* realloc of a trailer block: the real realloc of p to size + 8, whose
 * result gets the trailer (no table entry moves). A size too large for a
 * trailer goes to the side table. */
static TM_NOINLINE void *trl_realloc(void *ptr, _Atomic uint64_t *w,
                                     size_t size, const struct tm_site *site) {
  if (tm_core_busy()) {
    /* A signal handler's realloc while the runtime is busy on this thread:
     * the bitmap cannot change now. A plain copy (its trace deferred), and
     * the old block's free deferred too (tm_core_blk_free_inline). The
     * copy takes the old block's usable bytes up to its trailer: never
     * fewer than it holds, whatever the trailer says. */
    void *n = NULL;
    if (size != 0) {
      n = tm_real_malloc(size);
      if (n == NULL)
        return NULL; /* the old block stays valid */
      size_t old = tm_trl_offset((uintptr_t)ptr);
      memcpy(n, ptr, old < size ? old : size);
      tm_core_on_alloc(n, size, site);
    }
    tm_core_blk_free_inline(ptr, w);
    return n;
  }
  tm_blk_detached_t d;
  tm_core_blk_detach(ptr, w, &d);
  /* size 0: glibc frees and returns NULL; an allocator that returns a
   * minimal block instead returns a plain one, traced in the side table.
   * So is a block too large for a trailer. */
  bool trailer = size != 0 && size <= TM_TRL_MAX_SIZE;
  void *nb = tm_real_realloc(ptr, trailer ? size + TM_TRL_SIZE : size);
  if (nb == NULL) {
    if (size != 0)
      tm_core_blk_restore(ptr, &d); /* the block is still valid (CPython) */
    return NULL;
  }
  if (!trailer) {
    tm_core_on_alloc(nb, size, site);
    return nb;
  }
  return tm_core_blk_alloc_inline(nb, size, site, trl_release);
}

void *tm_hooks_realloc_slow(void *ptr, size_t size,
                            const struct tm_site *site) {
  void *r;
  // realloc(NULL, n) first: it is how some programs allocate (Lua's
  // l_alloc makes every block so), and NULL is never a trailer block.
  if (ptr == NULL)
    return tm_hooks_tracing() ? tm_hooks_malloc_traced(size, site)
                              : tm_real_realloc(NULL, size);
  _Atomic uint64_t *w;
  if (tm_blk_maybe() && (w = tm_blk_block_word(ptr)) != NULL)
    return trl_realloc(ptr, w, size, site);
  if (!tm_hooks_tracing()) /* trailers about, but this is not one */
    return tm_real_realloc(ptr, size);
  if (size == 0) {
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
  void *h;
  if (trl_malloc(size, site, &h))
    return h;
  TM_REAL_BEGIN();
  void *p = tm_real_malloc(size);
  TM_REAL_END();
  if (TM_LIKELY(p != NULL))
    tm_core_on_alloc_inline(p, size, site);
  return p;
}

static TM_NOINLINE void *calloc_slow(size_t nmemb, size_t size,
                                     const struct tm_site *site) {
  return tm_hooks_calloc_traced(nmemb, size, site);
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
  if (TM_LIKELY(!tm_hooks_tracing_or_trailers()))
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
  if (TM_LIKELY(!tm_hooks_tracing_or_trailers())) {
    tm_real_free(ptr);
    return;
  }
  tm_hooks_free_slow(ptr);
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

/* strdup, strndup and wcsdup are done here (length + real malloc + copy)
 * rather than by calling libc's, so that the block is recorded once, with
 * the site, and not a second time by the interposed malloc libc would call. */
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

/* glibc's wcsdup: (wcslen + 1) wide characters from malloc, errno from it.
 * The product cannot wrap: the source string already occupies that many
 * bytes. */
wchar_t *__tm_wcsdup(const wchar_t *s, const struct tm_site *site) {
  size_t n = (wcslen(s) + 1) * sizeof(wchar_t);
  wchar_t *p = __tm_malloc(n, site);
  if (p != NULL)
    memcpy(p, s, n);
  return p;
}

/* With the static library an object file is linked only when something
 * refers to it: whoever calls a hook also gets the interposition, the
 * thread-start wrapper and the sanitizer hooks (anchors.c). */
__attribute__((used)) static const char *const tm_hooks_link_keep =
    &tm_hooks_anchors_linked;
