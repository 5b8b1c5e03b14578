/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trailer_overwritten.c - a trailer block whose trailer failed its check
 * (block_trailer.h): the program wrote past the end of the block. Called
 * from the inlined forget of every file that frees a trailer block, so it
 * is a file of its own, below them all.
 */
#include "trace_table.h"
#include "warn.h"

/* Blocks whose trailer failed its check, for the one warning. */
static _Atomic uint64_t overwritten;

TM_COLD_CALL void tm_core_trl_overwritten(uintptr_t p, size_t off, bool st) {
  // What the program asked for is at least off - the slack the check
  // allows (block_trailer.h): counting that out leaves current too high by
  // at most the slack, never below the other traces' sum. The history
  // keeps the block live: its id cannot be trusted.
  uint64_t cw = ((const uint64_t *)p)[-1];
  size_t slack = (cw & TM_TRL_GLIBC_MMAPPED) ? 4096 + 32 : 32;
  tm_tt_current_sub(off > slack ? off - slack : 0, st);
  if (atomic_fetch_add_explicit(&overwritten, 1, memory_order_relaxed) == 0)
    tm_warn("tracemalloc: warning: the program wrote past the end of the "
            "block at %p (%zu usable bytes): the trace kept after them was "
            "overwritten and is dropped; current may stay up to %zu bytes "
            "too high for each such block",
            (void *)p, off, slack);
}
