/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_module.c - the module functions against CPython's semantics
 * (reference §6.1-6.4, §6.6): start/stop/limit, errors and messages,
 * get_traced_memory, reset_peak, clear_traces, track/untrack return codes,
 * the accounting table with fake pointers in domains 7/8/9, and
 * get_tracemalloc_memory.
 *
 * Nothing here may call malloc while tracing (the static runtime interposes
 * it): CHECK prints only on failure, to unbuffered stderr. */
#include <stdint.h>

#include "check.h"
#include "internal.h" /* tm_core_on_alloc, tm_core_on_free */
#include "raw_alloc.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

#define T ((size_t)1000000000000ull) /* the reference's unit: 10^12 bytes */

static void check_traced(size_t cur, size_t peak, int line) {
  size_t c = 1, p = 1;
  tm_get_traced_memory(&c, &p);
  if (c != cur || p != peak)
    fprintf(stderr, "line %d: traced (%zu, %zu), want (%zu, %zu)\n", line, c, p,
            cur, peak);
  CHECK(c == cur && p == peak);
}
#define TRACED(c, p) check_traced((c), (p), __LINE__)

static void test_start_stop(void) {
  CHECK(!tm_is_tracing());
  CHECK_EQ_INT(tm_get_traceback_limit(), 1); // 1 before any start
  TRACED(0, 0);

  const char *msg = "the number of frames must be in range [1; 65535]";
  CHECK_EQ_INT(tm_start(0), TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), msg);
  CHECK_EQ_INT(tm_start(-1), TM_EINVAL);
  CHECK_EQ_INT(tm_start(65536), TM_EINVAL);
  CHECK_EQ_STR(tm_error_message(), msg);
  CHECK(!tm_is_tracing());
  CHECK_EQ_INT(tm_get_traceback_limit(), 1);

  CHECK_EQ_INT(tm_start(1), TM_OK);
  CHECK(tm_is_tracing());
  CHECK_EQ_INT(tm_start(7), TM_OK); // already tracing: limit unchanged
  CHECK_EQ_INT(tm_get_traceback_limit(), 1);
  CHECK_EQ_INT(tm_start(0), TM_EINVAL); // range checked even when tracing
  CHECK_EQ_INT(tm_start(65536), TM_EINVAL);
  CHECK(tm_is_tracing());
  tm_stop();
  CHECK(!tm_is_tracing());
  CHECK_EQ_INT(tm_get_traceback_limit(), 1);

  CHECK_EQ_INT(tm_start(5), TM_OK);
  CHECK_EQ_INT(tm_get_traceback_limit(), 5);
  tm_stop();
  CHECK_EQ_INT(tm_get_traceback_limit(), 5); // stop keeps the limit
  tm_stop();                                 // no-op when not tracing
  CHECK_EQ_INT(tm_start(65535), TM_OK);
  CHECK_EQ_INT(tm_get_traceback_limit(), 65535);
  tm_stop();
}

static void test_not_tracing(void) {
  CHECK_EQ_INT(tm_track(7, 0x1000, 10), -2);
  CHECK_EQ_INT(tm_untrack(7, 0x1000), -2);
  CHECK_EQ_INT(tm_track(0, 0x1000, 10), -2);
  tm_reset_peak();   // no-op
  tm_clear_traces(); // no-op
  TRACED(0, 0);
  tm_snapshot_t *snap = (tm_snapshot_t *)&snap;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_ENOTTRACING);
  CHECK(snap == NULL);
  CHECK_EQ_STR(tm_error_message(),
               "the tracemalloc module must be tracing memory allocations "
               "to take a snapshot");
  tm_traceback_t *tb = (tm_traceback_t *)&tb;
  CHECK_EQ_INT(tm_get_object_traceback((void *)0x1000, &tb), TM_OK);
  CHECK(tb == NULL);
  CHECK_EQ_INT(tm_get_dropped_traces(), 0);
}

/* Reference §6.4, verbatim, in units u (10^12: the big-size path; 1: the
 * 32-bit path). */
static void test_accounting(size_t u) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  TRACED(0, 0);
  CHECK_EQ_INT(tm_track(7, 0x1000, 3 * u), 0);
  TRACED(3 * u, 3 * u);
  CHECK_EQ_INT(tm_track(7, 0x1000, 1 * u), 0); // replace
  TRACED(1 * u, 3 * u);
  CHECK_EQ_INT(tm_track(8, 0x1000, 1 * u), 0); // other domain
  TRACED(2 * u, 3 * u);
  CHECK_EQ_INT(tm_untrack(7, 0x1000), 0);
  TRACED(1 * u, 3 * u);
  CHECK_EQ_INT(tm_untrack(7, 0x1000), 0); // again: no-op
  TRACED(1 * u, 3 * u);
  CHECK_EQ_INT(tm_untrack(9, 0x2000), 0); // unknown domain: no-op
  TRACED(1 * u, 3 * u);
  tm_reset_peak();
  TRACED(1 * u, 1 * u);
  CHECK_EQ_INT(tm_track(8, 0x1000, 5 * u), 0); // replace 1 -> 5
  TRACED(5 * u, 5 * u);
  CHECK_EQ_INT(tm_track(8, 0x1000, 2 * u), 0); // replace 5 -> 2
  TRACED(2 * u, 5 * u);
  tm_clear_traces();
  TRACED(0, 0);
  CHECK(tm_is_tracing());
  CHECK_EQ_INT(tm_untrack(8, 0x1000), 0); // cleared: silent no-op
  TRACED(0, 0);
  tm_stop();
}

