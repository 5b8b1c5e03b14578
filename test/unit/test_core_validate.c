/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_validate.c - the validators themselves: they pass on tables
 * that use every kind of entry (domain 0 and others, key 0, sizes of 4 GiB
 * and more, growth, replacement, removal, clear), and, in a TM_DEBUG build,
 * each reports a counter corrupted on purpose and passes again once it is
 * put back. A validator that never fails would make the CHECK_VALID()s in
 * the other core tests worthless. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_valid.h"
#include "internal.h"
#include "tracemalloc.h"

static const struct tm_site s_a = {"a.c", "a", NULL, 1, 0, 0, 0};
static const struct tm_site s_b = {"b.c", "b", NULL, 2, 0, 0, 0};

#define GIB ((size_t)1 << 30)

/* Blocks from the process's malloc (the interposer, as uninstrumented code
 * calls it): trailer blocks, in trailer mode (docs/semantics.md). */
static void *(*volatile g_malloc)(size_t) = malloc;
static void *(*volatile g_realloc)(void *, size_t) = realloc;
static void (*volatile g_free)(void *) = free;
enum { NTRL = 300 };
static void *trl_blocks[NTRL];

/* Does `err` name the broken invariant `what`? (Used by the corruption
 * tests, which exist only where TM_DEBUG gives the hooks to corrupt.) */
static __attribute__((unused)) int reports(const char *err, const char *what) {
  if (err)
    fprintf(stderr, "validator says: %s\n", err);
  return err != NULL && strstr(err, what) != NULL;
}

static void fill(void) {
  // Enough blocks that shard tables grow past their first capacity.
  for (uintptr_t i = 1; i <= 20000; i++)
    tm_core_on_alloc((void *)(i * 16), i % 100 + 1, i % 2 ? &s_a : &s_b);
  for (uintptr_t i = 1; i <= 3000; i++)
    CHECK_EQ_INT(tm_track(7, i * 8, 3), 0);
  CHECK_EQ_INT(tm_track(7, 0, 11), 0);                 // key 0
  CHECK_EQ_INT(tm_track(8, 0, 5 * GIB), 0);            // key 0, big size
  CHECK_EQ_INT(tm_track(0, 0x7f0000, 6 * GIB), 0);     // big, domain 0
  CHECK_EQ_INT(tm_track(9, 0x7f0000, 4 * GIB - 1), 0); // exactly the mark
  for (int i = 0; i < NTRL; i++) {
    g_free(trl_blocks[i]); // from the previous fill, if any (an old session)
    trl_blocks[i] = g_malloc((size_t)i * 8);
  }
}

static void churn(void) {
  for (uintptr_t i = 1; i <= 20000; i += 3)
    tm_core_on_free((void *)(i * 16));
  for (uintptr_t i = 2; i <= 20000; i += 3) // replaced in place
    tm_core_on_alloc((void *)(i * 16), 7, &s_b);
  CHECK_EQ_INT(tm_track(0, 0x7f0000, 12), 0); // big -> small
  CHECK_EQ_INT(tm_track(7, 8, 8 * GIB), 0);   // small -> big
  CHECK_EQ_INT(tm_untrack(8, 0), 0);
  for (int i = 0; i < NTRL; i += 3) {
    g_free(trl_blocks[i]);
    trl_blocks[i] = NULL;
  }
  for (int i = 1; i < NTRL; i += 3) // gets a trailer at its new end
    trl_blocks[i] = g_realloc(trl_blocks[i], (size_t)i * 100);
}

#ifdef TM_DEBUG
static void corruptions(void) {
  // A shard's count one above its occupied slots, then back.
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_COUNT, 32, 1);
  CHECK(reports(tm_trace_table_validate(), "count differs"));
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_COUNT, 32, -1);
  CHECK_VALID();
  // This thread's count of trailer traces, one off.
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_BLK_COUNT,
                               (uintptr_t)trl_blocks[2], 1);
  CHECK(reports(tm_trace_table_validate(), "trailer count differs"));
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_BLK_COUNT,
                               (uintptr_t)trl_blocks[2], -1);
  CHECK_VALID();
  // current one byte off either way.
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_CURRENT, 0, 1);
  CHECK(reports(tm_trace_table_validate(), "current differs"));
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_CURRENT, 0, -2);
  CHECK(reports(tm_trace_table_validate(), "current differs"));
  tm_trace_table_debug_corrupt(TM_TT_CORRUPT_CURRENT, 0, 1);
  CHECK_VALID();
  // The intern set's count.
  tm_intern_debug_corrupt_count(1);
  CHECK(reports(tm_intern_validate(), "count differs"));
  tm_intern_debug_corrupt_count(-1);
  CHECK_VALID();
}
#endif

int main(void) {
  CHECK_VALID(); // never started: empty tables
  CHECK_EQ_INT(tm_start(3), TM_OK);
  CHECK_VALID();
  fill();
  CHECK_VALID();
  churn();
  CHECK_VALID();
#ifdef TM_DEBUG
  corruptions();
#else
  printf("corruption checks need a TM_DEBUG build (cmake -DTM_DEBUG=ON)\n");
#endif
  tm_clear_traces();
  CHECK_VALID();
  fill();
  tm_stop();
  CHECK_VALID();
  for (int i = 0; i < NTRL; i++) // trailer blocks of a stopped session
    g_free(trl_blocks[i]);
  CHECK_VALID();
  return CHECK_DONE();
}
