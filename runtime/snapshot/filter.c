/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* filter.c - CPython's Snapshot.filter_traces() with Filter and
 * DomainFilter, and tm_filter_match_filename.
 *
 * Design. A Filter's verdict on a trace splits into a traceback part m (does
 * the most recent frame, or any frame with all_frames, match the pattern and
 * lineno?) and a domain part. m depends only on the traceback, and a
 * snapshot interns its tracebacks, so m is computed once per distinct
 * traceback POINTER and per filter (patterns are compiled once, see
 * fnmatch.c), then each trace only combines cached bits with its domain in
 * CPython's exact evaluation order: include filters with any(), then
 * exclude filters with any(not ...), so an IndexError on an empty traceback
 * surfaces exactly when CPython's would.
 *
 * A thread filter (TM_FILTER_THREAD) is a DomainFilter on the trace's
 * thread: its verdict is computed once per thread of the snapshot's table
 * (by kernel id or by name) and looked up per trace.
 *
 * The history and the leak classification, when the snapshot has them,
 * are filtered by traceback the same way (run_history, run_leaks).
 *
 * The result is a new, independent snapshot: kept traces in order, the same
 * traceback_limit and info; tracebacks and strings are re-interned into it
 * once per distinct traceback (the content hashes travel along, so nothing
 * is rehashed).
 */
#include <string.h>

#include "error.h"
#include "leak_class.h"
#include "ptr_map.h"
#include "raw_alloc.h"
#include "snapshot.h"

bool tm_filter_match_filename(const char *filename, const char *pattern) {
  if (!filename || !pattern)
    return false;
  tm_glob_t *g = tm_glob_compile(pattern, true);
  if (!g)
    return false;
  bool r = tm_glob_match(g, filename, strlen(filename), true);
  tm_glob_free(g);
  return r;
}

/* ------------------------------------------------------------------------ */
/* Per-traceback cache                                                       */
/* ------------------------------------------------------------------------ */

enum { M_FALSE = 0, M_TRUE = 1, M_INDEX_ERROR = 2 };

/* A slot of the per-traceback cache (ptr_map.h: the key comes first). */
typedef struct tb_entry {
  const tm_traceback_t *tb;   /* the key */
  const tm_traceback_t *copy; /* in the result snapshot, once needed */
  size_t res;                 /* offset of this traceback's m bytes */
} tb_entry_t;

typedef struct ctx {
  const tm_filter_t *filters;
  size_t nf;
  tm_glob_t **globs;    /* per filter; NULL for domain filters */
  tm_ptr_map_t entries; /* traceback pointer -> tb_entry_t */
  unsigned char *res;   /* nf bytes per distinct traceback */
  size_t nres, res_cap;
  tm_snapshot_t *dst;
  /* TM_FILTER_THREAD: per filter, nthreads + 1 bytes: does thread k match
   * (k = 0, no thread, never does)? NULL for other kinds. */
  unsigned char **thread_match;
  size_t nthreads;
} ctx_t;

/* CPython's Filter._match_frame_impl. */
static bool frame_match(const tm_filter_t *f, const tm_glob_t *g,
                        const tm_frame_t *fr) {
  if (!tm_glob_match(g, fr->filename, tm_string_length(fr->filename), true))
    return false;
  return f->lineno == TM_LINENO_ANY ||
         (f->lineno >= 0 && fr->lineno == (unsigned int)f->lineno);
}

/* m of filter f for traceback tb (before any inclusive/domain logic). */
static unsigned char traceback_match(const tm_filter_t *f, const tm_glob_t *g,
                                     const tm_traceback_t *tb) {
  if (f->all_frames) {
    for (size_t i = 0; i < tb->nframe; i++)
      if (frame_match(f, g, &tb->frames[i]))
        return M_TRUE;
    return M_FALSE;
  }
  if (tb->nframe == 0)
    return M_INDEX_ERROR; /* traceback[0] */
  return frame_match(f, g, &tb->frames[0]) ? M_TRUE : M_FALSE;
}

