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
  // What the program asked for is at least off - TM_TRL_MAX_DELTA
  // (block_trailer.h): counting that out leaves current too high by at
  // most that much, never below the other traces' sum. The history keeps
  // the block live: its id cannot be trusted.
  size_t least = off > TM_TRL_MAX_DELTA ? off - TM_TRL_MAX_DELTA : 0;
  tm_tt_current_sub(least, st);
  if (atomic_fetch_add_explicit(&overwritten, 1, memory_order_relaxed) == 0)
    tm_warn("tracemalloc: warning: the program wrote past the end of the "
            "block at %p (%zu usable bytes), over the trace kept after "
            "them: that trace is dropped, and current may stay up to %u "
            "bytes too high for each such block (this warning is printed "
            "once)",
            (void *)p, off, TM_TRL_MAX_DELTA);
}
