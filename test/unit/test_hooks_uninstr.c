/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_uninstr.c - allocations made by code that is not instrumented
 * (libc, libstdc++, a helper shared library built without the pass) are
 * traced with the line of the nearest instrumented caller, and a block freed
 * by uninstrumented code is untraced, whoever allocated it.
 *
 * Each call into uninstrumented code is wrapped in HT_CALL_FROM, which does
 * what the pass emits in an instrumented caller: push a shadow frame whose
 * slot names the calling line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "hooks.h"
#include "hooks/hooks_test.h"

/* In the helper library (uninstr_helper.cpp). */
void *ht_helper_new_string(size_t n);
const void *ht_helper_string_data(const void *s);
void ht_helper_delete_string(void *s);
void ht_helper_free(void *p);
char *ht_helper_strdup(const char *s);
void *ht_helper_realloc(void *p, size_t n);

/* libc's own strdup, called through a pointer so that no compiler folds it
 * into malloc + memcpy in this file. */
static char *(*volatile libc_strdup)(const char *) = strdup;
static wchar_t *(*volatile libc_wcsdup)(const wchar_t *) = wcsdup;
/* (Also: a compiler may assume a calloc whose result is only compared with
 * NULL succeeds.) */
static void *(*volatile libc_calloc)(size_t, size_t) = calloc;

static void test_libc_strdup(void) {
  HT_SITE(s_caller);
  char src[] = "tracemalloc";
  size_t c0 = ht_current();
  char *d = NULL;
  HT_CALL_FROM(&s_caller, d = libc_strdup(src));
  CHECK_EQ_STR(d, "tracemalloc");
  CHECK_EQ_INT(ht_current() - c0, sizeof src); /* once, the requested size */
  HT_CHECK_SITE(d, s_caller);
  char *h = NULL;
  HT_CALL_FROM(&s_caller, h = ht_helper_strdup(src));
  CHECK_EQ_INT(ht_current() - c0, 2 * sizeof src);
  HT_CHECK_SITE(h, s_caller);
  free(d);
  ht_helper_free(h);
  CHECK_EQ_INT(ht_current(), c0);
}

/* libc's wcsdup allocates through our interposed malloc, so uninstrumented
 * code's wcsdup needs no definition in interpose.c: traced once, with the
 * size asked for, at the nearest instrumented caller's line. */
static void test_libc_wcsdup(void) {
  HT_SITE(s_caller);
  const wchar_t src[] = L"tracemalloc";
  size_t c0 = ht_current();
  wchar_t *d = NULL;
  HT_CALL_FROM(&s_caller, d = libc_wcsdup(src));
  CHECK(d != NULL && wcscmp(d, src) == 0);
  CHECK_EQ_INT(ht_current() - c0, sizeof src); /* once, the requested size */
  HT_CHECK_SITE(d, s_caller);
  free(d);
  CHECK_EQ_INT(ht_current(), c0);
}

static void test_fopen_getline(void) {
  HT_SITE(s_fopen);
  HT_SITE(s_getline);
  char path[] = "/tmp/tm-hooks-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0)
    return;
  static const char text[] = "first line\nsecond line\n";
  CHECK_EQ_INT(write(fd, text, sizeof text - 1), (long)(sizeof text - 1));
  close(fd);

  size_t c0 = ht_current();
  FILE *f = NULL;
  HT_CALL_FROM(&s_fopen, f = fopen(path, "r"));
  CHECK(f != NULL);
  if (f == NULL)
    return;
  CHECK(ht_current() > c0);
  HT_CHECK_SITE(f, s_fopen); /* glibc's FILE is the malloc'ed block */

  /* The first read allocates the stream buffer too (not at s_getline's
   * business to know): the line buffer must be traced at s_getline. */
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = 0;
  HT_CALL_FROM(&s_getline, n = getline(&line, &cap, f));
  CHECK_EQ_INT(n, 11);
  CHECK_EQ_STR(line, "first line\n");
  HT_CHECK_SITE(line, s_getline);
  size_t c1 = ht_current();
  HT_CALL_FROM(&s_getline, n = getline(&line, &cap, f));
  CHECK_EQ_INT(n, 12);
  CHECK_EQ_INT(ht_current(), c1); /* the buffer was big enough */

  /* fclose (uninstrumented) frees the FILE and its buffer: untraced. */
  fclose(f);
  free(line);
  CHECK_EQ_INT(ht_current(), c0);
  unlink(path);
}

