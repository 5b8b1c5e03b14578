/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_read.c - the reader of the "tracemalloc-json" exchange format
 * (docs/design.md), used by tm_snapshot_load.
 *
 * Design: no DOM. The schema drives the strict lexer of json_lex.c: the
 * top-level object, then the traces array, each trace object and its
 * traceback, straight into the snapshot through snapshot_build.h, so a
 * million traces never exist twice in memory. Duplicate keys are rejected;
 * members we do not know are skipped (nesting limit 64) so that later
 * versions may add optional members. Every error reads
 * "FILE:LINE:COL: problem" (column counted in bytes from 1).
 *
 * Keys may come in any order. The snapshot needs traceback_limit before the
 * first trace, so when "traces" comes first its value is skipped (checked)
 * and parsed again once the whole top level has been read.
 *
 * Required: format ("tracemalloc-json"), version (1; another version is
 * TM_EVERSION), traceback_limit, traces; each trace needs domain, size,
 * traceback ([[file, line], ...], most recent first) and total_nframe
 * (an integer, or null for CPython's None). traced_memory is optional, and
 * so are the members that carry the rest of a binary dump's content
 * (json_write.c): program, pid, time_ns, dropped_traces, tracemalloc_memory
 * and live_set ("peak") at the top level, "functions" (names or null,
 * one per frame) per trace, "leaks" (the leak classification), "history"
 * (the allocation history per traceback and thread) and "timeline"
 * (memory over time): their
 * values are checked when met and read after the traces, whatever the key
 * order. So is "threads" (the thread table: [{"tid": N, "name": S,
 * "ended": B}, ...]); a trace's optional "thread", and a history
 * record's, is an index into it (0-based), checked once both are read.
 */
#include <stdio.h>
#include <string.h>

#include "json_lex.h"
#include "json_read.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"

enum { K_DOMAIN = 1, K_SIZE = 2, K_THREAD = 4 };

/* {"domain": D, "size": S, "traceback": [...], "total_nframe": N|null} */
static tm_status_t read_trace(jp_t *p, size_t index) {
  size_t start = p->pos;
  TRY(tm_json_expect(p, '{', "to start a trace object"));
  unsigned seen = 0;
  bool first = true, done, handled;
  uint64_t domain = 0, size = 0, thread = 0;
  tb_members_t m = {0, 0, 0, TM_TOTAL_NFRAME_NONE};
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in a trace object"));
    if (done)
      break;
    TRY(tm_json_read_tb_member(p, &m, &handled));
    if (handled)
      continue;
    if (tm_json_key_is(p, "domain")) {
      TRY(tm_json_mark_key(p, &seen, K_DOMAIN));
      TRY(tm_json_read_int(p, "domain", 0, UINT32_MAX, NULL, &domain));
    } else if (tm_json_key_is(p, "size")) {
      TRY(tm_json_mark_key(p, &seen, K_SIZE));
      TRY(tm_json_read_int(p, "size", 0, SIZE_MAX, NULL, &size));
    } else if (tm_json_key_is(p, "thread")) {
      TRY(tm_json_mark_key(p, &seen, K_THREAD));
      TRY(tm_json_read_thread_index(p, &thread));
    } else {
      TRY(tm_json_skip_value(p, 3));
    }
  }
  TRY(tm_json_attach_functions(p, &m, "trace", index, start));
  if ((seen & (K_DOMAIN | K_SIZE)) != (K_DOMAIN | K_SIZE) ||
      (m.seen & (TB_TRACEBACK | TB_TOTAL)) != (TB_TRACEBACK | TB_TOTAL)) {
    const char *missing = !(seen & K_DOMAIN)         ? "domain"
                          : !(seen & K_SIZE)         ? "size"
                          : !(m.seen & TB_TRACEBACK) ? "traceback"
                                                     : "total_nframe";
    p->pos = start;
    return jfail(p, "trace %zu: missing key \"%s\"", index, missing);
  }
  if (size > TM_IO_MAX_TOTAL_SIZE - p->total_size) {
    p->pos = start;
    return jfail(p,
                 "trace %zu: the sizes total more than %llu bytes (2^63-1), "
                 "which no process can hold",
                 index, (unsigned long long)TM_IO_MAX_TOTAL_SIZE);
  }
  p->total_size += size;
  const tm_traceback_t *tb;
  TRY(tm_json_intern_tb(p, &m, &tb));
  if (tm_snapshot_append_thread(p->snap, (unsigned)domain, (size_t)size, tb,
                                (uint32_t)thread))
    return tm_json_fail(p, TM_ENOMEM, "out of memory");
  return TM_OK;
}

