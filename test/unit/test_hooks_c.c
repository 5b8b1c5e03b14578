/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_c.c - the C allocation hooks (__tm_malloc ... __tm_wcsdup):
 * the semantics of the function each replaces (results, errno, glibc's
 * argument checks) and the accounting (size recorded = size requested, the
 * site, CPython's realloc rules, peak).
 *
 * The expected semantics are taken from the real functions themselves where
 * possible: libc's posix_memalign/aligned_alloc/memalign are looked up with
 * dlsym(RTLD_NEXT) and compared result for result with the hooks.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "hooks.h"
#include "hooks/hooks_test.h"

/* Larger than any allocator will grant, smaller than PTRDIFF_MAX. */
#define HUGE_SIZE (SIZE_MAX / 4)

static void test_malloc_free(void) {
  HT_SITE(s_malloc);
  HT_SITE(s_free);
  size_t c0 = ht_current();
  char *p = __tm_malloc(100, &s_malloc);
  CHECK(p != NULL);
  CHECK_EQ_INT(ht_current() - c0, 100);
  HT_CHECK_SITE(p, s_malloc);
  memset(p, 1, 100);
  __tm_free(p, &s_free);
  CHECK_EQ_INT(ht_current(), c0);
  __tm_free(NULL, &s_free); /* ignored */
  CHECK_EQ_INT(ht_current(), c0);

  /* malloc(0): whatever glibc returns (a unique pointer), traced as 0. */
  void *z = __tm_malloc(0, &s_malloc);
  CHECK(z != NULL);
  CHECK(ht_traced(z));
  CHECK_EQ_INT(ht_current(), c0);
  __tm_free(z, &s_free);
  CHECK(!ht_traced(z));

  /* Failure: NULL, ENOMEM, nothing recorded. */
  errno = 0;
  CHECK(__tm_malloc(HUGE_SIZE, &s_malloc) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  CHECK_EQ_INT(ht_current(), c0);

  /* errno is what the real malloc leaves: untouched on success. */
  errno = 1234;
  p = __tm_malloc(10, &s_malloc);
  CHECK_EQ_INT(errno, 1234);
  __tm_free(p, &s_free);
  CHECK_EQ_INT(errno, 1234);
}

static void test_calloc(void) {
  HT_SITE(s_calloc);
  size_t c0 = ht_current();
  unsigned char *p = __tm_calloc(10, 7, &s_calloc);
  CHECK(p != NULL);
  CHECK_EQ_INT(ht_current() - c0, 70);
  HT_CHECK_SITE(p, s_calloc);
  int zero = 1;
  for (int i = 0; i < 70; i++)
    zero &= p[i] == 0;
  CHECK(zero);
  __tm_free(p, &s_calloc);
  CHECK_EQ_INT(ht_current(), c0);

  /* nmemb * size overflows: NULL with ENOMEM, as glibc. */
  errno = 0;
  CHECK(__tm_calloc(SIZE_MAX / 2, 3, &s_calloc) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  errno = 0;
  CHECK(__tm_calloc(HUGE_SIZE, 1, &s_calloc) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  CHECK_EQ_INT(ht_current(), c0);
}

static void test_realloc(void) {
  HT_SITE(s_malloc);
  HT_SITE(s_realloc);
  HT_SITE(s_grow);
  size_t c0 = ht_current();

  /* realloc(NULL, n) is malloc(n), traced at the realloc site. */
  char *p = __tm_realloc(NULL, 50, &s_realloc);
  CHECK(p != NULL);
  CHECK_EQ_INT(ht_current() - c0, 50);
  HT_CHECK_SITE(p, s_realloc);
  __tm_free(p, NULL);

  /* Re-tagged with the realloc site, even when shrinking in place. */
  p = __tm_malloc(1000, &s_malloc);
  HT_CHECK_SITE(p, s_malloc);
  char *q = __tm_realloc(p, 900, &s_realloc);
  CHECK(q != NULL);
  CHECK_EQ_INT(ht_current() - c0, 900);
  HT_CHECK_SITE(q, s_realloc);

  /* A moving realloc: the old trace goes, and peak never counts both. */
  tm_reset_peak();
  size_t big = 64 << 20; /* mmap'ed: moves (or mremaps) */
  char *r = __tm_realloc(q, big, &s_grow);
  CHECK(r != NULL);
  CHECK_EQ_INT(ht_current() - c0, big);
  CHECK_EQ_INT(ht_peak(), c0 + big);
  if (r != q)
    CHECK(!ht_traced(q));
  HT_CHECK_SITE(r, s_grow);
  char *moved = __tm_realloc(r, 2 * big, &s_grow);
  CHECK(moved != NULL);
  CHECK_EQ_INT(ht_current() - c0, 2 * big);
  CHECK_EQ_INT(ht_peak(), c0 + 2 * big);

  /* Failure: NULL, ENOMEM, the block and its trace untouched. */
  errno = 0;
  CHECK(__tm_realloc(moved, HUGE_SIZE, &s_realloc) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  CHECK_EQ_INT(ht_current() - c0, 2 * big);
  HT_CHECK_SITE(moved, s_grow);

  /* errno untouched on success, whatever the runtime does inside. */
  errno = 4321;
  char *small = __tm_calloc(3, 3, &s_malloc);
  small = __tm_realloc(small, 5000, &s_realloc);
  __tm_free(small, &s_realloc);
  CHECK_EQ_INT(errno, 4321);

  /* realloc(p, 0): glibc 2.36 frees p and returns NULL; the trace goes. */
  CHECK(__tm_realloc(moved, 0, &s_realloc) == NULL);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK(!ht_traced(moved));
}

/* A block the runtime never saw (allocated while not tracing) gets a trace
 * when realloc'ed (CPython). */
static void test_realloc_untraced(void) {
  HT_SITE(s_realloc);
  tm_stop();
  char *p = __tm_malloc(40, NULL);
  CHECK_EQ_INT(tm_start(25), TM_OK);
  size_t c0 = ht_current();
  CHECK(!ht_traced(p));
  char *q = __tm_realloc(p, 48, &s_realloc);
  CHECK_EQ_INT(ht_current() - c0, 48);
  HT_CHECK_SITE(q, s_realloc);
  __tm_free(q, NULL);
  CHECK_EQ_INT(ht_current(), c0);

  /* Freeing a block allocated before start is a silent no-op. */
  tm_stop();
  p = __tm_malloc(40, NULL);
  CHECK_EQ_INT(tm_start(25), TM_OK);
  __tm_free(p, NULL);
  CHECK_EQ_INT(ht_current(), 0);
}

static void test_reallocarray(void) {
  HT_SITE(s_ra);
  size_t c0 = ht_current();
  int *p = __tm_reallocarray(NULL, 10, sizeof(int), &s_ra);
  CHECK(p != NULL);
  CHECK_EQ_INT(ht_current() - c0, 10 * sizeof(int));
  HT_CHECK_SITE(p, s_ra);
  int *q = __tm_reallocarray(p, 20, sizeof(int), &s_ra);
  CHECK(q != NULL);
  CHECK_EQ_INT(ht_current() - c0, 20 * sizeof(int));

  /* Overflow: NULL, ENOMEM, the block untouched. */
  errno = 0;
  CHECK(__tm_reallocarray(q, SIZE_MAX / 2, 4, &s_ra) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  CHECK_EQ_INT(ht_current() - c0, 20 * sizeof(int));
  CHECK(ht_traced(q));

  /* reallocarray(p, 0, n) is realloc(p, 0): freed. */
  CHECK(__tm_reallocarray(q, 0, 4, &s_ra) == NULL);
  CHECK_EQ_INT(ht_current(), c0);
}

typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*memalign_fn)(size_t, size_t);

/* The hooks behave exactly like libc's own functions on every alignment,
 * valid or not. */
static void test_aligned_vs_libc(void) {
  HT_SITE(s_al);
  if (HT_SANITIZER)
    return; /* libc's functions bypass the sanitizer's allocator there */
  posix_memalign_fn libc_pm =
      (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
  memalign_fn libc_aa = (memalign_fn)dlsym(RTLD_NEXT, "aligned_alloc");
  memalign_fn libc_ma = (memalign_fn)dlsym(RTLD_NEXT, "memalign");
  CHECK(libc_pm && libc_aa && libc_ma);
  if (!libc_pm || !libc_aa || !libc_ma)
    return;
  static const size_t aligns[] = {0,  1,  2,   3,   4,    8,    12,
                                  16, 24, 32,  48,  64,   4096, 65536,
                                  (size_t)1 << 40, SIZE_MAX / 2 + 1,
                                  SIZE_MAX};
  static const size_t sizes[] = {0, 1, 100, HUGE_SIZE};
  for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
    for (size_t j = 0; j < sizeof sizes / sizeof *sizes; j++) {
      size_t a = aligns[i], n = sizes[j];
      void *mine = (void *)1, *theirs = (void *)1;
      int rc_mine = __tm_posix_memalign(&mine, a, n, &s_al);
      int rc_theirs = libc_pm(&theirs, a, n);
      CHECK_EQ_INT(rc_mine, rc_theirs);
      CHECK_EQ_INT(rc_mine != 0, mine == (void *)1); /* untouched */
      if (rc_mine == 0) {
        CHECK_EQ_INT((uintptr_t)mine % a, 0);
        __tm_free(mine, NULL);
        free(theirs);
      }
      errno = 0;
      mine = __tm_aligned_alloc(a, n, &s_al);
      int e_mine = errno;
      errno = 0;
      theirs = libc_aa(a, n);
      CHECK_EQ_INT(mine != NULL, theirs != NULL);
      CHECK_EQ_INT(e_mine, errno);
      __tm_free(mine, NULL);
      free(theirs);
      errno = 0;
      mine = __tm_memalign(a, n, &s_al);
      e_mine = errno;
      errno = 0;
      theirs = libc_ma(a, n);
      CHECK_EQ_INT(mine != NULL, theirs != NULL);
      CHECK_EQ_INT(e_mine, errno);
      __tm_free(mine, NULL);
      free(theirs);
    }
  }
}

static void test_aligned_accounting(void) {
  HT_SITE(s_pm);
  HT_SITE(s_aa);
  HT_SITE(s_ma);
  size_t c0 = ht_current();
  void *p = NULL;
  CHECK_EQ_INT(__tm_posix_memalign(&p, 256, 300, &s_pm), 0);
  CHECK_EQ_INT((uintptr_t)p % 256, 0);
  CHECK_EQ_INT(ht_current() - c0, 300);
  HT_CHECK_SITE(p, s_pm);
  void *a = __tm_aligned_alloc(64, 128, &s_aa);
  CHECK_EQ_INT((uintptr_t)a % 64, 0);
  HT_CHECK_SITE(a, s_aa);
  void *m = __tm_memalign(4096, 10, &s_ma);
  CHECK_EQ_INT((uintptr_t)m % 4096, 0);
  HT_CHECK_SITE(m, s_ma);
  CHECK_EQ_INT(ht_current() - c0, 300 + 128 + 10);

  /* Failures: error code, *memptr untouched, nothing recorded. */
  void *keep = (void *)0x1234;
  CHECK_EQ_INT(__tm_posix_memalign(&keep, 24, 8, &s_pm), EINVAL);
  CHECK_EQ_INT(__tm_posix_memalign(&keep, 64, HUGE_SIZE, &s_pm), ENOMEM);
  CHECK(keep == (void *)0x1234);
  CHECK_EQ_INT(ht_current() - c0, 300 + 128 + 10);

  __tm_free(p, NULL);
  __tm_free(a, NULL);
  __tm_free(m, NULL);
  CHECK_EQ_INT(ht_current(), c0);
}

static void test_valloc_pvalloc(void) {
  HT_SITE(s_v);
  HT_SITE(s_pv);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t c0 = ht_current();
  void *v = __tm_valloc(10, &s_v);
  CHECK(v != NULL);
  CHECK_EQ_INT((uintptr_t)v % page, 0);
  CHECK_EQ_INT(ht_current() - c0, 10);
  HT_CHECK_SITE(v, s_v);
  /* pvalloc rounds the block to whole pages; the trace keeps the request. */
  void *pv = __tm_pvalloc(10, &s_pv);
  CHECK(pv != NULL);
  CHECK_EQ_INT((uintptr_t)pv % page, 0);
  CHECK(malloc_usable_size(pv) >= page);
  CHECK_EQ_INT(ht_current() - c0, 20);
  HT_CHECK_SITE(pv, s_pv);
  errno = 0;
  CHECK(__tm_pvalloc(SIZE_MAX - 10, &s_pv) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  __tm_free(v, NULL);
  __tm_free(pv, NULL);
  CHECK_EQ_INT(ht_current(), c0);
}

static void test_strdup(void) {
  HT_SITE(s_dup);
  HT_SITE(s_ndup);
  size_t c0 = ht_current();
  char *d = __tm_strdup("hello", &s_dup);
  CHECK_EQ_STR(d, "hello");
  CHECK_EQ_INT(ht_current() - c0, 6); /* recorded once */
  HT_CHECK_SITE(d, s_dup);
  char *n = __tm_strndup("hello world", 5, &s_ndup);
  CHECK_EQ_STR(n, "hello");
  CHECK_EQ_INT(ht_current() - c0, 12);
  HT_CHECK_SITE(n, s_ndup);
  char *n2 = __tm_strndup("abc", 100, &s_ndup);
  CHECK_EQ_STR(n2, "abc");
  CHECK_EQ_INT(ht_current() - c0, 16);
  __tm_free(d, NULL);
  __tm_free(n, NULL);
  __tm_free(n2, NULL);
  CHECK_EQ_INT(ht_current(), c0);
}

/* wcsdup: glibc's result (the copy, wcslen + 1 wide characters) recorded
 * once, at the call's site, with the size malloc was asked for; free
 * untraces it. */
static void test_wcsdup(void) {
  HT_SITE(s_wdup);
  size_t c0 = ht_current();
  wchar_t *w = __tm_wcsdup(L"h\u00e9llo", &s_wdup);
  CHECK(w != NULL && wcscmp(w, L"h\u00e9llo") == 0);
  CHECK_EQ_INT(ht_current() - c0, 6 * sizeof(wchar_t)); /* recorded once */
  HT_CHECK_SITE(w, s_wdup);
  wchar_t *e = __tm_wcsdup(L"", &s_wdup);
  CHECK(e != NULL && e[0] == L'\0');
  CHECK_EQ_INT(ht_current() - c0, 7 * sizeof(wchar_t));
  HT_CHECK_SITE(e, s_wdup);
  CHECK(e != w);
  __tm_free(w, NULL);
  __tm_free(e, NULL);
  CHECK_EQ_INT(ht_current(), c0);
}

/* Not tracing: nothing recorded; the runtime running on this thread
 * (tm_reentrant): nothing recorded either. */
static void test_not_recorded(void) {
  HT_SITE(s);
  size_t c0 = ht_current();
  tm_reentrant++;
  void *p = __tm_malloc(77, &s);
  void *q = malloc(77);
  tm_reentrant--;
  CHECK_EQ_INT(ht_current(), c0);
  CHECK(!ht_traced(p) && !ht_traced(q));
  __tm_free(p, &s);
  free(q);
  tm_stop();
  p = __tm_malloc(77, &s);
  q = malloc(77);
  CHECK_EQ_INT(tm_start(25), TM_OK);
  CHECK_EQ_INT(ht_current(), 0);
  __tm_free(p, &s);
  free(q);
  CHECK_EQ_INT(ht_current(), 0);
}

int main(void) {
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(25), TM_OK);
  test_malloc_free();
  test_calloc();
  test_realloc();
  test_realloc_untraced();
  test_reallocarray();
  test_aligned_vs_libc();
  test_aligned_accounting();
  test_valloc_pvalloc();
  test_strdup();
  test_wcsdup();
  test_not_recorded();
  tm_stop();
  return CHECK_DONE();
}
