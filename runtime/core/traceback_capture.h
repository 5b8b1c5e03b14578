/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_capture.h - what the per-thread cache (traceback_cache.c) uses
 * of the capture and the intern set (traceback.c). Runtime-private. */
#ifndef TM_TRACEBACK_CAPTURE_H
#define TM_TRACEBACK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "shadow_stack.h"
#include "traceback.h"
#include "tracemalloc_abi.h"
#include "visibility.h"

/* Slot k (1..depth) of the stack (NULL: unknown; every slot of a stack
 * gathered without the thread's state is). */
static inline const struct tm_site *slot_at(const struct tm_shadow *sh,
                                            uintptr_t k) {
  return sh->frames ? sh->frames[k] : NULL;
}

/* The slots below `site`: 1..depth, or 1..depth-1 when the site's function
 * pushed a frame (the slot of its own frame holds a stale call). */
static inline uintptr_t top_slot(const struct tm_site *site, uintptr_t depth) {
  if (site && (site->flags & TM_SITE_OWN_FRAME) && depth > 0)
    return depth - 1;
  return depth;
}

/* The stack of the capture in progress on this thread, as gathered once
 * by tm_intern_capture: the walks of the intern set read it (with ABI v4
 * records, reading the stack again would mean walking them again). */
TM_HIDDEN extern __thread struct tm_shadow tm_intern_capture_sh
    __attribute__((tls_model("initial-exec")));

/* The global path: hash the expanded frames of the capture in progress,
 * look the record up in the set, intern it if new. `total` is
 * total_nframe (0: no frame at all). 0 when out of memory. */
TM_HIDDEN uint32_t tm_intern_capture_global(const struct tm_site *site,
                                            unsigned limit, unsigned total);

/* Does record `tb` hold exactly the expanded sites of the capture in
 * progress (empty: CPython's empty traceback)? */
TM_HIDDEN bool tm_intern_record_matches(const tm_tb_t *tb,
                                        const struct tm_site *site, bool empty);

#endif /* TM_TRACEBACK_CAPTURE_H */
