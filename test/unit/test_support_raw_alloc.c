/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_support_raw_alloc.c - the runtime's own allocator: zeroing by
 * tm_raw_calloc, the cache of freed large blocks and page mappings (reuse,
 * its bounds, the waste and exact-size rules), exact accounting, the limit
 * knob, and threads. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "raw_alloc.h"

/* Whether the page holding p is mapped (mincore fails with ENOMEM on an
 * unmapped range). */
static int mapped(const void *p) {
  size_t ps = tm_raw_page_size();
  unsigned char v;
  void *page = (void *)((uintptr_t)p & ~(uintptr_t)(ps - 1));
  return mincore(page, ps, &v) == 0 || errno != ENOMEM;
}

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

static void test_calloc_zeroes_recycled_memory(void) {
  // A small block comes back through its class's free list dirty.
  unsigned char *s = tm_raw_alloc(200, TM_MEM_OBJECTS);
  memset(s, 0xAB, 200);
  tm_raw_free(s);
  unsigned char *s2 = tm_raw_calloc(200, TM_MEM_OBJECTS);
  CHECK(s2 == s);
  CHECK(all_zero(s2, 200));
  tm_raw_free(s2);

  // A large block comes back through the cache dirty.
  size_t n = 300 * 1024;
  unsigned char *l = tm_raw_alloc(n, TM_MEM_OBJECTS);
  memset(l, 0xCD, n);
  tm_raw_free(l);
  CHECK(mapped(l)); // kept, not unmapped
  unsigned char *l2 = tm_raw_calloc(n, TM_MEM_OBJECTS);
  CHECK(l2 == l); // and reused
  CHECK(all_zero(l2, n));
  tm_raw_free(l2);

  // Fresh pages are zero without clearing them.
  unsigned char *f = tm_raw_calloc(5u << 20, TM_MEM_OBJECTS);
  CHECK(f && all_zero(f, 5u << 20));
  tm_raw_free(f);
}

/* Page mappings (tm_raw_map) go through the cache at their exact size
 * and come back zeroed, as from mmap. */
static void test_map(void) {
  size_t n = 256 * 1024;
  unsigned char *m = tm_raw_map(n, TM_MEM_TABLES);
  CHECK(m && all_zero(m, n));
  memset(m, 0xEF, n);
  size_t base = tm_raw_usage(TM_MEM_TABLES);
  tm_raw_unmap(m, n, TM_MEM_TABLES);
  CHECK_EQ_INT(base - tm_raw_usage(TM_MEM_TABLES), n);
  CHECK(mapped(m));
  unsigned char *m2 = tm_raw_map(n, TM_MEM_TABLES);
  CHECK(m2 == m);
  CHECK(all_zero(m2, n));
  tm_raw_unmap(m2, n, TM_MEM_TABLES);
  // Not at another size: tm_raw_unmap would get the wrong size back.
  unsigned char *half = tm_raw_map(n / 2, TM_MEM_TABLES);
  CHECK(half != m);
  tm_raw_unmap(half, n / 2, TM_MEM_TABLES);
}

static void test_cache_bounds(void) {
  // Too big to keep: unmapped at once.
  unsigned char *big = tm_raw_alloc(5u << 20, TM_MEM_OBJECTS);
  big[0] = 1;
  tm_raw_free(big);
  CHECK(!mapped(big));

  // Twelve 1 MiB blocks freed: at most 8 blocks and 8 MiB stay mapped,
  // the last ones freed.
  enum { N = 12 };
  unsigned char *b[N];
  for (int i = 0; i < N; i++) {
    b[i] = tm_raw_alloc(1u << 20, TM_MEM_OBJECTS);
    CHECK(b[i] != NULL);
    b[i][0] = 1;
  }
  for (int i = 0; i < N; i++)
    tm_raw_free(b[i]);
  int kept = 0;
  for (int i = 0; i < N; i++)
    kept += mapped(b[i]);
  size_t block = (1u << 20) + tm_raw_page_size(); // header: one page more
  CHECK(kept >= 1);
  CHECK(kept <= 8);
  CHECK((size_t)kept * block <= (8u << 20));
  CHECK(mapped(b[N - 1]));
  CHECK(!mapped(b[0]));

  // A small request does not take a cached block more than twice its size.
  unsigned char *s = tm_raw_alloc(64 * 1024, TM_MEM_OBJECTS);
  for (int i = 0; i < N; i++)
    CHECK(s != b[i]);
  tm_raw_free(s);
  // One that fits does.
  unsigned char *again = tm_raw_alloc(1u << 20, TM_MEM_OBJECTS);
  int reused = 0;
  for (int i = 0; i < N; i++)
    reused |= again == b[i];
  CHECK(reused);
  tm_raw_free(again);
}

static void test_accounting(void) {
  size_t base = tm_raw_usage(TM_MEM_OBJECTS);
  void *p = tm_raw_alloc(600 * 1024, TM_MEM_OBJECTS);
  size_t one = tm_raw_usage(TM_MEM_OBJECTS) - base;
  CHECK(one >= 600 * 1024);
  tm_raw_free(p);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), base); // cached is not counted
  // A smaller request served by that cached block counts the whole block.
  void *q = tm_raw_alloc(500 * 1024, TM_MEM_OBJECTS);
  CHECK(q == p);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS) - base, one);
  tm_raw_free(q);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), base);

  // The limit knob refuses a cached block as it refuses a new one, and the
  // block stays available.
  tm_raw_set_limit(TM_MEM_OBJECTS, base + 4096);
  CHECK(tm_raw_alloc(500 * 1024, TM_MEM_OBJECTS) == NULL);
  CHECK_EQ_INT(tm_raw_usage(TM_MEM_OBJECTS), base);
  tm_raw_set_limit(TM_MEM_OBJECTS, 0);
  void *r = tm_raw_alloc(500 * 1024, TM_MEM_OBJECTS);
  CHECK(r == p);
  tm_raw_free(r);
}

/* Threads take and give back large blocks at once; each checks that what
 * it wrote is still there (no block handed out twice). */
static void *churn(void *arg) {
  unsigned char tag = (unsigned char)(uintptr_t)arg;
  int bad = 0;
  for (int i = 0; i < 300; i++) {
    size_t n = (size_t)(64 + (i * 37 + tag * 11) % 900) * 1024;
    unsigned char *p = tm_raw_calloc(n, TM_MEM_OBJECTS);
    if (!p || !all_zero(p, n)) {
      bad++;
      continue;
    }
    memset(p, tag, n);
    sched_yield();
    for (size_t j = 0; j < n; j += 4096)
      bad += p[j] != tag;
    tm_raw_free(p);
  }
  return (void *)(uintptr_t)bad;
}

static void test_threads(void) {
  enum { T = 4 };
  pthread_t t[T];
  for (int i = 0; i < T; i++)
    CHECK(pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)) == 0);
  for (int i = 0; i < T; i++) {
    void *bad;
    pthread_join(t[i], &bad);
    CHECK_EQ_INT((uintptr_t)bad, 0);
  }
}

int main(void) {
  // In this order: each test expects the cache the previous ones left.
  test_calloc_zeroes_recycled_memory();
  test_map();
  test_accounting();
  test_cache_bounds();
  test_threads();
  CHECK_DONE();
}
