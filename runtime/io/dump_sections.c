/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_sections.c - the optional sections of a binary dump, after the
 * traces (the layout is drawn in dump.c): the leak classification, the
 * allocation history, the thread table, the timeline and the history
 * records' threads.
 *
 * Separate from dump.c: each section is written on its own from a table of
 * the snapshot (snapshot_sections.c); dump.c only joins them.
 */
#include <string.h>

#include "dump_writer.h"
#include "leak_class.h"
#include "raw_alloc.h"

/* The leaks section (after the traces: their tracebacks come first in the
 * table; a leak's traceback no trace uses is added after them). */
typedef struct leak_out {
  uint64_t key; /* traceback index << 2 | kind */
  uint64_t blocks, bytes;
} leak_out_t;

bool tm_dump_write_leaks(writer_t *w, const tm_snapshot_t *snap) {
  size_t n;
  const tm_leak_rec_t *recs = tm_snapshot_leaks(snap, &n);
  if (!recs)
    return true;
  leak_out_t *out = tm_raw_alloc((n ? n : 1) * sizeof *out, TM_MEM_OBJECTS);
  if (!out)
    return false;
  for (size_t i = 0; i < n; i++) {
    uint32_t tb;
    bool added;
    if (!tm_ptr_map_index(&w->traceback_ids, recs[i].tb, w->ntracebacks, &tb,
                          &added) ||
        (added && !tm_dump_write_traceback(w, recs[i].tb))) {
      tm_raw_free(out);
      return false;
    }
    if (added)
      w->ntracebacks++;
    out[i] = (leak_out_t){(uint64_t)tb << 2 | (recs[i].kind & 3),
                          recs[i].blocks, recs[i].bytes};
  }
  // Shell sort by key (no qsort: the runtime writes dumps, and glibc's
  // qsort may call malloc).
  for (size_t gap = n / 2; gap; gap /= 2)
    for (size_t i = gap; i < n; i++)
      for (size_t j = i; j >= gap && out[j - gap].key > out[j].key; j -= gap) {
        leak_out_t t = out[j];
        out[j] = out[j - gap];
        out[j - gap] = t;
      }
  tm_buf_put_varint(&w->leaks, n);
  for (size_t i = 0; i < n; i++) {
    tm_buf_put_varint(&w->leaks, out[i].key >> 2);
    tm_buf_put_varint(&w->leaks, out[i].key & 3);
    tm_buf_put_varint(&w->leaks, out[i].blocks);
    tm_buf_put_varint(&w->leaks, out[i].bytes);
  }
  tm_raw_free(out);
  return !w->leaks.failed;
}

/* The history section (after the leaks: a record's traceback no trace or
 * leak uses is added to the table after theirs). */
typedef struct hist_out {
  uint32_t tb;
  const tm_history_t *h;
} hist_out_t;

static bool hist_after(const hist_out_t *a, const hist_out_t *b) {
  return a->tb != b->tb ? a->tb > b->tb : a->h->thread > b->h->thread;
}

bool tm_dump_history_has_threads(const tm_snapshot_t *snap) {
  size_t n, nthreads;
  const tm_history_t *recs = tm_snapshot_history(snap, &n);
  tm_snapshot_threads(snap, &nthreads);
  for (size_t i = 0; recs && nthreads && i < n; i++)
    if (recs[i].thread != TM_THREAD_NONE)
      return true;
  return false;
}

bool tm_dump_write_history(writer_t *w, const tm_snapshot_t *snap) {
  size_t n;
  const tm_history_t *recs = tm_snapshot_history(snap, &n);
  if (!recs)
    return true;
  hist_out_t *out = tm_raw_alloc((n ? n : 1) * sizeof *out, TM_MEM_OBJECTS);
  if (!out)
    return false;
  for (size_t i = 0; i < n; i++) {
    uint32_t tb;
    bool added;
    if (!tm_ptr_map_index(&w->traceback_ids, recs[i].traceback, w->ntracebacks,
                          &tb, &added) ||
        (added && !tm_dump_write_traceback(w, recs[i].traceback))) {
      tm_raw_free(out);
      return false;
    }
    if (added)
      w->ntracebacks++;
    out[i] = (hist_out_t){tb, &recs[i]};
  }
  // Shell sort by (index, thread) (no qsort: see tm_dump_write_leaks). A
  // snapshot has one record per traceback pointer and thread, so the pairs
  // are distinct.
  for (size_t gap = n / 2; gap; gap /= 2)
    for (size_t i = gap; i < n; i++)
      for (size_t j = i; j >= gap && hist_after(&out[j - gap], &out[j]);
           j -= gap) {
        hist_out_t t = out[j];
        out[j] = out[j - gap];
        out[j - gap] = t;
      }
  tm_buf_put_varint(&w->history, n);
  for (size_t i = 0; i < n; i++) {
    const tm_history_t *h = out[i].h;
    tm_buf_put_varint(&w->history, out[i].tb);
    tm_buf_put_varint(&w->history, h->calls);
    tm_buf_put_varint(&w->history, h->allocated);
    tm_buf_put_varint(&w->history, h->frees);
    tm_buf_put_varint(&w->history, h->temporary);
    tm_buf_put_varint(&w->history, h->peak_size);
    tm_buf_put_varint(&w->history, h->peak_count);
  }
  // The records' threads, in the same order (flag bit 5).
  if (tm_dump_history_has_threads(snap))
    for (size_t i = 0; i < n; i++)
      tm_buf_put_varint(&w->history_threads, out[i].h->thread);
  tm_raw_free(out);
  return !w->history.failed && !w->history_threads.failed;
}

/* The threads section (flag bit 3), when the snapshot has a thread
 * table. */
bool tm_dump_write_threads(writer_t *w, const tm_snapshot_t *snap) {
  size_t nthreads;
  const tm_thread_info_t *th = tm_snapshot_threads(snap, &nthreads);
  if (!nthreads)
    return true;
  tm_buf_put_varint(&w->threads, nthreads);
  for (size_t i = 0; i < nthreads; i++) {
    size_t len = strlen(th[i].name);
    tm_buf_put_varint(&w->threads, zigzag(th[i].tid));
    tm_buf_put_varint(&w->threads, th[i].ended ? 1 : 0);
    tm_buf_put_varint(&w->threads, len);
    tm_buf_append(&w->threads, th[i].name, len);
  }
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *traces = tm_snapshot_traces(snap);
  for (size_t i = 0; i < n; i++)
    tm_buf_put_varint(&w->threads, traces[i].thread);
  return !w->threads.failed;
}

/* The timeline section (flag bit 4): deltas keep the common point at 4-8
 * bytes. */
bool tm_dump_write_timeline(writer_t *w, const tm_snapshot_t *snap) {
  size_t n;
  const tm_timeline_point_t *p = tm_snapshot_timeline(snap, &n);
  if (!p)
    return true;
  tm_buf_put_varint(&w->timeline, n);
  uint64_t t = 0, a = 0;
  for (size_t i = 0; i < n; i++) {
    tm_buf_put_varint(&w->timeline, p[i].time_ns - t);
    tm_buf_put_varint(&w->timeline, p[i].current);
    tm_buf_put_varint(&w->timeline, p[i].peak);
    tm_buf_put_varint(&w->timeline, p[i].allocations - a);
    t = p[i].time_ns;
    a = p[i].allocations;
  }
  return !w->timeline.failed;
}