static tm_status_t trace_element(jp_t *p, size_t index, void *slot) {
  (void)slot;
  return read_trace(p, index);
}

static tm_status_t read_traces(jp_t *p) {
  return tm_json_read_array(p, "traces", "a trace", 0, trace_element, NULL,
                            NULL);
}

/* {"current": C, "peak": P} */
static tm_status_t read_traced_memory(jp_t *p, tm_snapshot_info_t *info) {
  size_t start = p->pos;
  TRY(tm_json_expect(p, '{', "to start traced_memory"));
  unsigned seen = 0;
  bool first = true, done;
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in traced_memory"));
    if (done)
      break;
    if (tm_json_key_is(p, "current")) {
      TRY(tm_json_mark_key(p, &seen, 1));
      TRY(tm_json_read_int(p, "current", 0, UINT64_MAX, NULL,
                           &info->traced_current));
    } else if (tm_json_key_is(p, "peak")) {
      TRY(tm_json_mark_key(p, &seen, 2));
      TRY(tm_json_read_int(p, "peak", 0, UINT64_MAX, NULL, &info->traced_peak));
    } else {
      TRY(tm_json_skip_value(p, 2));
    }
  }
  if (seen != 3) {
    p->pos = start;
    return jfail(p, "traced_memory: missing key \"%s\"",
                 seen & 1 ? "peak" : "current");
  }
  info->has_traced_memory = true;
  return TM_OK;
}

enum {
  T_FORMAT = 1,
  T_VERSION = 2,
  T_LIMIT = 4,
  T_MEMORY = 8,
  T_TRACES = 16,
  T_PROGRAM = 32,
  T_PID = 64,
  T_TIME = 128,
  T_DROPPED = 256,
  T_RUNTIME_MEMORY = 512,
  T_LEAKS = 1024,
  T_THREADS = 2048,
  T_TIMELINE = 4096,
  T_HISTORY = 8192,
  T_LIVE_SET = 16384
};

typedef struct top {
  unsigned seen;
  int64_t limit;
  size_t traces_pos; /* where "traces" starts when it came too early */
  bool traces_deferred;
  size_t leaks_pos;    /* where "leaks" starts: read after the traces */
  size_t threads_pos;  /* where "threads" starts: likewise */
  size_t timeline_pos; /* where "timeline" starts: likewise */
  size_t history_pos;  /* where "history" starts: likewise */
  tm_snapshot_info_t info;
  char *program; /* tm_raw copy of "program" */
} top_t;

static tm_status_t create_snapshot(jp_t *p, top_t *t) {
  tm_status_t st = tm_snapshot_new((int)t->limit, &p->snap);
  if (st == TM_ENOMEM)
    return tm_json_fail(p, TM_ENOMEM, "out of memory");
  if (st != TM_OK)
    return jfail(p, "traceback_limit: %s", tm_error_message());
  return TM_OK;
}