/* The cache entry of tb, computing its m bytes on first sight. */
static tb_entry_t *entry_of(ctx_t *c, const tm_traceback_t *tb) {
  bool added;
  tb_entry_t *e = tm_ptr_map_get(&c->entries, tb, &added);
  if (!e || !added)
    return e;
  if (c->nres + c->nf > c->res_cap) {
    size_t ncap = c->res_cap ? c->res_cap * 2 : 1024;
    while (ncap < c->nres + c->nf)
      ncap *= 2;
    unsigned char *r = tm_raw_realloc(c->res, ncap, TM_MEM_OBJECTS);
    if (!r)
      return NULL;
    c->res = r;
    c->res_cap = ncap;
  }
  e->res = c->nres;
  for (size_t k = 0; k < c->nf; k++)
    c->res[c->nres + k] =
        c->globs[k] ? traceback_match(&c->filters[k], c->globs[k], tb) : 0;
  c->nres += c->nf;
  return e;
}

/* ------------------------------------------------------------------------ */
/* CPython's _filter_trace                                                   */
/* ------------------------------------------------------------------------ */

/* BaseFilter._match(trace): 1 true, 0 false, -1 IndexError. tm is the
 * filter's thread table (TM_FILTER_THREAD only). */
static int filter_match(const tm_filter_t *f, unsigned char m,
                        const unsigned char *tm, const tm_trace_t *t) {
  unsigned int domain = t->domain;
  if (f->kind == TM_FILTER_DOMAIN)
    return (domain == f->domain) != !f->inclusive;
  if (f->kind == TM_FILTER_THREAD)
    return tm[t->thread] != !f->inclusive;
  if (m == M_INDEX_ERROR)
    return -1;
  bool res = (m == M_TRUE) != !f->inclusive;
  if (f->has_domain)
    res = f->inclusive ? (res && domain == f->domain)
                       : (res || domain != f->domain);
  return res;
}

/* 1 keep, 0 drop, -1 IndexError. */
static int keep_trace(const ctx_t *c, const unsigned char *m,
                      const tm_trace_t *t) {
  bool any_include = false, matched = false;
  for (size_t k = 0; k < c->nf && !matched; k++) {
    if (!c->filters[k].inclusive)
      continue;
    any_include = true;
    int r = filter_match(&c->filters[k], m[k], c->thread_match[k], t);
    if (r < 0)
      return -1;
    matched = r;
  }
  if (any_include && !matched)
    return 0;
  for (size_t k = 0; k < c->nf; k++) {
    if (c->filters[k].inclusive)
      continue;
    int r = filter_match(&c->filters[k], m[k], c->thread_match[k], t);
    if (r <= 0)
      return r; /* any(not match) rejects; an error propagates */
  }
  return 1;
}

static tm_status_t validate(const tm_filter_t *filters, size_t n) {
  if (n && !filters)
    return tm_set_error(TM_EINVAL, "filters must not be NULL");
  for (size_t k = 0; k < n; k++) {
    if (filters[k].kind != TM_FILTER_FILENAME &&
        filters[k].kind != TM_FILTER_DOMAIN &&
        filters[k].kind != TM_FILTER_THREAD)
      return tm_set_error(TM_EINVAL, "filter %zu: unknown kind %d", k,
                          (int)filters[k].kind);
    if (filters[k].kind == TM_FILTER_FILENAME && !filters[k].filename_pattern)
      return tm_set_error(TM_EINVAL, "filter %zu: filename_pattern is NULL", k);
  }
  return TM_OK;
}