/* Domain 0 is the hooks' table; the key 0 and sizes crossing 4 GiB. */
static void test_domain0_edges(void) {
  CHECK_EQ_INT(tm_start(3), TM_OK);
  CHECK_EQ_INT(tm_track(0, 0, 5), 0); // pointer 0 is a legal key
  CHECK_EQ_INT(tm_track(7, 0, 6), 0);
  TRACED(11, 11);
  CHECK_EQ_INT(tm_track(0, 0x10, (size_t)5 << 32), 0);
  TRACED(11 + ((size_t)5 << 32), 11 + ((size_t)5 << 32));
  CHECK_EQ_INT(tm_track(0, 0x10, 1), 0); // big -> small replace
  TRACED(12, 11 + ((size_t)5 << 32));
  CHECK_EQ_INT(tm_track(0, 0x10, UINT32_MAX), 0); // the sentinel value
  TRACED(11 + (size_t)UINT32_MAX, 11 + ((size_t)5 << 32));
  tm_reset_peak();
  CHECK_EQ_INT(tm_untrack(0, 0x10), 0);
  TRACED(11, 11 + (size_t)UINT32_MAX);
  CHECK_EQ_INT(tm_untrack(0, 0), 0);
  CHECK_EQ_INT(tm_untrack(7, 0), 0);
  TRACED(0, 11 + (size_t)UINT32_MAX);
  CHECK_EQ_INT(tm_untrack(0, 0), 0);
  TRACED(0, 11 + (size_t)UINT32_MAX);
  // The same through the hooks' entry points (their free has a fast path
  // that must hand a big size to the slow one).
  static const struct tm_site big_site = {"big.c", "big", NULL, 1, 0, 0, 0};
  tm_reset_peak();
  tm_core_on_alloc((void *)0x40, (size_t)5 << 32, &big_site);
  tm_core_on_alloc((void *)0x50, UINT32_MAX, &big_site);
  tm_core_on_alloc((void *)0x60, 7, &big_site);
  TRACED(((size_t)5 << 32) + UINT32_MAX + 7, ((size_t)5 << 32) + UINT32_MAX + 7);
  tm_core_on_free((void *)0x40);
  TRACED((size_t)UINT32_MAX + 7, ((size_t)5 << 32) + UINT32_MAX + 7);
  tm_core_on_free((void *)0x50);
  tm_core_on_free((void *)0x60);
  tm_core_on_free((void *)0x60); // no longer traced: nothing
  TRACED(0, ((size_t)5 << 32) + UINT32_MAX + 7);
  tm_stop();
  TRACED(0, 0);
}

/* Many keys in one domain: growth, backward-shift deletion, exact sums. */
static void test_many(void) {
  enum { N = 100000 };
  CHECK_EQ_INT(tm_start(1), TM_OK);
  size_t want = 0;
  for (uintptr_t i = 1; i <= N; i++) {
    CHECK_EQ_INT(tm_track(0, i * 16, i), 0);
    CHECK_EQ_INT(tm_track(42, i * 16, 1), 0);
    want += i + 1;
  }
  TRACED(want, want);
  for (uintptr_t i = 1; i <= N; i += 2) {
    tm_untrack(0, i * 16);
    want -= i;
  }
  size_t c = 0;
  tm_get_traced_memory(&c, NULL);
  CHECK(c == want);
  int found = 0, wrong = 0;
  for (uintptr_t i = 1; i <= N; i++) {
    tm_traceback_t *tb = NULL;
    tm_get_traceback(0, i * 16, &tb);
    found += tb != NULL;
    wrong += (tb != NULL) != (i % 2 == 0);
    tm_traceback_free(tb);
  }
  CHECK_EQ_INT(found, N / 2);
  CHECK_EQ_INT(wrong, 0);
  tm_stop();
}

/* get_tracemalloc_memory is raw_alloc's TM_MEM_TABLES plus the resident
 * pages of the shadow-stack mappings, grows with traces and comes back down
 * after clear/stop. */
static void test_tracemalloc_memory(void) {
  CHECK(tm_get_tracemalloc_memory() ==
        tm_raw_usage(TM_MEM_TABLES) + tm_shadow_memory());
  CHECK_EQ_INT(tm_start(1), TM_OK);
  size_t base = tm_get_tracemalloc_memory();
  for (uintptr_t i = 1; i <= 10000; i++)
    tm_track(0, i * 64, 8);
  size_t grown = tm_get_tracemalloc_memory();
  CHECK(grown > base);
  CHECK(grown == tm_raw_usage(TM_MEM_TABLES) + tm_shadow_memory());
  tm_clear_traces();
  CHECK(tm_get_tracemalloc_memory() <= base);
  tm_stop();
  CHECK(tm_get_tracemalloc_memory() <= base);
}

int main(void) {
  test_start_stop();
  test_not_tracing();
  test_accounting(T);
  test_accounting(1);
  test_domain0_edges();
  test_many();
  test_tracemalloc_memory();
  return CHECK_DONE();
}