static tm_status_t read_top_member(jp_t *p, top_t *t) {
  if (tm_json_key_is(p, "format")) {
    TRY(tm_json_mark_key(p, &t->seen, T_FORMAT));
    size_t at = p->pos;
    TRY(tm_json_read_string(p));
    if (!tm_json_key_is(p, "tracemalloc-json")) {
      tm_json_skip_ws(p);
      p->pos = at;
      tm_json_skip_ws(p);
      return jfail(p, "not a tracemalloc-json document (format is \"%.64s\")",
                   (const char *)p->str.data);
    }
  } else if (tm_json_key_is(p, "version")) {
    TRY(tm_json_mark_key(p, &t->seen, T_VERSION));
    size_t at = (tm_json_skip_ws(p), p->pos);
    int64_t v;
    TRY(tm_json_read_int(p, "version", INT64_MIN, INT64_MAX, &v, NULL));
    if (v != 1) {
      p->pos = at;
      return tm_json_fail(p, TM_EVERSION,
                          "unsupported tracemalloc-json version "
                          "%lld (this library reads version 1)",
                          (long long)v);
    }
  } else if (tm_json_key_is(p, "traceback_limit")) {
    TRY(tm_json_mark_key(p, &t->seen, T_LIMIT));
    TRY(tm_json_read_int(p, "traceback_limit", INT32_MIN, INT32_MAX, &t->limit,
                         NULL));
  } else if (tm_json_key_is(p, "program")) {
    TRY(tm_json_mark_key(p, &t->seen, T_PROGRAM));
    if (tm_json_peek(p) != '"')
      return jfail(p, "program: expected a string");
    TRY(tm_json_read_string(p));
    // p->str is reused by the next string: keep a copy until set_info.
    t->program = tm_raw_alloc(p->str.len + 1, TM_MEM_OBJECTS);
    if (!t->program)
      return tm_json_fail(p, TM_ENOMEM, "out of memory");
    memcpy(t->program, p->str.data, p->str.len + 1);
    t->info.program = t->program;
  } else if (tm_json_key_is(p, "pid")) {
    TRY(tm_json_mark_key(p, &t->seen, T_PID));
    TRY(tm_json_read_int(p, "pid", -1, INT64_MAX, &t->info.pid, NULL));
  } else if (tm_json_key_is(p, "time_ns")) {
    TRY(tm_json_mark_key(p, &t->seen, T_TIME));
    TRY(tm_json_read_int(p, "time_ns", INT64_MIN, INT64_MAX, &t->info.time_ns,
                         NULL));
  } else if (tm_json_key_is(p, "dropped_traces")) {
    TRY(tm_json_mark_key(p, &t->seen, T_DROPPED));
    TRY(tm_json_read_int(p, "dropped_traces", 0, UINT64_MAX, NULL,
                         &t->info.dropped_traces));
  } else if (tm_json_key_is(p, "tracemalloc_memory")) {
    TRY(tm_json_mark_key(p, &t->seen, T_RUNTIME_MEMORY));
    TRY(tm_json_read_int(p, "tracemalloc_memory", 0, UINT64_MAX, NULL,
                         &t->info.tracemalloc_memory));
  } else if (tm_json_key_is(p, "live_set")) {
    TRY(tm_json_mark_key(p, &t->seen, T_LIVE_SET));
    size_t at = (tm_json_skip_ws(p), p->pos);
    if (tm_json_peek(p) != '"')
      return jfail(p, "live_set: expected a string");
    TRY(tm_json_read_string(p));
    if (!tm_json_key_is(p, "peak")) {
      p->pos = at;
      return jfail(p, "live_set: expected \"peak\" (the only value written)");
    }
    t->info.peak_live_set = true;
  } else if (tm_json_key_is(p, "traced_memory")) {
    TRY(tm_json_mark_key(p, &t->seen, T_MEMORY));
    TRY(read_traced_memory(p, &t->info));
  } else if (tm_json_key_is(p, "traces")) {
    TRY(tm_json_mark_key(p, &t->seen, T_TRACES));
    if ((t->seen & (T_FORMAT | T_VERSION | T_LIMIT)) ==
        (T_FORMAT | T_VERSION | T_LIMIT)) {
      TRY(create_snapshot(p, t));
      TRY(read_traces(p));
    } else {
      // Not enough known yet to build the snapshot: check, come back later.
      t->traces_pos = (tm_json_skip_ws(p), p->pos);
      t->traces_deferred = true;
      TRY(tm_json_skip_value(p, 1));
    }
  } else if (tm_json_key_is(p, "threads")) {
    TRY(tm_json_mark_key(p, &t->seen, T_THREADS));
    t->threads_pos = (tm_json_skip_ws(p), p->pos);
    TRY(tm_json_skip_value(p, 1)); // checked now, read after the traces
  } else if (tm_json_key_is(p, "leaks")) {
    TRY(tm_json_mark_key(p, &t->seen, T_LEAKS));
    t->leaks_pos = (tm_json_skip_ws(p), p->pos);
    TRY(tm_json_skip_value(p, 1)); // checked now, read after the traces
  } else if (tm_json_key_is(p, "timeline")) {
    TRY(tm_json_mark_key(p, &t->seen, T_TIMELINE));
    t->timeline_pos = (tm_json_skip_ws(p), p->pos);
    TRY(tm_json_skip_value(p, 1)); // checked now, read after the traces
  } else if (tm_json_key_is(p, "history")) {
    TRY(tm_json_mark_key(p, &t->seen, T_HISTORY));
    t->history_pos = (tm_json_skip_ws(p), p->pos);
    TRY(tm_json_skip_value(p, 1)); // checked now, read after the traces
  } else {
    TRY(tm_json_skip_value(p, 1));
  }
  return TM_OK;
}

