/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_slots.c - one open-addressing table's memory: its slots'
 * allocation, growth and release.
 *
 * Separate from the lookups, inserts and erases (trace_table_internal.h,
 * inlined into their callers) because these run only when a table grows or
 * is cleared: they are the out-of-line part of a table. The layout and the
 * load factor: trace_table.c's top comment.
 */
#include "trace_table_internal.h"

static const uint32_t small_caps[] = {15, 31, 63, 127, 255};

/* Fresh zeroed slots for at least `want` entries. */
static tm_tt_entry_t *slots_alloc(uint32_t want, uint32_t *cap, bool *mapped) {
  for (unsigned i = 0; i < sizeof small_caps / sizeof *small_caps; i++) {
    if (want <= small_caps[i]) {
      // cap*16 + raw_alloc's 16-byte header is exactly a size class.
      *cap = small_caps[i];
      *mapped = false;
      return tm_raw_calloc((size_t)*cap * sizeof(tm_tt_entry_t), TM_MEM_TABLES);
    }
  }
  size_t ps = tm_raw_page_size();
  size_t bytes = ((size_t)want * sizeof(tm_tt_entry_t) + ps - 1) & ~(ps - 1);
  if (bytes / sizeof(tm_tt_entry_t) > UINT32_MAX)
    return NULL;
  *cap = (uint32_t)(bytes / sizeof(tm_tt_entry_t));
  *mapped = true;
  return tm_raw_map(bytes, TM_MEM_TABLES); // fresh mappings are zeroed
}

static void slots_free(tm_tt_table_t *t) {
  if (t->mapped)
    tm_raw_unmap(t->slots, (size_t)t->cap * sizeof(tm_tt_entry_t),
                 TM_MEM_TABLES);
  else
    tm_raw_free(t->slots);
  t->slots = NULL;
  t->cap = t->count = t->max_count = 0;
}

/* Room for one more entry (tab_reserve found the table at load 0.8): grow;
 * if growing fails, keep going while one slot stays empty (probing must
 * terminate). */
bool tm_tt_tab_grow(tm_tt_table_t *t) {
  uint32_t ncap;
  bool mapped;
  uint64_t want = (uint64_t)(t->count + 1) * 15 / 8 + 1;
  tm_tt_entry_t *n =
      want > UINT32_MAX ? NULL : slots_alloc((uint32_t)want, &ncap, &mapped);
  if (!n)
    return t->count + 2 <= t->cap;
  for (uint32_t i = 0; i < t->cap; i++)
    if (t->slots[i].key)
      place(n, ncap, t->slots[i].key, t->slots[i].val);
  uint32_t count = t->count;
  slots_free(t);
  t->slots = n;
  t->cap = ncap;
  t->max_count = tm_tt_max_count(ncap);
  t->count = count;
  t->mapped = mapped;
  return true;
}

void tm_tt_tab_free(tm_tt_table_t *t) {
  slots_free(t);
  t->has_zero = false;
}
