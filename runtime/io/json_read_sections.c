/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_read_sections.c - the optional members of a "tracemalloc-json"
 * document that json_read.c reads after the traces (json_read.h): the
 * leak classification, the allocation history, the thread table and the
 * timeline, each checked with the binary format's rules (dump.c).
 */
#include <stdio.h>
#include <string.h>

#include "json_read.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"

enum { L_KIND = 1, L_BLOCKS = 2, L_SIZE = 4 };

/* One "leaks" record into *rec. */
static tm_status_t read_leak(jp_t *p, size_t index, tm_leak_rec_t *rec) {
  size_t start = p->pos;
  TRY(tm_json_expect(p, '{', "to start a leak record"));
  unsigned seen = 0;
  bool first = true, done, handled;
  uint64_t blocks = 0, size = 0;
  uint32_t kind = 0;
  tb_members_t m = {0, 0, 0, TM_TOTAL_NFRAME_NONE};
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in a leak record"));
    if (done)
      break;
    TRY(tm_json_read_tb_member(p, &m, &handled));
    if (handled)
      continue;
    if (tm_json_key_is(p, "kind")) {
      TRY(tm_json_mark_key(p, &seen, L_KIND));
      size_t at = (tm_json_skip_ws(p), p->pos);
      if (tm_json_peek(p) != '"')
        return jfail(p, "leak %zu: kind: expected a string", index);
      TRY(tm_json_read_string(p));
      kind = tm_json_key_is(p, "definitely_lost")   ? TM_LEAK_DIRECT
             : tm_json_key_is(p, "indirectly_lost") ? TM_LEAK_INDIRECT
             : tm_json_key_is(p, "reachable")       ? TM_LEAK_REACHABLE
                                                    : 0;
      if (!kind) {
        p->pos = at;
        return jfail(p,
                     "leak %zu: kind is not \"definitely_lost\", "
                     "\"indirectly_lost\" or \"reachable\"",
                     index);
      }
    } else if (tm_json_key_is(p, "blocks")) {
      TRY(tm_json_mark_key(p, &seen, L_BLOCKS));
      TRY(tm_json_read_int(p, "blocks", 1, UINT64_MAX, NULL, &blocks));
    } else if (tm_json_key_is(p, "size")) {
      TRY(tm_json_mark_key(p, &seen, L_SIZE));
      TRY(tm_json_read_int(p, "size", 0, TM_IO_MAX_TOTAL_SIZE, NULL, &size));
    } else {
      TRY(tm_json_skip_value(p, 4));
    }
  }
  unsigned need = L_KIND | L_BLOCKS | L_SIZE;
  if ((seen & need) != need ||
      (m.seen & (TB_TRACEBACK | TB_TOTAL)) != (TB_TRACEBACK | TB_TOTAL)) {
    const char *missing = !(seen & L_KIND)           ? "kind"
                          : !(seen & L_BLOCKS)       ? "blocks"
                          : !(seen & L_SIZE)         ? "size"
                          : !(m.seen & TB_TRACEBACK) ? "traceback"
                                                     : "total_nframe";
    p->pos = start;
    return jfail(p, "leak %zu: missing key \"%s\"", index, missing);
  }
  TRY(tm_json_attach_functions(p, &m, "leak", index, start));
  const tm_traceback_t *tb;
  TRY(tm_json_intern_tb(p, &m, &tb));
  *rec = (tm_leak_rec_t){tb, kind, blocks, size};
  return TM_OK;
}

static int cmp_leak_key(const tm_leak_rec_t *a, const tm_leak_rec_t *b) {
  if (a->tb != b->tb)
    return (uintptr_t)a->tb < (uintptr_t)b->tb ? -1 : 1;
  return a->kind < b->kind ? -1 : a->kind > b->kind;
}

/* "leaks": [...], after the traces: the snapshot's classification. The same
 * (traceback, kind) twice, or bytes totalling more than 2^63-1, are
 * refused (the binary format's rules). */