static void test_cxx_string_in_library(void) {
  HT_SITE(s_caller);
  size_t c0 = ht_current();
  void *s = NULL;
  HT_CALL_FROM(&s_caller, s = ht_helper_new_string(100));
  /* new std::string: the object (operator new, 32 bytes with libstdc++'s
   * ABI) and its characters (101 bytes), both through malloc. */
  CHECK_EQ_INT(ht_current() - c0, 32 + 101);
  HT_CHECK_SITE(s, s_caller);
  HT_CHECK_SITE(ht_helper_string_data(s), s_caller);
  ht_helper_delete_string(s);
  CHECK_EQ_INT(ht_current(), c0);
}

/* Blocks cross the instrumented / uninstrumented line both ways. */
static void test_cross_free(void) {
  HT_SITE(s_hook);
  HT_SITE(s_caller);
  size_t c0 = ht_current();
  void *p = __tm_malloc(64, &s_hook);
  CHECK_EQ_INT(ht_current() - c0, 64);
  ht_helper_free(p); /* freed by uninstrumented code */
  CHECK_EQ_INT(ht_current(), c0);
  CHECK(!ht_traced(p));

  void *q = NULL;
  HT_CALL_FROM(&s_caller, q = ht_helper_realloc(NULL, 80));
  CHECK_EQ_INT(ht_current() - c0, 80);
  HT_CHECK_SITE(q, s_caller);
  __tm_free(q, &s_hook); /* freed by an instrumented hook */
  CHECK_EQ_INT(ht_current(), c0);

  /* realloc in uninstrumented code re-tags to the caller's line. */
  void *r = __tm_malloc(10, &s_hook);
  void *r2 = NULL;
  HT_CALL_FROM(&s_caller, r2 = ht_helper_realloc(r, 20));
  CHECK_EQ_INT(ht_current() - c0, 20);
  HT_CHECK_SITE(r2, s_caller);
  HT_CALL_FROM(&s_caller, r2 = ht_helper_realloc(r2, 0)); /* frees */
  CHECK(r2 == NULL);
  CHECK_EQ_INT(ht_current(), c0);
}

/* The plain malloc family (interposed, or seen by the sanitizer hooks)
 * records the requested size exactly once. */
static void test_plain_family(void) {
  HT_SITE(s_caller);
  size_t c0 = ht_current();
  void *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
  HT_CALL_FROM(&s_caller, a = malloc(11));
  HT_CALL_FROM(&s_caller, b = calloc(3, 5));
  HT_CALL_FROM(&s_caller, c = aligned_alloc(64, 128));
  HT_CALL_FROM(&s_caller, (void)posix_memalign(&d, 32, 33));
  HT_CALL_FROM(&s_caller, e = realloc(NULL, 7));
  HT_ESCAPE(b);
  HT_ESCAPE(c);
  HT_ESCAPE(e);
  size_t aligned = HT_TSAN ? 0 : 128 + 33; /* see HT_TSAN */
  CHECK_EQ_INT(ht_current() - c0, 11 + 15 + aligned + 7);
  HT_CHECK_SITE(a, s_caller);
  if (!HT_TSAN)
    HT_CHECK_SITE(d, s_caller);
  e = realloc(e, 70);
  HT_ESCAPE(e);
  CHECK_EQ_INT(ht_current() - c0, 11 + 15 + aligned + 70);
  free(a);
  free(b);
  free(c);
  free(d);
  free(e);
  CHECK_EQ_INT(ht_current(), c0);
  errno = 0;
  CHECK(libc_calloc(SIZE_MAX / 2, 3) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  CHECK_EQ_INT(ht_current(), c0);
}

/* The malloc family works before any constructor of the runtime ran (the
 * dynamic loader and dlsym allocate that early): it just forwards. */
static int early_ok;
__attribute__((constructor(101))) static void early_allocations(void) {
  void *a = malloc(10), *b = calloc(2, 8), *c = NULL;
  int rc = posix_memalign(&c, 64, 10);
  void *d = realloc(a, 100);
  early_ok = d != NULL && b != NULL && rc == 0 && c != NULL;
  free(d);
  free(b);
  free(c);
}

int main(void) {
  CHECK(early_ok);
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(25), TM_OK);
  test_libc_strdup();
  test_libc_wcsdup();
  test_fopen_getline();
  test_cxx_string_in_library();
  test_cross_free();
  test_plain_family();
  tm_stop();
  return CHECK_DONE();
}
