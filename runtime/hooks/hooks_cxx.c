/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* hooks_cxx.c - the C++ operator new/delete hooks (__tm__Znwm ...), in C.
 * Compiled with -fexceptions: exceptions (std::bad_alloc, or whatever a
 * new_handler throws) pass through these frames and run their cleanups.
 *
 * Two ways to implement an operator, chosen once per process:
 *
 * - Own (the program uses libstdc++'s operators, no sanitizer): libstdc++'s
 *   algorithm on the real allocator, so the block is recorded once, with its
 *   site: malloc(size ? size : 1) (new(0) gives a unique pointer; the trace
 *   says 0 bytes, the size requested), and while that fails call the
 *   std::get_new_handler() handler, or throw std::bad_alloc through
 *   std::__throw_bad_alloc() when there is none. Aligned new checks that
 *   the alignment is a power of two (else bad_alloc, as libstdc++) and uses
 *   memalign. Nothrow new returns NULL when there is no handler. When there
 *   is one it may throw bad_alloc, which must become NULL, and C cannot
 *   catch: that rare case is handed to libstdc++'s own nothrow operator
 *   (which does the standard's try/catch), as in "delegate" below.
 *
 * - Delegate (the program replaced some operator, a sanitizer owns new and
 *   delete and checks their pairing, or the C++ runtime is not libstdc++):
 *   call the program's operator (the weak reference resolves to whatever
 *   definition the program links, replacement included) with tm_reentrant
 *   raised, so the malloc inside it is not recorded, then record the result
 *   with the site. A cleanup attribute lowers tm_reentrant again when the
 *   operator throws. Allocations made by a new_handler running inside a
 *   delegated operator are therefore not traced.
 *
 * Delete hooks untrace the block first (before its address can be reused),
 * then free it: own mode with the real free (libstdc++'s deletes all end in
 * free), delegate mode through the program's operator with every argument.
 *
 * The C++ runtime symbols are weak so that a pure C program links without
 * libstdc++ (it never calls these hooks); a C program that dlopen's C++
 * code finds them with dlsym at the first call. A libstdc++ linked
 * statically into the program looks like a replacement: delegate mode,
 * correct and slightly slower.
 */
#include "hooks.h"

#include <dlfcn.h>
#include <string.h>

/* ---- The program's operators (weak: NULL without a C++ runtime) ---------- */

typedef void (*tm_new_handler)(void);
#define TM_WEAK __attribute__((weak))
extern tm_new_handler _ZSt15get_new_handlerv(void) TM_WEAK;
extern void _ZSt17__throw_bad_allocv(void) TM_WEAK __attribute__((noreturn));

/* Every C++ operator of tracemalloc_hooks.def (hooks_cxx_ops.h). */
#define TM_CXX_NEW(NAME, PARAMS, ARGS, ALIGNED, ALIGN, NOTHROW)                \
  extern void *NAME PARAMS TM_WEAK;
#define TM_CXX_DELETE(NAME, PARAMS, ARGS) extern void NAME PARAMS TM_WEAK;
#include "hooks_cxx_ops.h"

/* ---- Mode ------------------------------------------------------------------
 */

enum { MODE_UNKNOWN = 0, MODE_OWN, MODE_DELEGATE };
static atomic_int cxx_mode;

/* Is the definition at `fn` libstdc++'s (not a replacement)? */
static int from_libstdcxx(void *fn) {
  Dl_info info;
  if (fn == NULL)
    return 1; /* not linked: nothing replaced */
  if (dladdr(fn, &info) == 0 || info.dli_fname == NULL)
    return 0;
  const char *base = strrchr(info.dli_fname, '/');
  base = base ? base + 1 : info.dli_fname;
  return strncmp(base, "libstdc++.so", 12) == 0;
}

/* The operator each delegating hook calls. The weak reference when it is
 * bound; otherwise (a C program that dlopen'ed C++ code: the reference was
 * resolved, to NULL, before libstdc++ was loaded) whatever dlsym finds now.
 * Written before cxx_mode is published (release), read after (acquire). */
#define TM_CXX_NEW(NAME, ...) static _Atomic(void *) NAME##_fn;
#define TM_CXX_DELETE(NAME, ...) static _Atomic(void *) NAME##_fn;
#include "hooks_cxx_ops.h"

static void *resolve_op(void *weak_ref, const char *name) {
  static const char *const runtimes[] = {"libstdc++.so.6", "libc++.so.1"};
  if (weak_ref != NULL)
    return weak_ref;
  void *fn = dlsym(RTLD_DEFAULT, name);
  /* Loaded with RTLD_LOCAL (a dlopen'ed library's dependency): not in the
   * global scope, but already loaded. */
  for (size_t i = 0; fn == NULL && i < sizeof runtimes / sizeof *runtimes;
       i++) {
    void *h = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);
    if (h != NULL) {
      fn = dlsym(h, name);
      dlclose(h);
    }
  }
  return fn;
}

