/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_max_memory.c - TRACEMALLOC_MAX_MEMORY: the size syntax, and the
 * bound itself: past it traces are dropped and counted, the tables stay
 * under it, and tracing goes on for what fits once frees give memory back. */
#include <stdint.h>

#include "check.h"
#include "core.h"
#include "internal.h"
#include "raw_alloc.h"
#include "tracemalloc.h"

static const struct tm_site s_one = {"one.c", "one", NULL, 1, 0, 0, 0};

static void test_parse(void) {
  CHECK_EQ_INT(tm_init_parse_size(NULL), 0);
  CHECK_EQ_INT(tm_init_parse_size(""), 0);
  CHECK_EQ_INT(tm_init_parse_size("1"), 1);
  CHECK_EQ_INT(tm_init_parse_size("1000"), 1000);
  CHECK_EQ_INT(tm_init_parse_size("1K"), 1024);
  CHECK_EQ_INT(tm_init_parse_size("3k"), 3072);
  CHECK_EQ_INT(tm_init_parse_size("64M"), 64ll << 20);
  CHECK_EQ_INT(tm_init_parse_size("2G"), 2ll << 30);
  CHECK_EQ_INT(tm_init_parse_size("8589934591G"), 8589934591ll << 30);
  CHECK_EQ_INT(tm_init_parse_size("8589934592G"), -1); // 2^63
  CHECK_EQ_INT(tm_init_parse_size("99999999999999999999"), -1);
  CHECK_EQ_INT(tm_init_parse_size("0"), -1);
  CHECK_EQ_INT(tm_init_parse_size("0K"), -1);
  CHECK_EQ_INT(tm_init_parse_size("-1"), -1);
  CHECK_EQ_INT(tm_init_parse_size(" 1"), -1);
  CHECK_EQ_INT(tm_init_parse_size("1 "), -1);
  CHECK_EQ_INT(tm_init_parse_size("1KB"), -1);
  CHECK_EQ_INT(tm_init_parse_size("1T"), -1);
  CHECK_EQ_INT(tm_init_parse_size("K"), -1);
  CHECK_EQ_INT(tm_init_parse_size("1.5M"), -1);
}

static size_t traced_count(void) {
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  size_t n = snap ? tm_snapshot_count(snap) : 0;
  tm_snapshot_free(snap);
  return n;
}

enum { N = 200000 };

static void test_bound(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  size_t bound = tm_raw_usage(TM_MEM_TABLES) + (size_t)512 * 1024;
  tm_init_set_max_memory(bound);
  for (uintptr_t i = 1; i <= N; i++) {
    tm_core_on_alloc((void *)(i * 64), 16, &s_one);
    CHECK(tm_raw_usage(TM_MEM_TABLES) <= bound);
  }
  uint64_t dropped = tm_get_dropped_traces();
  size_t kept = traced_count();
  CHECK(dropped > 0);
  CHECK(kept > 10000); // 512 KiB holds tens of thousands of 16-byte entries
  CHECK_EQ_INT(kept + dropped, N);
  size_t cur;
  tm_get_traced_memory(&cur, NULL);
  CHECK_EQ_INT(cur, kept * 16);

  // Frees make room: the next allocations are traced again.
  for (uintptr_t i = 1; i <= N; i++)
    tm_core_on_free((void *)(i * 64));
  CHECK_EQ_INT(traced_count(), 0);
  for (uintptr_t i = 1; i <= 1000; i++)
    tm_core_on_alloc((void *)(i * 64 + 8), 16, &s_one);
  CHECK_EQ_INT(traced_count(), 1000);
  CHECK_EQ_INT(tm_get_dropped_traces(), dropped);
  tm_init_set_max_memory(0);
  tm_stop();
}

int main(void) {
  test_parse();
  test_bound();
  return CHECK_DONE();
}
