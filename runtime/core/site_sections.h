/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* site_sections.h - the registered `tm_sites` sections of the instrumented
 * images (ABI v4, include/tracemalloc_abi.h section 2).
 *
 * A frame record's site field is read by a capture that cannot trust it:
 * after a longjmp or an exception through uninstrumented frames,
 * __tm_shadow_top points into dead stack until the next instrumented exit
 * repairs it, and whatever lies there may look like a record. A site
 * pointer is therefore only followed when it is the address of one struct
 * tm_site of a section some image registered (its constructor calls
 * __tm_module_init_v4 with the linker's __start_tm_sites/__stop_tm_sites;
 * its destructor withdraws them before a dlclose unmaps them). The pass
 * lays sites out as arrays of struct tm_site aligned to 8, whose size is a
 * multiple of 8, so a section is one array of them from its start.
 *
 * Readers take no lock: a slot is published by storing its end, then its
 * begin (release); withdrawn by clearing its begin first.
 */
#ifndef TM_SITE_SECTIONS_H
#define TM_SITE_SECTIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tracemalloc_abi.h"
#include "visibility.h"

/* Images with instrumented code loaded at once, at most. A later one is
 * not registered (its sites read as unknown frames when found in a
 * record; the sites passed to hooks are not affected). */
#define TM_SITE_SECTIONS_MAX 1024

typedef struct tm_site_section {
  _Atomic uintptr_t begin, end; /* begin 0: free */
} tm_site_section_t;

TM_HIDDEN extern tm_site_section_t tm_site_sections[TM_SITE_SECTIONS_MAX];
TM_HIDDEN extern _Atomic uint32_t tm_site_sections_used; /* slots ever used */

/* Register [begin, end) (idempotent); false when the table is full or the
 * range is empty or misaligned. */
TM_HIDDEN bool tm_site_sections_add(const struct tm_site *begin,
                                    const struct tm_site *end);
/* Withdraw [begin, end) (no effect if it was not registered). */
TM_HIDDEN void tm_site_sections_remove(const struct tm_site *begin,
                                       const struct tm_site *end);

/* Is s the address of a site in a registered section? When it is, the
 * section s is in: *begin and *len
 * (its size in bytes), for a caller that checks the next sites against it
 * first (tm_shadow_gather). */
static inline bool tm_site_section_find(const struct tm_site *s,
                                        uintptr_t *begin, uintptr_t *len) {
  uintptr_t p = (uintptr_t)s;
  uint32_t n =
      atomic_load_explicit(&tm_site_sections_used, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++) {
    uintptr_t b =
        atomic_load_explicit(&tm_site_sections[i].begin, memory_order_acquire);
    uintptr_t e =
        atomic_load_explicit(&tm_site_sections[i].end, memory_order_relaxed);
    if (p >= b && b != 0 && p < e) {
      if ((p - b) % sizeof(struct tm_site) != 0)
        return false;
      *begin = b;
      *len = e - b;
      return true;
    }
  }
  return false;
}

/* Is s the address of a site in a registered section? */
static inline bool tm_site_valid(const struct tm_site *s) {
  uintptr_t begin, len;
  return tm_site_section_find(s, &begin, &len);
}

#endif /* TM_SITE_SECTIONS_H */
