/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_without_history.h - TM_HISTORY_ON_HOT_PATH: whether the allocation
 * and free paths do issue 12's work (the allocation history per traceback,
 * the peak's live set, the trace's thread, the timeline's sampling).
 *
 * Always 1, except in a runtime built with -DTM_BENCH_WITHOUT_HISTORY=ON
 * (CMakeLists.txt): a measurement device, not a product mode. It is the
 * base that bench/real/history_cost.sh compares this runtime with: the
 * same checkout and the same pass/runtime ABI, with only that work
 * removed, so the difference between the two runtimes is issue 12's cost.
 * In such a runtime the history, the peak snapshot and the timeline are
 * empty and every trace has thread 0 ("unknown"); the traces, current,
 * peak and snapshots are right.
 *
 * Each hot-path entry point of that work (history.h: tm_hist_on_alloc,
 * tm_hist_on_free, tm_hist_peak_reached; history.c: tm_hist_unfree;
 * timeline.h: tm_timeline_note; thread_registry.c: tm_thread_registry_self)
 * begins with `if (!TM_HISTORY_ON_HOT_PATH) return`, a constant the
 * compiler folds: the only switch, and no #if in the hot path.
 */
#ifndef TM_BENCH_WITHOUT_HISTORY_H
#define TM_BENCH_WITHOUT_HISTORY_H

#ifdef TM_BENCH_WITHOUT_HISTORY
#define TM_HISTORY_ON_HOT_PATH 0
#else
#define TM_HISTORY_ON_HOT_PATH 1
#endif

#endif /* TM_BENCH_WITHOUT_HISTORY_H */