enum {
  H_CALLS = 1,
  H_ALLOCATED = 2,
  H_FREES = 4,
  H_TEMPORARY = 8,
  H_PEAK_SIZE = 16,
  H_PEAK_COUNT = 32
};

/* One "history" record into *rec. */
static tm_status_t read_hist_rec(jp_t *p, size_t index, tm_history_t *rec) {
  static const char *const names[] = {"calls",     "allocated", "frees",
                                      "temporary", "peak_size", "peak_count"};
  size_t start = p->pos;
  TRY(tm_json_expect(p, '{', "to start a history record"));
  unsigned seen = 0;
  bool first = true, done, handled;
  uint64_t v[6] = {0}, thread = 0;
  tb_members_t m = {0, 0, 0, TM_TOTAL_NFRAME_NONE};
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in a history record"));
    if (done)
      break;
    TRY(tm_json_read_tb_member(p, &m, &handled));
    if (handled)
      continue;
    if (tm_json_key_is(p, "thread")) {
      // As a trace's "thread" (json_read.c): an index into "threads",
      // checked once that is read; absent in files written before the
      // history carried threads.
      TRY(tm_json_mark_key(p, &seen, 1u << 6));
      TRY(tm_json_read_thread_index(p, &thread));
      continue;
    }
    size_t k = 0;
    while (k < 6 && !tm_json_key_is(p, names[k]))
      k++;
    if (k == 6) {
      TRY(tm_json_skip_value(p, 4));
      continue;
    }
    TRY(tm_json_mark_key(p, &seen, 1u << k));
    TRY(tm_json_read_int(p, names[k], 0,
                         k == 4 ? TM_IO_MAX_TOTAL_SIZE : UINT64_MAX, NULL,
                         &v[k]));
  }
  const char *missing = NULL;
  for (size_t k = 0; k < 6 && !missing; k++)
    if (!(seen & (1u << k)))
      missing = names[k];
  if (!missing && !(m.seen & TB_TRACEBACK))
    missing = "traceback";
  if (!missing && !(m.seen & TB_TOTAL))
    missing = "total_nframe";
  if (missing) {
    p->pos = start;
    return jfail(p, "history %zu: missing key \"%s\"", index, missing);
  }
  const char *bad = v[2] > v[0]   ? "more frees than calls"
                    : v[3] > v[2] ? "more temporary allocations than frees"
                    : v[5] > v[0] ? "more blocks at the peak than calls"
                    : v[4] > v[1] ? "more bytes at the peak than allocated"
                                  : NULL;
  if (bad) {
    p->pos = start;
    return jfail(p, "history %zu: %s", index, bad);
  }
  TRY(tm_json_attach_functions(p, &m, "history", index, start));
  const tm_traceback_t *tb;
  TRY(tm_json_intern_tb(p, &m, &tb));
  *rec =
      (tm_history_t){tb, v[0], v[1], v[2], v[3], v[4], v[5], (uint32_t)thread};
  return TM_OK;
}

static tm_status_t hist_element(jp_t *p, size_t index, void *slot) {
  return read_hist_rec(p, index, slot);
}

/* "history": [...], after the traces: one record per traceback and
 * thread. */
tm_status_t tm_json_read_history(jp_t *p) {
  size_t start = (tm_json_skip_ws(p), p->pos);
  void *buf = NULL;
  size_t n = 0;
  tm_status_t st =
      tm_json_read_array(p, "history", "a history record", sizeof(tm_history_t),
                         hist_element, &buf, &n);
  tm_history_t *recs = buf;
  if (st == TM_OK && tm_snapshot_set_history(p->snap, recs, n) != TM_OK)
    st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  size_t kept = 0;
  if (st == TM_OK && (tm_snapshot_history(p->snap, &kept), kept != n)) {
    p->pos = start;
    st = jfail(p, "history: the same traceback and thread twice");
  }
  tm_raw_free(recs);
  return st;
}

static tm_status_t leak_element(jp_t *p, size_t index, void *slot) {
  return read_leak(p, index, slot);
}

