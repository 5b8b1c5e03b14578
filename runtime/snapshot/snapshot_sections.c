/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot_sections.c - what a snapshot carries besides its traces: the
 * thread table, the leak classification (leak_class.h), the allocation
 * history (tm_history_t) and memory over time (the timeline). Each is
 * stored as given (the history summed per traceback and thread) and read back
 * whole; the dump formats write each as a section of its own.
 *
 * Separate from snapshot.c: each table is set and read as a whole, and
 * none takes part in interning.
 */
#include <string.h>

#include "error.h"
#include "leak_class.h"
#include "ptr_map.h"
#include "raw_alloc.h"
#include "snapshot_layout.h"

/* A copy of n records of `size` bytes (n * size does not overflow: the
 * caller's array exists), in a block of one byte at least: a section with
 * no record is still one, told from none (NULL) by its pointer. NULL on
 * out-of-memory. */
static void *copy_records(const void *recs, size_t n, size_t size) {
  void *copy = tm_raw_alloc(n ? n * size : 1, TM_MEM_OBJECTS);
  if (copy && n)
    memcpy(copy, recs, n * size);
  return copy;
}

/* ---- Leak classification (leak_class.h) -------------------------------- */

tm_status_t tm_snapshot_set_leaks(tm_snapshot_t *snap,
                                  const tm_leak_rec_t *recs, size_t n) {
  tm_leak_rec_t *copy = copy_records(recs, n, sizeof *copy);
  if (!copy)
    return tm_set_error(TM_ENOMEM, "out of memory storing a leak "
                                   "classification");
  tm_raw_free(snap->leaks);
  snap->leaks = copy;
  snap->nleaks = n;
  return TM_OK;
}

int tm_leak_rec_report_order(const void *a, const void *b) {
  const tm_leak_rec_t *x = a, *y = b;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  if (x->blocks != y->blocks)
    return x->blocks > y->blocks ? -1 : 1;
  return tm_traceback_cmp(x->tb, y->tb);
}

const tm_leak_rec_t *tm_snapshot_leaks(const tm_snapshot_t *snap, size_t *n) {
  *n = snap ? snap->nleaks : 0;
  return snap ? snap->leaks : NULL;
}

/* ---- Threads ----------------------------------------------------------- */

const tm_thread_info_t *tm_snapshot_threads(const tm_snapshot_t *snap,
                                            size_t *n) {
  if (n)
    *n = snap ? snap->nthreads : 0;
  return snap && snap->nthreads ? snap->threads : NULL;
}

tm_status_t tm_snapshot_add_thread(tm_snapshot_t *snap, int64_t tid,
                                   const char *name, bool ended,
                                   uint32_t *out) {
  if (!snap)
    return tm_set_error(TM_EINVAL, "snapshot must not be NULL");
  if (snap->nthreads >= UINT32_MAX - 1)
    return tm_set_error(TM_EINVAL, "too many threads");
  if (snap->nthreads == snap->threads_cap) {
    size_t ncap = snap->threads_cap ? snap->threads_cap * 2 : 8;
    tm_thread_info_t *t =
        tm_raw_realloc(snap->threads, ncap * sizeof *t, TM_MEM_OBJECTS);
    if (!t)
      return tm_set_error(TM_ENOMEM, "out of memory adding a thread");
    snap->threads = t;
    snap->threads_cap = ncap;
  }
  const char *n = name ? name : "";
  const char *copy = tm_snapshot_intern_string(snap, n, strlen(n));
  if (!copy)
    return tm_set_error(TM_ENOMEM, "out of memory adding a thread");
  snap->threads[snap->nthreads++] = (tm_thread_info_t){tid, copy, ended};
  if (out)
    *out = (uint32_t)snap->nthreads;
  return TM_OK;
}

void tm_snapshot_set_trace_thread(tm_snapshot_t *snap, size_t i,
                                  uint32_t thread) {
  snap->traces[i].thread = thread;
}

/* ---- Allocation history (tm_history_t) ---------------------------------- */