/* Own mode only when every operator is libstdc++'s: its nothrow, sized and
 * array variants call the plain ones, so one replacement affects them all.
 * Racing threads compute and store the same values. */
static TM_NOINLINE int detect_mode(void) {
  int own = !TM_SANITIZER_MODE && _ZSt15get_new_handlerv != NULL &&
            _ZSt17__throw_bad_allocv != NULL;
#define TM_RESOLVE_OP(NAME)                                                    \
  {                                                                            \
    void *fn = resolve_op((void *)NAME, #NAME);                                \
    atomic_store_explicit(&NAME##_fn, fn, memory_order_relaxed);               \
    own = own && from_libstdcxx(fn);                                           \
  }
#define TM_CXX_NEW(NAME, ...) TM_RESOLVE_OP(NAME)
#define TM_CXX_DELETE(NAME, ...) TM_RESOLVE_OP(NAME)
#include "hooks_cxx_ops.h"
#undef TM_RESOLVE_OP
  int mode = own ? MODE_OWN : MODE_DELEGATE;
  atomic_store_explicit(&cxx_mode, mode, memory_order_release);
  return mode;
}

static inline int cxx_own(void) {
  int mode = atomic_load_explicit(&cxx_mode, memory_order_acquire);
  if (TM_UNLIKELY(mode == MODE_UNKNOWN))
    mode = detect_mode();
  return mode == MODE_OWN;
}

/* The resolved operator NAME, with its C type. */
#define TM_OP(NAME, RET, PARAMS)                                               \
  ((RET(*) PARAMS)atomic_load_explicit(&NAME##_fn, memory_order_relaxed))

/* Raise tm_reentrant for the rest of the enclosing block, lowered again on
 * normal exit and when an exception unwinds through it. */
static void reentrant_leave(int *unused) {
  (void)unused;
  tm_reentrant -= TM_REENTRANT_IGNORE;
}
#define TM_REENTRANT_SCOPE()                                                   \
  tm_reentrant += TM_REENTRANT_IGNORE;                                         \
  int tm_scope_ __attribute__((cleanup(reentrant_leave), unused)) = 0

/* ---- Own mode
 * ---------------------------------------------------------------- */

static inline int valid_align(size_t align) {
  return align != 0 && (align & (align - 1)) == 0;
}

/* One attempt at the block. An invalid alignment fails. */
static inline void *own_try(size_t size, int aligned, size_t align) {
  size_t n = size ? size : 1; /* a unique pointer for new(0) */
  if (!aligned)
    return tm_real_malloc(n);
  if (!valid_align(align))
    return NULL;
  return tm_real_memalign(align, n);
}

/* The throwing new after a failed first attempt: libstdc++'s loop. */
static TM_NOINLINE void *own_new_retry(size_t size, int aligned, size_t align) {
  if (aligned && !valid_align(align))
    _ZSt17__throw_bad_allocv();
  for (;;) {
    tm_new_handler handler = _ZSt15get_new_handlerv();
    if (handler == NULL)
      _ZSt17__throw_bad_allocv();
    handler();
    void *p = own_try(size, aligned, align);
    if (p != NULL)
      return p;
  }
}

/* Nothrow new after a failed first attempt: NULL unless a handler might
 * make room; then libstdc++'s own nothrow operator, which loops and turns a
 * thrown bad_alloc into NULL (C cannot catch). */
#define TM_NOTHROW_RETRY(NAME, PARAMS, ARGS, ALIGNED, ALIGN, P)                \
  do {                                                                         \
    if ((!(ALIGNED) || valid_align(ALIGN)) &&                                  \
        _ZSt15get_new_handlerv() != NULL) {                                    \
      TM_REENTRANT_SCOPE();                                                    \
      (P) = TM_OP(NAME, void *, PARAMS) ARGS;                                  \
    }                                                                          \
  } while (0)

/* ---- The new hooks
 * ------------------------------------------------------------ */

#define TM_CXX_NEW(NAME, PARAMS, ARGS, ALIGNED, ALIGN, NOTHROW)                \
  void *__tm_##NAME TM_HOOK_APPEND_SITE PARAMS {                               \
    void *p = NULL;                                                            \
    if (TM_LIKELY(cxx_own())) {                                                \
      /* While tracing, an unaligned new is malloc's trailer block. */         \
      if (!(ALIGNED) && TM_UNLIKELY(tm_hooks_tracing()) &&                     \
          tm_hooks_trailer_mode() &&                                           \
          (p = tm_hooks_malloc_traced(size, site)) != NULL)                    \
        return p;                                                              \
      p = own_try(size, ALIGNED, ALIGN);                                       \
      if (TM_UNLIKELY(p == NULL)) {                                            \
        if (NOTHROW)                                                           \
          TM_NOTHROW_RETRY(NAME, PARAMS, ARGS, ALIGNED, ALIGN, p);             \
        else                                                                   \
          p = own_new_retry(size, ALIGNED, ALIGN);                             \
      }                                                                        \
    } else if (TM_LIKELY(TM_OP(NAME, void *, PARAMS) != NULL)) {               \
      TM_REENTRANT_SCOPE();                                                    \
      p = TM_OP(NAME, void *, PARAMS) ARGS;                                    \
    } else { /* no C++ runtime at all: cannot happen, do not crash */          \
      TM_REAL_BEGIN();                                                         \
      p = own_try(size, ALIGNED, ALIGN);                                       \
      TM_REAL_END();                                                           \
    }                                                                          \
    if (TM_UNLIKELY(tm_hooks_tracing()) && p != NULL)                          \
      tm_hooks_record_alloc(p, size, site);                                    \
    return p;                                                                  \
  }
#define TM_CXX_DELETE(NAME, PARAMS, ARGS)
#include "hooks_cxx_ops.h"

/* ---- The delete hooks -------------------------------------------------------
 */

/* The block goes to the real free. It may be a trailer block: one that
 * libstdc++'s operator new (uninstrumented code's new) got from our
 * malloc. */
static inline void delete_own(void *ptr) {
  if (TM_UNLIKELY(tm_hooks_tracing_or_trailers()) && ptr != NULL) {
    tm_hooks_free_slow(ptr);
    return;
  }
  TM_REAL_BEGIN();
  tm_real_free(ptr);
  TM_REAL_END();
}

#define TM_CXX_DELETE(NAME, PARAMS, ARGS)                                      \
  void __tm_##NAME TM_HOOK_APPEND_SITE PARAMS {                                \
    (void)site;                                                                \
    if (TM_LIKELY(cxx_own()) || TM_OP(NAME, void, PARAMS) == NULL) {           \
      delete_own(ptr);                                                         \
      return;                                                                  \
    }                                                                          \
    if (TM_UNLIKELY(tm_hooks_tracing()) && ptr != NULL)                        \
      tm_hooks_record_free(ptr);                                               \
    TM_REENTRANT_SCOPE();                                                      \
    TM_OP(NAME, void, PARAMS) ARGS;                                            \
  }
#define TM_CXX_NEW(NAME, PARAMS, ARGS, ALIGNED, ALIGN, NOTHROW)
#include "hooks_cxx_ops.h"