static tm_status_t run(ctx_t *c, const tm_snapshot_t *snap) {
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; i < n; i++) {
    tb_entry_t *e = entry_of(c, t[i].traceback);
    if (!e)
      return tm_set_error(TM_ENOMEM, "out of memory filtering traces");
    if (t[i].thread > c->nthreads)
      return tm_set_error(TM_EINVAL,
                          "trace %zu: thread %u is not in the "
                          "snapshot's thread table",
                          i, t[i].thread);
    int keep = c->nf ? keep_trace(c, c->res + e->res, &t[i]) : 1;
    if (keep < 0)
      return tm_set_error(TM_EINVAL, "tuple index out of range (IndexError: "
                                     "filter on an empty traceback)");
    if (!keep)
      continue;
    if (!e->copy && !(e->copy = tm_snapshot_copy_traceback(c->dst, e->tb)))
      return tm_set_error(TM_ENOMEM, "out of memory filtering traces");
    tm_status_t st = tm_snapshot_append_thread(c->dst, t[i].domain, t[i].size,
                                               e->copy, t[i].thread);
    if (st != TM_OK)
      return st;
  }
  return TM_OK;
}

/* Does a record of the traceback of `e` (the history's or the leak
 * classification's), seen as the trace t, pass the filters? When it does,
 * its traceback is copied into the result (e->copy) once. */
static tm_status_t keep_record(ctx_t *c, tb_entry_t *e, const tm_trace_t *t,
                               bool *keep) {
  int k = c->nf ? keep_trace(c, c->res + e->res, t) : 1;
  if (k < 0)
    return tm_set_error(TM_EINVAL, "tuple index out of range (IndexError: "
                                   "filter on an empty traceback)");
  *keep = k > 0;
  if (*keep && !e->copy &&
      !(e->copy = tm_snapshot_copy_traceback(c->dst, e->tb)))
    return tm_set_error(TM_ENOMEM, "out of memory filtering traces");
  return TM_OK;
}

/* The history records that pass the filters, as a trace of domain 0 of
 * the record's traceback and thread would (the history of a traceback
 * counts its domain-0 allocations and its tm_track ones alike: it has no
 * domain; a record with no known thread, from a file written before the
 * history carried threads, is kept by no inclusive thread filter). */
static tm_status_t run_history(ctx_t *c, const tm_snapshot_t *snap) {
  size_t n;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  if (!h)
    return TM_OK;
  tm_history_t *kept = tm_raw_alloc((n ? n : 1) * sizeof *kept, TM_MEM_OBJECTS);
  if (!kept)
    return tm_set_error(TM_ENOMEM, "out of memory filtering traces");
  size_t m = 0;
  tm_status_t st = TM_OK;
  for (size_t i = 0; i < n && st == TM_OK; i++) {
    tb_entry_t *e = entry_of(c, h[i].traceback);
    if (!e) {
      st = tm_set_error(TM_ENOMEM, "out of memory filtering traces");
      break;
    }
    if (h[i].thread > c->nthreads) {
      st = tm_set_error(TM_EINVAL,
                        "history record %zu: thread %u is not in the "
                        "snapshot's thread table",
                        i, h[i].thread);
      break;
    }
    const tm_trace_t pseudo = {.thread = h[i].thread,
                               .traceback = h[i].traceback};
    bool keep = false;
    st = keep_record(c, e, &pseudo, &keep);
    if (st != TM_OK || !keep)
      continue;
    kept[m] = h[i];
    kept[m++].traceback = e->copy;
  }
  if (st == TM_OK)
    st = tm_snapshot_set_history(c->dst, kept, m);
  tm_raw_free(kept);
  return st;
}

/* The leak classification's records (TRACEMALLOC_LEAKS=1) whose traceback
 * passes the filters, as run_history keeps history records: each stands
 * for blocks of domain 0 with no known thread. So `leaks --include ...` on
 * a classified dump lists the lost blocks of the matching code, not every
 * live block. */
