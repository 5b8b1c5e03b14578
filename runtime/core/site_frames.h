/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* site_frames.h - what a capture's walk asks of a site pointer read from a
 * frame record: is it at a site's start inside a registered section
 * (site_sections.h finds the section; this tests the offset), and how many
 * frames it expands to. Shared by tm_shadow_gather (shadow_gather.c) and
 * tm_shadow_below (shadow_below.c). */
#ifndef TM_SITE_FRAMES_H
#define TM_SITE_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "shadow_stack.h"
#include "site_sections.h"
#include "tracemalloc_abi.h"

/* Is off (a site's distance from a section's start) inside a section of
 * len bytes and at a site's start, a multiple of sizeof(struct tm_site)
 * (40)? The multiple test as the exact-division check: off * 5^-1 mod 2^64,
 * rotated right by 3, is at most (2^64 - 1) / 40 exactly when 40 divides
 * off (the compiler's own `off % 40 == 0` became a 128-bit multiply
 * and three more instructions inside the walk). */
_Static_assert(sizeof(struct tm_site) == 40, "tm_site_in_section assumes 40");
static inline bool tm_site_in_section(uintptr_t off, uintptr_t len) {
  uint64_t m =
      __builtin_rotateright64((uint64_t)off * 0xCCCCCCCCCCCCCCCDull, 3);
  return off < len && m <= UINT64_MAX / 40;
}

/* s when it is a site's start in a registered section, else NULL (an
 * unknown frame). A walk keeps the last site it found valid in *valid and
 * that site's section in [*vb, *vb + *vlen): a site in the same section
 * (a whole module's, usually) is checked without the registry. */
static inline const struct tm_site *
tm_site_checked(const struct tm_site *s, const struct tm_site **valid,
                uintptr_t *vb, uintptr_t *vlen) {
  if (s != *valid) {
    if (tm_site_in_section((uintptr_t)s - *vb, *vlen) ||
        tm_site_section_find(s, vb, vlen))
      *valid = s;
    else
      return NULL;
  }
  return s;
}

/* Frames a site expands to: itself and its inlined_at chain (an unknown
 * slot, NULL, is one frame), capped at TM_TOTAL_CAP. */
static inline uint32_t tm_site_frames(const struct tm_site *s) {
  uint32_t n = 1;
  if (s)
    for (s = s->inlined_at; s && n < TM_TOTAL_CAP; s = s->inlined_at)
      n++;
  return n;
}

#endif /* TM_SITE_FRAMES_H */
