/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* load_sections.c - the optional sections of a binary dump, after the
 * traces, each present when its header flag is set (the layout is drawn in
 * dump.c): the leak classification, the allocation history, the thread
 * table, the timeline and the history records' threads. Every record is checked
 * as load.c checks the traces.
 *
 * Separate from load.c: each section is read on its own, into a table of
 * the snapshot (snapshot_sections.c), after the snapshot's traces exist.
 */
#include <string.h>

#include "leak_class.h"
#include "load_reader.h"
#include "raw_alloc.h"
#include "snapshot_build.h"

/* STEP 5 (flag TM_DUMP_FLAG_LEAKS): the leak classification (dump.c). */
tm_status_t tm_load_leaks(reader_t *r) {
  uint64_t n, total = 0, prev = 0;
  TRY(get_count(r, "leak records", 4, &n));
  tm_leak_rec_t *recs =
      tm_raw_alloc((n ? n : 1) * sizeof *recs, TM_MEM_OBJECTS);
  if (!recs)
    return oom(r);
  tm_status_t st = TM_OK;
  for (uint64_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t tb, kind, blocks, bytes;
    if ((st = get_varint(r, "leak traceback", &tb)) != TM_OK ||
        (st = get_varint(r, "leak kind", &kind)) != TM_OK ||
        (st = get_varint(r, "leak blocks", &blocks)) != TM_OK ||
        (st = get_bounded(r, "leak bytes", TM_IO_MAX_TOTAL_SIZE, &bytes)) !=
            TM_OK)
      break;
    uint64_t key = tb << 2 | kind;
    if (tb >= r->ntracebacks)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: traceback index %llu out of "
                "range (%u tracebacks)",
                (unsigned long long)i, (unsigned long long)tb, r->ntracebacks);
    else if (kind < TM_LEAK_DIRECT || kind > TM_LEAK_REACHABLE)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: kind %llu is not 1 (definitely "
                "lost), 2 (indirectly lost) or 3 (reachable)",
                (unsigned long long)i, (unsigned long long)kind);
    else if (blocks == 0)
      st = fail(r->name, TM_EFORMAT, "corrupt: leak record %llu: 0 blocks",
                (unsigned long long)i);
    else if (i && key <= prev)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: not after the previous one "
                "(records are in increasing (traceback, kind) order, each "
                "pair once)",
                (unsigned long long)i);
    else if (bytes > TM_IO_MAX_TOTAL_SIZE - total)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: the leaked bytes total more than "
                "2^63-1",
                (unsigned long long)i);
    if (st != TM_OK)
      break;
    prev = key;
    total += bytes;
    recs[i] = (tm_leak_rec_t){r->tracebacks[tb], (uint32_t)kind, blocks, bytes};
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_LEAKS) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the leak records", left(r));
  if (st == TM_OK && tm_snapshot_set_leaks(r->snap, recs, (size_t)n) != TM_OK)
    st = oom(r);
  tm_raw_free(recs);
  return st;
}

/* STEP 6 (flag TM_DUMP_FLAG_HISTORY): the allocation history (dump.c). */
tm_status_t tm_load_history(reader_t *r) {
  uint64_t n, prev = 0;
  TRY(get_count(r, "history records", 7, &n));
  tm_history_t *recs = tm_raw_alloc((n ? n : 1) * sizeof *recs, TM_MEM_OBJECTS);
  if (!recs)
    return oom(r);
  // With threads to come (flag bit 5), one traceback may have a record
  // per thread: the order is checked with the threads.
  bool threads_follow = r->flags & TM_DUMP_FLAG_HISTORY_THREADS;
  uint64_t *tbs = NULL;
  if (threads_follow &&
      !(tbs = tm_raw_alloc((n ? n : 1) * sizeof *tbs, TM_MEM_OBJECTS))) {
    tm_raw_free(recs);
    return oom(r);
  }
  tm_status_t st = TM_OK;
  for (uint64_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t tb, v[6];
    if ((st = get_varint(r, "history traceback", &tb)) != TM_OK ||
        (st = get_varint(r, "history calls", &v[0])) != TM_OK ||
        (st = get_varint(r, "history allocated", &v[1])) != TM_OK ||
        (st = get_varint(r, "history frees", &v[2])) != TM_OK ||
        (st = get_varint(r, "history temporary", &v[3])) != TM_OK ||
        (st = get_bounded(r, "history peak_size", TM_IO_MAX_TOTAL_SIZE,
                          &v[4])) != TM_OK ||
        (st = get_varint(r, "history peak_count", &v[5])) != TM_OK)
      break;
    const char *bad = NULL;
    if (tb >= r->ntracebacks)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: history record %llu: traceback index %llu out of "
                "range (%u tracebacks)",
                (unsigned long long)i, (unsigned long long)tb, r->ntracebacks);
    else if (i && (threads_follow ? tb < prev : tb <= prev))
      st = fail(r->name, TM_EFORMAT,
                "corrupt: history record %llu: not after the previous one "
                "(records are in increasing traceback order, each once%s)",
                (unsigned long long)i, threads_follow ? " per thread" : "");
    else if (v[2] > v[0])
      bad = "more frees than calls";
    else if (v[3] > v[2])
      bad = "more temporary allocations than frees";
    else if (v[5] > v[0])
      bad = "more blocks at the peak than calls";
    else if (v[4] > v[1])
      bad = "more bytes at the peak than allocated";
    if (bad)
      st = fail(r->name, TM_EFORMAT, "corrupt: history record %llu: %s",
                (unsigned long long)i, bad);
    if (st != TM_OK)
      break;
    prev = tb;
    recs[i] = (tm_history_t){
        r->tracebacks[tb], v[0], v[1], v[2], v[3], v[4], v[5], TM_THREAD_NONE};
    if (tbs)
      tbs[i] = tb;
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_HISTORY) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the history records",
              left(r));
  if (st == TM_OK && threads_follow) {
    // Kept for tm_load_history_threads (the reader frees them).
    r->hist = recs;
    r->hist_tb = tbs;
    r->nhist = (size_t)n;
    return TM_OK;
  }
  if (st == TM_OK && tm_snapshot_set_history(r->snap, recs, (size_t)n) != TM_OK)
    st = oom(r);
  tm_raw_free(recs);
  tm_raw_free(tbs);
  return st;
}