static tm_status_t run_leaks(ctx_t *c, const tm_snapshot_t *snap) {
  size_t n;
  const tm_leak_rec_t *r = tm_snapshot_leaks(snap, &n);
  if (!r)
    return TM_OK;
  // The classification's records name no thread: a thread filter cannot
  // say which of them it keeps, so the result has no classification
  // (rather than one that a thread filter emptied).
  for (size_t k = 0; k < c->nf; k++)
    if (c->filters[k].kind == TM_FILTER_THREAD)
      return TM_OK;
  tm_leak_rec_t *kept =
      tm_raw_alloc((n ? n : 1) * sizeof *kept, TM_MEM_OBJECTS);
  if (!kept)
    return tm_set_error(TM_ENOMEM, "out of memory filtering traces");
  size_t m = 0;
  tm_status_t st = TM_OK;
  const tm_trace_t pseudo = {0};
  for (size_t i = 0; i < n && st == TM_OK; i++) {
    tb_entry_t *e = entry_of(c, r[i].tb);
    if (!e) {
      st = tm_set_error(TM_ENOMEM, "out of memory filtering traces");
      break;
    }
    bool keep = false;
    st = keep_record(c, e, &pseudo, &keep);
    if (st != TM_OK || !keep)
      continue;
    kept[m] = r[i];
    kept[m++].tb = e->copy;
  }
  if (st == TM_OK)
    st = tm_snapshot_set_leaks(c->dst, kept, m);
  tm_raw_free(kept);
  return st;
}

/* Thread k of `threads` matches filter f? */
static bool thread_matches(const tm_filter_t *f, const tm_thread_info_t *t) {
  if (f->thread_name)
    return strcmp(t->name, f->thread_name) == 0;
  return t->tid == f->thread_id;
}

static tm_status_t compile_all(ctx_t *c, const tm_snapshot_t *snap) {
  const tm_thread_info_t *threads = tm_snapshot_threads(snap, &c->nthreads);
  for (size_t k = 0; k < c->nf; k++) {
    if (c->filters[k].kind == TM_FILTER_THREAD) {
      unsigned char *m = tm_raw_calloc(c->nthreads + 1, TM_MEM_OBJECTS);
      if (!m)
        return tm_set_error(TM_ENOMEM, "out of memory compiling a filter");
      c->thread_match[k] = m;
      for (size_t i = 0; i < c->nthreads; i++)
        m[i + 1] = thread_matches(&c->filters[k], &threads[i]);
      continue;
    }
    if (c->filters[k].kind != TM_FILTER_FILENAME)
      continue;
    c->globs[k] = tm_glob_compile(c->filters[k].filename_pattern, true);
    if (!c->globs[k])
      return tm_set_error(TM_ENOMEM, "out of memory compiling a filter");
  }
  return TM_OK;
}

tm_status_t tm_snapshot_filter_traces(const tm_snapshot_t *snap,
                                      const tm_filter_t *filters, size_t n,
                                      tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!snap)
    return tm_set_error(TM_EINVAL, "snapshot must not be NULL");
  tm_status_t st = validate(filters, n);
  if (st != TM_OK)
    return st;
  ctx_t c = {.filters = filters, .nf = n};
  tm_ptr_map_init(&c.entries, sizeof(tb_entry_t), 128);
  c.globs = tm_raw_calloc((n ? n : 1) * sizeof *c.globs, TM_MEM_OBJECTS);
  c.thread_match =
      tm_raw_calloc((n ? n : 1) * sizeof *c.thread_match, TM_MEM_OBJECTS);
  if (!c.globs || !c.thread_match) {
    tm_raw_free(c.globs);
    tm_raw_free(c.thread_match);
    return tm_set_error(TM_ENOMEM, "out of memory filtering traces");
  }
  st = compile_all(&c, snap);
  if (st == TM_OK)
    st = tm_snapshot_new_like(snap, &c.dst);
  if (st == TM_OK)
    st = tm_snapshot_reserve(c.dst, n ? 0 : tm_snapshot_count(snap));
  if (st == TM_OK)
    st = run(&c, snap);
  if (st == TM_OK)
    st = run_history(&c, snap);
  if (st == TM_OK)
    st = run_leaks(&c, snap);
  for (size_t k = 0; k < n; k++) {
    tm_glob_free(c.globs[k]);
    tm_raw_free(c.thread_match[k]);
  }
  tm_raw_free(c.globs);
  tm_raw_free(c.thread_match);
  tm_ptr_map_free(&c.entries);
  tm_raw_free(c.res);
  if (st != TM_OK) {
    tm_snapshot_free(c.dst);
    return st;
  }
  *out = c.dst;
  return TM_OK;
}
