/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot_build.h - the fast way to fill a snapshot, for take_snapshot
 * (1M traces in well under 0.5 s) and for the loaders.
 *
 * tm_snapshot_add_trace (public) copies and interns everything for each call.
 * Here a traceback is interned once and then shared by many traces.
 */
#ifndef TM_SNAPSHOT_BUILD_H
#define TM_SNAPSHOT_BUILD_H

#include "tracemalloc.h"

/* Intern a filename (or function name) in the snapshot: equal strings give
 * the same pointer, owned by the snapshot. NULL on out-of-memory. */
const char *tm_snapshot_intern_string(tm_snapshot_t *snap, const char *s,
                                      size_t len);

/* Intern a traceback (frames most recent first; the frame strings must
 * already be interned in this snapshot). Equal (frames, total_nframe) give
 * the same pointer. NULL on out-of-memory. */
const tm_traceback_t *tm_snapshot_intern_traceback(tm_snapshot_t *snap,
                                                   const tm_frame_t *frames,
                                                   size_t nframe,
                                                   uint32_t total_nframe);

/* Room for n more traces (optional, avoids regrowth). */
tm_status_t tm_snapshot_reserve(tm_snapshot_t *snap, size_t n);
/* tm_snapshot_reserve for n traces that will all be appended (a snapshot
 * of the trace table, whose count is exact): their memory is faulted in at
 * once, on huge pages where the kernel has them (raw_alloc.h,
 * tm_raw_populate). With 1 M traces (24 MB), tm_take_snapshot took 72-98
 * ms with one fault per 4 KiB page, 42 ms faulted at once and 9-19 ms on
 * huge pages, on this project's virtual machine. Not for a count read from
 * a file: a corrupt one would commit memory that a reserve alone only
 * maps. */
tm_status_t tm_snapshot_reserve_all(tm_snapshot_t *snap, size_t n);

/* Append a trace whose traceback came from tm_snapshot_intern_traceback on
 * the same snapshot. */
tm_status_t tm_snapshot_append(tm_snapshot_t *snap, unsigned int domain,
                               size_t size, const tm_traceback_t *tb);

/* tm_snapshot_append with the allocating thread (tracemalloc.h:
 * tm_trace_t.thread; TM_THREAD_NONE or a number of the snapshot's thread
 * table, not checked). */
tm_status_t tm_snapshot_append_thread(tm_snapshot_t *snap, unsigned int domain,
                                      size_t size, const tm_traceback_t *tb,
                                      uint32_t thread);

/* Set trace i's thread (the binary loader reads the threads after the
 * traces; not checked). */
void tm_snapshot_set_trace_thread(tm_snapshot_t *snap, size_t i,
                                  uint32_t thread);

/* A new empty snapshot with snap's traceback limit, info and thread table: what
 * a snapshot derived from snap (filtered, suppressed) starts as. */
tm_status_t tm_snapshot_new_like(const tm_snapshot_t *snap,
                                 tm_snapshot_t **out);

/* tb (of another snapshot) interned in dst, its strings copied. NULL on
 * out-of-memory. */
const tm_traceback_t *tm_snapshot_copy_traceback(tm_snapshot_t *dst,
                                                 const tm_traceback_t *tb);

/* One traceback's (and thread's) live set at the peak: `count` blocks of
 * `size` bytes in all. */
typedef struct tm_peak_part {
  const tm_traceback_t *traceback; /* snap's */
  uint32_t thread;                 /* snap's numbering, or TM_THREAD_NONE */
  uint64_t size, count;
} tm_peak_part_t;

/* tm_snapshot_peak (tracemalloc.h) from the parts given rather than from
 * snap's history: the runtime's peak snapshot, whose parts are per
 * traceback and thread (core/take_snapshot.c). Keeps snap's history. */
tm_status_t tm_snapshot_peak_parts(const tm_snapshot_t *snap,
                                   const tm_peak_part_t *parts, size_t n,
                                   tm_snapshot_t **out);

#endif /* TM_SNAPSHOT_BUILD_H */