tm_status_t tm_json_read_leaks(jp_t *p) {
  size_t start = (tm_json_skip_ws(p), p->pos);
  void *buf = NULL;
  size_t n = 0;
  tm_status_t st =
      tm_json_read_array(p, "leaks", "a leak record", sizeof(tm_leak_rec_t),
                         leak_element, &buf, &n);
  tm_leak_rec_t *recs = buf;
  // Duplicates and the total, on a sorted copy (shell sort: no malloc).
  tm_leak_rec_t *sorted = NULL;
  if (st == TM_OK && n) {
    sorted = tm_raw_alloc(n * sizeof *sorted, TM_MEM_OBJECTS);
    if (!sorted)
      st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  }
  if (st == TM_OK && n) {
    memcpy(sorted, recs, n * sizeof *sorted);
    for (size_t gap = n / 2; gap; gap /= 2)
      for (size_t i = gap; i < n; i++)
        for (size_t j = i;
             j >= gap && cmp_leak_key(&sorted[j - gap], &sorted[j]) > 0;
             j -= gap) {
          tm_leak_rec_t t = sorted[j];
          sorted[j] = sorted[j - gap];
          sorted[j - gap] = t;
        }
    uint64_t total = 0;
    for (size_t i = 0; st == TM_OK && i < n; i++) {
      if (i && cmp_leak_key(&sorted[i - 1], &sorted[i]) == 0) {
        p->pos = start;
        st = jfail(p, "leaks: the same traceback and kind twice");
      } else if (sorted[i].bytes > TM_IO_MAX_TOTAL_SIZE - total) {
        p->pos = start;
        st = jfail(p, "leaks: the sizes total more than 2^63-1");
      }
      total += sorted[i].bytes;
    }
  }
  if (st == TM_OK && tm_snapshot_set_leaks(p->snap, recs, n) != TM_OK)
    st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  tm_raw_free(sorted);
  tm_raw_free(recs);
  return st;
}

enum { H_TID = 1, H_NAME = 2, H_ENDED = 4 };

/* One "threads" entry: {"tid": N, "name": S, "ended": B}. */
static tm_status_t read_thread(jp_t *p, size_t index) {
  size_t start = p->pos;
  TRY(tm_json_expect(p, '{', "to start a thread object"));
  unsigned seen = 0;
  bool first = true, done, ended = false;
  int64_t tid = 0;
  char *name = NULL;
  tm_status_t st = TM_OK;
  for (;;) {
    if ((st = tm_json_next_member(p, &first, &done, "in a thread object")) !=
            TM_OK ||
        done)
      break;
    if (tm_json_key_is(p, "tid")) {
      if ((st = tm_json_mark_key(p, &seen, H_TID)) != TM_OK ||
          (st = tm_json_read_int(p, "tid", INT64_MIN, INT64_MAX, &tid, NULL)) !=
              TM_OK)
        break;
    } else if (tm_json_key_is(p, "name")) {
      if ((st = tm_json_mark_key(p, &seen, H_NAME)) != TM_OK)
        break;
      if (tm_json_peek(p) != '"') {
        st = jfail(p, "thread %zu: name: expected a string", index);
        break;
      }
      if ((st = tm_json_read_string(p)) != TM_OK)
        break;
      if (strlen((const char *)p->str.data) != p->str.len) {
        st = jfail(p, "thread %zu: name contains a NUL character", index);
        break;
      }
      tm_raw_free(name);
      name = tm_raw_alloc(p->str.len + 1, TM_MEM_OBJECTS);
      if (!name) {
        st = tm_json_fail(p, TM_ENOMEM, "out of memory");
        break;
      }
      memcpy(name, p->str.data, p->str.len + 1);
    } else if (tm_json_key_is(p, "ended")) {
      if ((st = tm_json_mark_key(p, &seen, H_ENDED)) != TM_OK)
        break;
      int c = tm_json_peek(p);
      if (c != 't' && c != 'f') {
        st = jfail(p, "thread %zu: ended: expected true or false", index);
        break;
      }
      ended = c == 't';
      if ((st = tm_json_read_literal(p, ended ? "true" : "false")) != TM_OK)
        break;
    } else if ((st = tm_json_skip_value(p, 3)) != TM_OK) {
      break;
    }
  }
  if (st == TM_OK && seen != (H_TID | H_NAME | H_ENDED)) {
    p->pos = start;
    st = jfail(p, "thread %zu: missing key \"%s\"", index,
               !(seen & H_TID)    ? "tid"
               : !(seen & H_NAME) ? "name"
                                  : "ended");
  }
  if (st == TM_OK &&
      tm_snapshot_add_thread(p->snap, tid, name, ended, NULL) != TM_OK)
    st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  tm_raw_free(name);
  return st;
}