/* STEP 7 (flag TM_DUMP_FLAG_THREADS): the thread table, then each
 * trace's thread (dump.c). */
tm_status_t tm_load_threads(reader_t *r) {
  uint64_t n;
  // An entry takes 3 bytes at least (tid, ended, name length).
  TRY(get_count(r, "threads", 3, &n));
  if (n >= UINT32_MAX)
    return fail(r->name, TM_EFORMAT, "corrupt: too many threads");
  char *name = NULL;
  tm_status_t st = TM_OK;
  for (uint32_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t tid, ended;
    const char *s;
    size_t len;
    if ((st = get_varint(r, "thread id", &tid)) != TM_OK ||
        (st = get_bounded(r, "thread ended flag", 1, &ended)) != TM_OK ||
        (st = get_bytes(r, "thread name", i, &s, &len)) != TM_OK)
      break;
    char *copy = tm_raw_realloc(name, len + 1, TM_MEM_OBJECTS);
    if (!copy) {
      st = oom(r);
      break;
    }
    name = copy;
    memcpy(name, s, len);
    name[len] = '\0';
    if (tm_snapshot_add_thread(r->snap, unzigzag(tid), name, ended, NULL) !=
        TM_OK)
      st = oom(r);
  }
  tm_raw_free(name);
  size_t ntraces = tm_snapshot_count(r->snap);
  for (size_t i = 0; st == TM_OK && i < ntraces; i++) {
    uint64_t thread;
    st = get_varint(r, "trace thread", &thread);
    if (st == TM_OK && thread > n)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: trace %zu: thread %llu out of range (%llu threads)",
                i, (unsigned long long)thread, (unsigned long long)n);
    if (st == TM_OK)
      tm_snapshot_set_trace_thread(r->snap, i, (uint32_t)thread);
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_THREADS) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the threads", left(r));
  return st;
}

/* STEP 8 (flag TM_DUMP_FLAG_TIMELINE): memory over time (dump.c). */
tm_status_t tm_load_timeline(reader_t *r) {
  uint64_t n;
  TRY(get_count(r, "timeline points", 4, &n));
  tm_timeline_point_t *pts =
      tm_raw_alloc((n ? n : 1) * sizeof *pts, TM_MEM_OBJECTS);
  if (!pts)
    return oom(r);
  tm_status_t st = TM_OK;
  uint64_t t = 0, a = 0;
  for (uint64_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t dt, cur, peak, da;
    if ((st = get_varint(r, "timeline time", &dt)) != TM_OK ||
        (st = get_bounded(r, "timeline current", TM_IO_MAX_TOTAL_SIZE, &cur)) !=
            TM_OK ||
        (st = get_bounded(r, "timeline peak", TM_IO_MAX_TOTAL_SIZE, &peak)) !=
            TM_OK ||
        (st = get_varint(r, "timeline allocations", &da)) != TM_OK)
      break;
    if (dt > UINT64_MAX - t)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: timeline point %llu: the time overflows 64 bits",
                (unsigned long long)i);
    else if (da > UINT64_MAX - a)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: timeline point %llu: the allocation count "
                "overflows 64 bits",
                (unsigned long long)i);
    else if (cur > peak)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: timeline point %llu: current %llu above peak %llu",
                (unsigned long long)i, (unsigned long long)cur,
                (unsigned long long)peak);
    if (st != TM_OK)
      break;
    t += dt;
    a += da;
    pts[i] = (tm_timeline_point_t){t, cur, peak, a};
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_TIMELINE) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the timeline", left(r));
  if (st == TM_OK && tm_snapshot_set_timeline(r->snap, pts, (size_t)n) != TM_OK)
    st = oom(r);
  tm_raw_free(pts);
  return st;
}

/* STEP 9 (flag TM_DUMP_FLAG_HISTORY_THREADS): each history record's
 * thread (dump.c), then the history, kept by tm_load_history. */
tm_status_t tm_load_history_threads(reader_t *r) {
  size_t nthreads;
  tm_snapshot_threads(r->snap, &nthreads);
  tm_status_t st = TM_OK;
  uint64_t prev = 0;
  for (size_t i = 0; st == TM_OK && i < r->nhist; i++) {
    uint64_t thread;
    if ((st = get_varint(r, "history thread", &thread)) != TM_OK)
      break;
    if (thread > nthreads)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: history record %zu: thread %llu out of range (%zu "
                "threads)",
                i, (unsigned long long)thread, nthreads);
    else if (i && r->hist_tb[i] == r->hist_tb[i - 1] && thread <= prev)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: history record %zu: not after the previous one "
                "(records of a traceback are in increasing thread order, "
                "each once)",
                i);
    prev = thread;
    r->hist[i].thread = (uint32_t)thread;
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_HISTORY_THREADS) &&
      r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the history threads",
              left(r));
  if (st == TM_OK &&
      tm_snapshot_set_history(r->snap, r->hist, r->nhist) != TM_OK)
    st = oom(r);
  return st;
}
