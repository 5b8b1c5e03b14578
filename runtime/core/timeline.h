/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* timeline.h - memory over time: a bounded series of (time, current, peak,
 * allocation count) points kept while tracing (docs/semantics.md, "Memory
 * over time").
 *
 * Design. No thread and no timer: the allocation path samples. Each thread
 * counts its operations down (a thread-local countdown, no shared write);
 * when the countdown runs out, timeline.c reads CLOCK_MONOTONIC (vDSO, no
 * system call) and takes a sample if the global deadline has passed. The
 * countdown length adapts per thread to the thread's pace (1 to
 * TM_TL_MAX_COUNTDOWN operations, aiming at a clock read every half
 * interval), so a busy thread reads the clock once per 256 operations and a
 * slow one on every operation (then the read is small next to the pause).
 * The points live in one fixed array of TM_TL_MAX_POINTS; when it is full
 * every other point is dropped and the interval doubles (massif's way),
 * except the point with the largest current, which is always kept.
 *
 * The peak. Sampling alone would miss it (it lies between samples): the
 * operation that raises the peak stamps it with a cycle counter (rdtsc /
 * cntvct_el0: no call, about 20 cycles, only when the peak rises), its value
 * and the allocation count. The next sample converts the stamp to
 * nanoseconds by interpolating between the two samples' (clock, counter)
 * pairs and inserts a point with current = peak = that value, so the chart
 * shows the true peak at the moment current first reached it.
 *
 * The allocation count is per-thread too (flushed into a global counter
 * with each clock read and at thread exit): samples see every thread's
 * allocations up to its last flush, less than TM_TL_MAX_COUNTDOWN behind
 * per other running thread; once the other threads have ended it is
 * exact.
 */
#ifndef TM_TIMELINE_H
#define TM_TIMELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_without_history.h"
#include "tracemalloc.h"
#include "visibility.h"

#define TM_TL_MAX_POINTS 4096
#define TM_TL_MIN_INTERVAL_NS 10000000ull /* 10 ms */
#define TM_TL_MAX_COUNTDOWN 256

/* The thread's countdown and unflushed allocation count. `gen`: the
 * timeline (tm_start) the count belongs to. */
typedef struct tm_tl_thread {
  uint32_t left; /* operations before the next check, minus one */
  uint32_t allocs;
  uint32_t n;
  uint32_t gen;
  uint64_t last_check_ns;
} tm_tl_thread_t;

TM_HIDDEN extern __thread tm_tl_thread_t tm_tl_self
    __attribute__((tls_model("initial-exec")));

/* The last rise of the peak (written by the raising operation, relaxed:
 * with threads racing to raise it, fields of two close rises may mix, which
 * moves the point by nanoseconds). */
typedef struct tm_tl_peak_rec {
  _Atomic uint64_t stamp; /* tm_tl_ticks() */
  _Atomic uint64_t value;
  _Atomic uint64_t allocs;
} tm_tl_peak_rec_t;

TM_HIDDEN extern tm_tl_peak_rec_t tm_tl_peak;
TM_HIDDEN extern _Atomic uint64_t tm_tl_allocs; /* flushed counts */

/* CLOCK_MONOTONIC in nanoseconds (or the unit tests' clock). */
TM_HIDDEN uint64_t tm_tl_clock_ns(void);
/* Set by unit tests only: their clock, which then also stamps the peak. */
TM_HIDDEN extern uint64_t (*_Atomic tm_tl_test_clock)(void);

/* A cheap monotonic counter for the peak's stamp. */
static inline uint64_t tm_tl_ticks(void) {
  uint64_t (*tc)(void) =
      atomic_load_explicit(&tm_tl_test_clock, memory_order_relaxed);
  if (__builtin_expect(tc != NULL, 0))
    return tc();
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#else
  return tm_tl_clock_ns();
#endif
}

/* preserve_most: the caller keeps its registers across the call instead of
 * spilling them into its frame. Why: the caller is inside an allocation
 * and holds the new block's pointer; a spilled copy stays in the stack
 * after the call, where a frame of the exit path can later cover it
 * uninitialised and make the conservative leak scan (leak_scan.c) count the
 * block reachable (test/e2e/leaks.c's "aligned lost" did). */
#define TM_TL_PRESERVE TM_COLD_CALL
TM_HIDDEN TM_TL_PRESERVE void tm_timeline_check(void);

/* The hot path's only call (trace_table.h's tm_tt_current_add /
 * tm_tt_current_sub): one traced operation happened; `alloc`: it was an
 * allocation (a new trace or a replacement), `raised`: it raised the peak
 * to `post`. */
static inline __attribute__((always_inline)) void
tm_timeline_note(bool alloc, bool raised, size_t post) {
  if (!TM_HISTORY_ON_HOT_PATH)
    return;
  tm_tl_thread_t *t = &tm_tl_self;
  if (alloc) {
    t->allocs++;
    if (__builtin_expect(raised, 0)) {
      atomic_store_explicit(&tm_tl_peak.stamp, tm_tl_ticks(),
                            memory_order_relaxed);
      atomic_store_explicit(&tm_tl_peak.value, post, memory_order_relaxed);
      atomic_store_explicit(
          &tm_tl_peak.allocs,
          atomic_load_explicit(&tm_tl_allocs, memory_order_relaxed) + t->allocs,
          memory_order_relaxed);
    }
  }
  // `left-- == 0` on an unsigned: one subtract and a branch on its borrow.
  if (__builtin_expect(t->left-- == 0, 0))
    tm_timeline_check();
}

/* Control, each called with tm_reentrant raised. tm_start: a new timeline
 * (the first point (0, 0, 0, 0)); false if its array cannot be mapped (then
 * no point is kept). */
TM_HIDDEN bool tm_timeline_start(void);
/* tm_clear_traces, with every table lock held, after current and peak went
 * to 0: the pending peak point and a point at 0 are recorded; the timeline
 * goes on. */
TM_HIDDEN void tm_timeline_on_clear(void);
/* tm_reset_peak, after the reset: the pending peak point is recorded, and
 * the new peak (current, now) becomes the pending one. */
TM_HIDDEN void tm_timeline_on_reset_peak(void);
/* A thread exits (its shadow stack's destructor, on the thread): its
 * allocations not yet counted go into the timeline's count, so that the
 * count is exact once the threads that allocated have ended. */
TM_HIDDEN void tm_timeline_thread_exit(void);
/* fork child: the timeline lock may have been held by a vanished thread. */
TM_HIDDEN void tm_timeline_atfork_child(void);

/* The points so far plus the pending peak point and a final point for now,
 * copied into snap (take_snapshot, every table lock held). */
TM_HIDDEN tm_status_t tm_timeline_copy_to(tm_snapshot_t *snap);

/* ---- For unit tests: a clock of their own (NULL: CLOCK_MONOTONIC), also
 * used as the tick counter, so that interpolation is exact. */
TM_HIDDEN void tm_timeline_test_set_clock(uint64_t (*clock_ns)(void));
/* The current sampling interval and number of points. */
TM_HIDDEN uint64_t tm_timeline_interval_ns(void);
TM_HIDDEN size_t tm_timeline_npoints(void);

#endif /* TM_TIMELINE_H */
