/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* hooks_test.h - helpers for the allocation-hook tests (test_hooks_*).
 *
 * The unit tests are not built with the pass, so they do by hand what it
 * would emit: a static struct tm_site per call site, the __tm_* hook called
 * with it, and shadow-stack pushes around calls into uninstrumented code
 * (the protocol of tracemalloc_abi.h, section 2). Counters are read with
 * tm_get_traced_memory and tracebacks with tm_get_object_traceback; neither
 * calls malloc, so measuring does not disturb what is measured.
 */
#ifndef TM_HOOKS_TEST_H
#define TM_HOOKS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "tracemalloc.h"
#include "tracemalloc_abi.h"

#ifndef TM_INTERNAL_H
/* Core internals the tests drive directly (hidden, but the static library
 * links them into the test). C tests get them from runtime/core/internal.h. */
#ifdef __cplusplus
extern "C" {
#endif
extern __thread int tm_reentrant;
void tm_shadow_thread_init(void);
#ifdef __cplusplus
}
#endif
#endif

#ifdef __cplusplus
/* The hook prototypes (C code gets them from runtime/hooks/hooks.h). */
#define HT_APPEND_SITE(...) (__VA_ARGS__, const struct tm_site *site)
extern "C" {
#define TM_HOOK(NAME, RET, PARAMS, ARGS, KIND)                                 \
  RET __tm_##NAME HT_APPEND_SITE PARAMS;
#include "tracemalloc_hooks.def"
#undef TM_HOOK
}
#define HT_EXTERN_C extern "C"
#else
#define HT_EXTERN_C
#endif

/* Under a sanitizer, allocations that cannot be satisfied return NULL (as
 * glibc's do) instead of aborting the test. */
HT_EXTERN_C const char *__asan_default_options(void);
HT_EXTERN_C const char *__asan_default_options(void) {
  return "allocator_may_return_null=1";
}
HT_EXTERN_C const char *__tsan_default_options(void);
HT_EXTERN_C const char *__tsan_default_options(void) {
  return "allocator_may_return_null=1";
}

/* Make a pointer escape, so that no compiler removes a malloc/free pair
 * whose effect on the counters the test measures. */
static void *volatile ht_sink;
#define HT_ESCAPE(p) (ht_sink = (void *)(p))

/* Built with a sanitizer that owns malloc? (The runtime is then in
 * sanitizer-hook mode and C++ operators are the sanitizer's.) */
#if defined(__has_feature)
#define HT_HAS_FEATURE(x) __has_feature(x)
#else
#define HT_HAS_FEATURE(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) ||           \
    HT_HAS_FEATURE(address_sanitizer) || HT_HAS_FEATURE(thread_sanitizer) ||   \
    HT_HAS_FEATURE(memory_sanitizer)
#define HT_SANITIZER 1
#else
#define HT_SANITIZER 0
#endif
/* TSan (LLVM 19) runs the allocator hooks for malloc, calloc and realloc
 * but not for memalign, aligned_alloc, posix_memalign, valloc, pvalloc. */
#if defined(__SANITIZE_THREAD__) || HT_HAS_FEATURE(thread_sanitizer)
#define HT_TSAN 1
#else
#define HT_TSAN 0
#endif

/* A static call site named after the line it is written on, in the
 * binary's `tm_sites` section, as the pass places its sites, so that a
 * frame record naming it is read (ht_register_sites). */
#define HT_SITE(name)                                                          \
  static const struct tm_site name                                             \
      __attribute__((section("tm_sites"), aligned(8), used)) = {               \
          __FILE__, __func__, NULL, __LINE__, 0, 0, 0}

/* The section's bounds (weak: a binary without HT_SITE has none), registered
 * as an instrumented image's constructor registers its own. */
extern const struct tm_site __start_tm_sites[] __attribute__((weak));
extern const struct tm_site __stop_tm_sites[] __attribute__((weak));
__attribute__((constructor)) static void ht_register_sites(void) {
  if (__start_tm_sites != NULL)
    __tm_module_init_v4(__start_tm_sites, __stop_tm_sites);
}

/* Run `expr` as an instrumented function would run a call: push a frame
 * record naming `site` (the caller's line), then pop it, exactly as
 * tracemalloc_abi.h section 2 says. The barriers stand for what the pass
 * guarantees by running last: the compiler knows malloc reads no program
 * memory and would otherwise drop the push and pop around a plain malloc
 * as dead stores. */
#define HT_CALL_FROM(site, expr)                                               \
  do {                                                                         \
    struct tm_frame_record ht_rec_ = {__tm_shadow_top, (site)};                \
    __atomic_store_n(&__tm_shadow_top, &ht_rec_, __ATOMIC_RELEASE);            \
    __asm__ volatile("" ::: "memory");                                         \
    expr;                                                                      \
    __asm__ volatile("" ::: "memory");                                         \
    __tm_shadow_top = ht_rec_.prev;                                            \
  } while (0)

static inline size_t ht_current(void) {
  size_t cur = 0;
  tm_get_traced_memory(&cur, NULL);
  return cur;
}

static inline size_t ht_peak(void) {
  size_t peak = 0;
  tm_get_traced_memory(NULL, &peak);
  return peak;
}

/* Is p traced? */
static inline int ht_traced(const void *p) {
  tm_traceback_t *tb = NULL;
  if (tm_get_object_traceback(p, &tb) != TM_OK || tb == NULL)
    return 0;
  tm_traceback_free(tb);
  return 1;
}

/* The most recent frame of p's traceback is site's file:line. */
#define HT_CHECK_SITE(p, site)                                                 \
  do {                                                                         \
    tm_traceback_t *ht_tb_ = NULL;                                             \
    CHECK_EQ_INT(tm_get_object_traceback((p), &ht_tb_), TM_OK);                \
    CHECK(ht_tb_ != NULL);                                                     \
    if (ht_tb_ != NULL) {                                                      \
      const tm_frame_t *ht_f_ = tm_traceback_frames(ht_tb_);                   \
      CHECK(tm_traceback_length(ht_tb_) >= 1);                                 \
      CHECK_EQ_STR(ht_f_[0].filename, (site).file);                            \
      CHECK_EQ_INT(ht_f_[0].lineno, (site).line);                              \
      tm_traceback_free(ht_tb_);                                               \
    }                                                                          \
  } while (0)

#endif /* TM_HOOKS_TEST_H */
