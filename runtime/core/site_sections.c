/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* site_sections.c - the registry of site sections (site_sections.h). */
#include "site_sections.h"

#include "spinlock.h"

tm_site_section_t tm_site_sections[TM_SITE_SECTIONS_MAX];
_Atomic uint32_t tm_site_sections_used;

/* Serialises writers; readers (tm_site_valid) take no lock. */
static tm_spinlock_t sections_lock = TM_SPINLOCK_INIT;

bool tm_site_sections_add(const struct tm_site *begin,
                          const struct tm_site *end) {
  uintptr_t b = (uintptr_t)begin, e = (uintptr_t)end;
  if (b == 0 || e <= b || (b & 7) != 0)
    return false;
  bool ok = false;
  tm_spin_lock(&sections_lock);
  uint32_t n =
      atomic_load_explicit(&tm_site_sections_used, memory_order_relaxed);
  uint32_t free_slot = n;
  for (uint32_t i = 0; i < n && !ok; i++) {
    uintptr_t ib =
        atomic_load_explicit(&tm_site_sections[i].begin, memory_order_relaxed);
    if (ib == b)
      ok = true; // a second constructor of the same image
    else if (ib == 0 && free_slot == n)
      free_slot = i;
  }
  if (!ok && free_slot < TM_SITE_SECTIONS_MAX) {
    // The end first: a reader that sees the begin sees its end.
    atomic_store_explicit(&tm_site_sections[free_slot].end, e,
                          memory_order_relaxed);
    atomic_store_explicit(&tm_site_sections[free_slot].begin, b,
                          memory_order_release);
    if (free_slot == n)
      atomic_store_explicit(&tm_site_sections_used, n + 1,
                            memory_order_release);
    ok = true;
  }
  tm_spin_unlock(&sections_lock);
  return ok;
}

void tm_site_sections_remove(const struct tm_site *begin,
                             const struct tm_site *end) {
  (void)end;
  tm_spin_lock(&sections_lock);
  uint32_t n =
      atomic_load_explicit(&tm_site_sections_used, memory_order_relaxed);
  for (uint32_t i = 0; i < n; i++)
    if (atomic_load_explicit(&tm_site_sections[i].begin,
                             memory_order_relaxed) == (uintptr_t)begin) {
      atomic_store_explicit(&tm_site_sections[i].begin, 0,
                            memory_order_release);
      atomic_store_explicit(&tm_site_sections[i].end, 0, memory_order_relaxed);
    }
  tm_spin_unlock(&sections_lock);
}
