/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_counters.c - the traced memory counters: current, peak and
 * the count of dropped traces, and their readers.
 *
 * Separate because they are a concept of their own: the hot path updates
 * current and peak inline (trace_table.h, tm_tt_current_add), and these
 * are the variables and the out-of-line reads and resets. Why current and
 * peak are exact under threads: trace_table.c's top comment, "Counters".
 */
#include "trace_table_internal.h"

#include "history.h"

_Alignas(64) _Atomic size_t tm_traced_current;
_Alignas(64) _Atomic size_t tm_traced_peak;
_Alignas(64) _Atomic uint64_t tm_tt_dropped;

void tm_trace_table_traced_memory(size_t *current, size_t *peak) {
  size_t c = atomic_load_explicit(&tm_traced_current, memory_order_relaxed);
  size_t p = atomic_load_explicit(&tm_traced_peak, memory_order_relaxed);
  if (current)
    *current = c;
  if (peak)
    *peak = p < c ? c : p; // a reset_peak racing with an add
}

void tm_trace_table_reset_peak(void) {
  atomic_store_explicit(
      &tm_traced_peak,
      atomic_load_explicit(&tm_traced_current, memory_order_relaxed),
      memory_order_relaxed);
  // The live set at the peak is the current one from now on (history.h).
  tm_hist_peak_reached(false);
  // An add between the load and the store may have raised current: the
  // peak must not stay below it.
  tm_tt_peak_update(
      atomic_load_explicit(&tm_traced_current, memory_order_relaxed));
}

uint64_t tm_trace_table_dropped(void) {
  return atomic_load_explicit(&tm_tt_dropped, memory_order_relaxed);
}

void tm_trace_table_count_drop(void) {
  atomic_fetch_add_explicit(&tm_tt_dropped, 1, memory_order_relaxed);
}