static tm_status_t read_document(jp_t *p, top_t *t) {
  if (p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
    p->pos = 3;
  TRY(tm_json_expect(p, '{', "to start the document"));
  bool first = true, done;
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in the document"));
    if (done)
      break;
    TRY(read_top_member(p, t));
  }
  if (tm_json_peek(p) != 0)
    return jfail(p, "unexpected data after the JSON document");
  static const struct {
    unsigned bit;
    const char *key;
  } required[] = {{T_FORMAT, "format"},
                  {T_VERSION, "version"},
                  {T_LIMIT, "traceback_limit"},
                  {T_TRACES, "traces"}};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    if (!(t->seen & required[i].bit)) {
      p->pos = 0;
      return jfail(p, "missing key \"%s\" (not a tracemalloc-json document?)",
                   required[i].key);
    }
  }
  if (t->traces_deferred) {
    p->pos = t->traces_pos;
    TRY(create_snapshot(p, t));
    TRY(read_traces(p));
  }
  if (t->seen & T_LEAKS) {
    p->pos = t->leaks_pos;
    TRY(tm_json_read_leaks(p));
  }
  if (t->seen & T_HISTORY) {
    p->pos = t->history_pos;
    TRY(tm_json_read_history(p));
  }
  if (t->seen & T_THREADS) {
    p->pos = t->threads_pos;
    TRY(tm_json_read_threads(p));
  }
  size_t nthreads;
  tm_snapshot_threads(p->snap, &nthreads);
  if (p->thread_max > nthreads) {
    p->pos = p->thread_max_pos;
    return jfail(p, "thread %llu is not in \"threads\" (%zu threads)",
                 (unsigned long long)(p->thread_max - 1), nthreads);
  }
  if (t->seen & T_TIMELINE) {
    p->pos = t->timeline_pos;
    TRY(tm_json_read_timeline(p));
  }
  return TM_OK;
}

tm_status_t tm_io_load_json(const unsigned char *data, size_t len,
                            const char *name, tm_snapshot_t **out) {
  jp_t p;
  memset(&p, 0, sizeof p);
  p.s = data;
  p.len = len;
  p.name = name;
  top_t t;
  memset(&t, 0, sizeof t);
  t.info.size = sizeof t.info;
  t.info.pid = -1;
  t.info.program = "";
  tm_status_t st = read_document(&p, &t);
  if (st == TM_OK && tm_snapshot_set_info(p.snap, &t.info) != TM_OK)
    st = tm_json_fail(&p, TM_ENOMEM, "out of memory");
  tm_buf_free(&p.str);
  tm_raw_free(p.frames);
  tm_raw_free(p.funcs);
  tm_raw_free(t.program);
  if (st != TM_OK) {
    tm_snapshot_free(p.snap);
    return st;
  }
  *out = p.snap;
  return TM_OK;
}