tm_status_t tm_snapshot_set_history(tm_snapshot_t *snap,
                                    const tm_history_t *recs, size_t n) {
  // One byte at least: a history with no record is still one.
  tm_history_t *copy = tm_raw_alloc(n ? n * sizeof *copy : 1, TM_MEM_OBJECTS);
  // next[j]: the next kept record of copy[j]'s traceback (+1; 0: none), so
  // that a traceback's records in other threads are found without a map
  // keyed on pairs (a process has few threads).
  uint32_t *next = tm_raw_calloc((n ? n : 1) * sizeof *next, TM_MEM_OBJECTS);
  if (!copy || !next) {
    tm_raw_free(copy);
    tm_raw_free(next);
    return tm_set_error(TM_ENOMEM, "out of memory storing an allocation "
                                   "history");
  }
  // Records of one (traceback pointer, thread) are summed (two runtime
  // tracebacks of a thread can become one snapshot traceback); another
  // thread's records of the traceback stay apart.
  tm_ptr_map_t idx;
  tm_ptr_map_init(&idx, sizeof(tm_ptr_index_slot_t), 64);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t j;
    bool added;
    if (!tm_ptr_map_index(&idx, recs[i].traceback, (uint32_t)m, &j, &added)) {
      tm_ptr_map_free(&idx);
      tm_raw_free(copy);
      tm_raw_free(next);
      return tm_set_error(TM_ENOMEM, "out of memory storing an allocation "
                                     "history");
    }
    if (!added) {
      while (copy[j].thread != recs[i].thread && next[j])
        j = next[j] - 1;
      if (copy[j].thread != recs[i].thread) {
        next[j] = (uint32_t)m + 1;
        added = true;
      }
    }
    if (added) {
      copy[m++] = recs[i];
      continue;
    }
    copy[j].calls += recs[i].calls;
    copy[j].allocated += recs[i].allocated;
    copy[j].frees += recs[i].frees;
    copy[j].temporary += recs[i].temporary;
    copy[j].peak_size += recs[i].peak_size;
    copy[j].peak_count += recs[i].peak_count;
  }
  tm_ptr_map_free(&idx);
  tm_raw_free(next);
  tm_raw_free(snap->hist);
  snap->hist = copy;
  snap->nhist = m;
  return TM_OK;
}

const tm_history_t *tm_snapshot_history(const tm_snapshot_t *snap, size_t *n) {
  if (n)
    *n = snap ? snap->nhist : 0;
  return snap ? snap->hist : NULL;
}

/* ---- Memory over time -------------------------------------------------- */

tm_status_t tm_snapshot_set_timeline(tm_snapshot_t *snap,
                                     const tm_timeline_point_t *points,
                                     size_t n) {
  if (!snap || (n && !points))
    return tm_set_error(TM_EINVAL, "tm_snapshot_set_timeline: NULL argument");
  for (size_t i = 0; i < n; i++) {
    const tm_timeline_point_t *p = &points[i];
    if (p->current > p->peak)
      return tm_set_error(
          TM_EINVAL, "timeline point %zu: current %llu above peak %llu", i,
          (unsigned long long)p->current, (unsigned long long)p->peak);
    if (i && p->time_ns < p[-1].time_ns)
      return tm_set_error(TM_EINVAL, "timeline point %zu: time goes backwards",
                          i);
    if (i && p->allocations < p[-1].allocations)
      return tm_set_error(TM_EINVAL,
                          "timeline point %zu: allocation count goes "
                          "backwards",
                          i);
  }
  tm_timeline_point_t *copy = copy_records(points, n, sizeof *copy);
  if (!copy)
    return tm_set_error(TM_ENOMEM, "out of memory storing a timeline");
  tm_raw_free(snap->timeline);
  snap->timeline = copy;
  snap->ntimeline = n;
  return TM_OK;
}

const tm_timeline_point_t *tm_snapshot_timeline(const tm_snapshot_t *snap,
                                                size_t *npoints) {
  if (npoints)
    *npoints = snap ? snap->ntimeline : 0;
  return snap ? snap->timeline : NULL;
}