/* "threads": [...], after the traces; then every trace's "thread" must
 * name one of them. */
static tm_status_t thread_element(jp_t *p, size_t index, void *slot) {
  (void)slot;
  return read_thread(p, index);
}

tm_status_t tm_json_read_threads(jp_t *p) {
  return tm_json_read_array(p, "threads", "a thread", 0, thread_element, NULL,
                            NULL);
}

/* One "timeline" point {"time_ns", "current", "peak", "allocations"}, all
 * required; the binary format's rules (dump.c) are checked by the caller. */
static tm_status_t read_point(jp_t *p, size_t index, tm_timeline_point_t *pt) {
  size_t start = (tm_json_skip_ws(p), p->pos);
  TRY(tm_json_expect(p, '{', "to start a timeline point"));
  static const char *const keys[] = {"time_ns", "current", "peak",
                                     "allocations"};
  uint64_t *fields[] = {&pt->time_ns, &pt->current, &pt->peak,
                        &pt->allocations};
  const uint64_t max[] = {UINT64_MAX, TM_IO_MAX_TOTAL_SIZE,
                          TM_IO_MAX_TOTAL_SIZE, UINT64_MAX};
  unsigned seen = 0;
  bool first = true, done;
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in a timeline point"));
    if (done)
      break;
    size_t k = 0;
    while (k < 4 && !tm_json_key_is(p, keys[k]))
      k++;
    if (k == 4) {
      TRY(tm_json_skip_value(p, 2));
      continue;
    }
    TRY(tm_json_mark_key(p, &seen, 1u << k));
    TRY(tm_json_read_int(p, keys[k], 0, max[k], NULL, fields[k]));
  }
  for (size_t k = 0; k < 4; k++) {
    if (!(seen & (1u << k))) {
      p->pos = start;
      return jfail(p, "timeline point %zu: missing key \"%s\"", index, keys[k]);
    }
  }
  if (pt->current > pt->peak) {
    p->pos = start;
    return jfail(p, "timeline point %zu: current above peak", index);
  }
  return TM_OK;
}

/* "timeline": [...], after the traces: points in time order, allocations
 * not decreasing. */
/* A point, which must not go back in time or in allocations from the one
 * before it (the previous slot of the same buffer). */
static tm_status_t point_element(jp_t *p, size_t index, void *slot) {
  tm_timeline_point_t *pt = slot;
  size_t at = (tm_json_skip_ws(p), p->pos);
  TRY(read_point(p, index, pt));
  if (index && pt->time_ns < pt[-1].time_ns) {
    p->pos = at;
    return jfail(p, "timeline point %zu: time goes backwards", index);
  }
  if (index && pt->allocations < pt[-1].allocations) {
    p->pos = at;
    return jfail(p, "timeline point %zu: allocation count goes backwards",
                 index);
  }
  return TM_OK;
}

tm_status_t tm_json_read_timeline(jp_t *p) {
  void *buf = NULL;
  size_t n = 0;
  tm_status_t st =
      tm_json_read_array(p, "timeline", "a timeline point",
                         sizeof(tm_timeline_point_t), point_element, &buf, &n);
  if (st == TM_OK && tm_snapshot_set_timeline(p->snap, buf, n) != TM_OK)
    st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  tm_raw_free(buf);
  return st;
}
