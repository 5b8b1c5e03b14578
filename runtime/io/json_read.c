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
 * at the top level, "functions" (names or null, one per frame) per trace,
 * "leaks" (the leak classification), "history" (the allocation history
 * per traceback) and "timeline" (memory over time): their values are
 * checked when met and read after the traces, whatever the key order. So
 * is "threads" (the thread table: [{"tid": N, "name": S, "ended": B},
 * ...]); a trace's optional "thread" is an index into it (0-based),
 * checked once both are read.
 */
#include <stdio.h>
#include <string.h>

#include "json_lex.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"

/* ["file", line] */
static tm_status_t read_frame(jp_t *p, tm_frame_t *f) {
  TRY(tm_json_expect(p, '[', "to start a frame [filename, lineno]"));
  if (tm_json_peek(p) != '"')
    return jfail(p, "frame: expected the filename string");
  TRY(tm_json_read_string(p));
  f->filename =
      tm_snapshot_intern_string(p->snap, (const char *)p->str.data, p->str.len);
  if (!f->filename)
    return tm_json_fail(p, TM_ENOMEM, "out of memory");
  f->function = NULL;
  TRY(tm_json_expect(p, ',', "after the filename of a frame"));
  uint64_t line;
  TRY(tm_json_read_int(p, "frame line number", 0, UINT32_MAX, NULL, &line));
  f->lineno = (unsigned int)line;
  return tm_json_expect(p, ']', "to end a frame [filename, lineno]");
}

/* [[file, line], ...] into p->frames; returns the count. */
static tm_status_t read_traceback(jp_t *p, size_t *nframe) {
  TRY(tm_json_expect(p, '[', "to start a traceback"));
  size_t n = 0;
  if (tm_json_peek(p) == ']') {
    p->pos++;
    *nframe = 0;
    return TM_OK;
  }
  for (;;) {
    if (n == p->frames_cap) {
      size_t cap = p->frames_cap ? p->frames_cap * 2 : 64;
      tm_frame_t *f =
          tm_raw_realloc(p->frames, cap * sizeof *f, TM_MEM_OBJECTS);
      if (!f)
        return tm_json_fail(p, TM_ENOMEM, "out of memory");
      p->frames = f;
      p->frames_cap = cap;
    }
    TRY(read_frame(p, &p->frames[n++]));
    int c = tm_json_peek(p);
    if (c == ']') {
      p->pos++;
      *nframe = n;
      return TM_OK;
    }
    if (c != ',')
      return jfail(p, "expected ',' or ']' in a traceback");
    p->pos++;
  }
}

/* "functions": [name|null, ...] into p->funcs; returns the count. */
static tm_status_t read_functions(jp_t *p, size_t *nfunc) {
  TRY(tm_json_expect(p, '[', "to start the functions list"));
  size_t n = 0;
  if (tm_json_peek(p) == ']') {
    p->pos++;
    *nfunc = 0;
    return TM_OK;
  }
  for (;;) {
    if (n == p->funcs_cap) {
      size_t cap = p->funcs_cap ? p->funcs_cap * 2 : 64;
      const char **f =
          tm_raw_realloc(p->funcs, cap * sizeof *f, TM_MEM_OBJECTS);
      if (!f)
        return tm_json_fail(p, TM_ENOMEM, "out of memory");
      p->funcs = f;
      p->funcs_cap = cap;
    }
    int c = tm_json_peek(p);
    if (c == 'n') {
      TRY(tm_json_read_literal(p, "null"));
      p->funcs[n++] = NULL;
    } else if (c == '"') {
      TRY(tm_json_read_string(p));
      const char *name = tm_snapshot_intern_string(
          p->snap, (const char *)p->str.data, p->str.len);
      if (!name)
        return tm_json_fail(p, TM_ENOMEM, "out of memory");
      p->funcs[n++] = name;
    } else {
      return jfail(p, "functions: expected a function name or null");
    }
    c = tm_json_peek(p);
    if (c == ']') {
      p->pos++;
      *nfunc = n;
      return TM_OK;
    }
    if (c != ',')
      return jfail(p, "expected ',' or ']' in the functions list");
    p->pos++;
  }
}

/* The members a trace object and a leak record share: "traceback",
 * "total_nframe" and the optional "functions". */
typedef struct tb_members {
  unsigned seen; /* TB_* */
  size_t nframe, nfunc;
  uint64_t total;
} tb_members_t;

enum { TB_TRACEBACK = 1, TB_TOTAL = 2, TB_FUNCS = 4 };

/* Read the member at p if it is one of those (*handled), else leave it. */
static tm_status_t read_tb_member(jp_t *p, tb_members_t *m, bool *handled) {
  *handled = true;
  if (tm_json_key_is(p, "traceback")) {
    TRY(tm_json_mark_key(p, &m->seen, TB_TRACEBACK));
    return read_traceback(p, &m->nframe);
  }
  if (tm_json_key_is(p, "total_nframe")) {
    TRY(tm_json_mark_key(p, &m->seen, TB_TOTAL));
    if (tm_json_peek(p) == 'n')
      return tm_json_read_literal(p, "null");
    return tm_json_read_int(p, "total_nframe", 0, UINT32_MAX - 1, NULL,
                            &m->total);
  }
  if (tm_json_key_is(p, "functions")) {
    TRY(tm_json_mark_key(p, &m->seen, TB_FUNCS));
    return read_functions(p, &m->nfunc);
  }
  *handled = false;
  return TM_OK;
}

/* "functions", when present, names each frame of "traceback": one entry per
 * frame. `what` and `index` name the object (which starts at `start`). */
static tm_status_t attach_functions(jp_t *p, const tb_members_t *m,
                                    const char *what, size_t index,
                                    size_t start) {
  if (!(m->seen & TB_FUNCS))
    return TM_OK;
  if (m->nfunc != m->nframe) {
    p->pos = start;
    return jfail(p,
                 "%s %zu: \"functions\" has %zu entries, the traceback "
                 "%zu frames",
                 what, index, m->nfunc, m->nframe);
  }
  for (size_t i = 0; i < m->nframe; i++)
    p->frames[i].function = p->funcs[i];
  return TM_OK;
}

/* The traceback read, interned in the snapshot; an empty one is CPython's
 * ("<unknown>", 0) (io.h). */
static tm_status_t intern_tb(jp_t *p, const tb_members_t *m,
                             const tm_traceback_t **out) {
  tm_frame_t unknown = {NULL, 0, NULL};
  const tm_frame_t *frames = p->frames;
  size_t nframe = m->nframe;
  if (nframe == 0) {
    unknown.filename = tm_snapshot_intern_string(p->snap, TM_IO_UNKNOWN_FILE,
                                                 strlen(TM_IO_UNKNOWN_FILE));
    if (!unknown.filename)
      return tm_json_fail(p, TM_ENOMEM, "out of memory");
    frames = &unknown;
    nframe = 1;
  }
  *out =
      tm_snapshot_intern_traceback(p->snap, frames, nframe, (uint32_t)m->total);
  return *out ? TM_OK : tm_json_fail(p, TM_ENOMEM, "out of memory");
}

enum { K_DOMAIN = 1, K_SIZE = 2, K_THREAD = 4 };

/* One element of a JSON array: element `index` into `slot` (NULL for an
 * array whose elements go straight into the snapshot). */
typedef tm_status_t (*element_fn)(jp_t *p, size_t index, void *slot);

/* A JSON array, element by element. With elem_size > 0 the elements are
 * read into one buffer grown as needed, *out gets it (tm_raw_free; also
 * on failure) and *n their count. `array` and `element` name them in the
 * messages ("the traces array", "after a trace"). */
static tm_status_t read_array(jp_t *p, const char *array, const char *element,
                              size_t elem_size, element_fn one, void **out,
                              size_t *n) {
  char context[64];
  snprintf(context, sizeof context, "to start the %s array", array);
  TRY(tm_json_expect(p, '[', context));
  unsigned char *buf = NULL;
  size_t count = 0, cap = 0;
  tm_status_t st = TM_OK;
  if (tm_json_peek(p) == ']')
    p->pos++;
  else
    for (;;) {
      if (elem_size && count == cap) {
        cap = cap ? cap * 2 : 16;
        unsigned char *r = tm_raw_realloc(buf, cap * elem_size, TM_MEM_OBJECTS);
        if (!r) {
          st = tm_json_fail(p, TM_ENOMEM, "out of memory");
          break;
        }
        buf = r;
      }
      if ((st = one(p, count, elem_size ? buf + count * elem_size : NULL)) !=
          TM_OK)
        break;
      count++;
      int c = tm_json_peek(p);
      if (c == ']') {
        p->pos++;
        break;
      }
      if (c != ',') {
        st = c ? jfail(p, "expected ',' or ']' after %s", element)
               : jfail(p, "unexpected end of input in the %s array", array);
        break;
      }
      p->pos++;
    }
  if (out)
    *out = buf;
  else
    tm_raw_free(buf);
  if (n)
    *n = count;
  return st;
}

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
    TRY(read_tb_member(p, &m, &handled));
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
      size_t at = (tm_json_skip_ws(p), p->pos);
      TRY(tm_json_read_int(p, "thread", 0, UINT32_MAX - 2, NULL, &thread));
      thread++; // the snapshot numbers threads from 1 (0: none)
      if (thread > p->thread_max) {
        p->thread_max = thread;
        p->thread_max_pos = at;
      }
    } else {
      TRY(tm_json_skip_value(p, 3));
    }
  }
  TRY(attach_functions(p, &m, "trace", index, start));
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
  TRY(intern_tb(p, &m, &tb));
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
  return read_array(p, "traces", "a trace", 0, trace_element, NULL, NULL);
}

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
    TRY(read_tb_member(p, &m, &handled));
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
  TRY(attach_functions(p, &m, "leak", index, start));
  const tm_traceback_t *tb;
  TRY(intern_tb(p, &m, &tb));
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
static tm_status_t read_leaks(jp_t *p);

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
  uint64_t v[6] = {0};
  tb_members_t m = {0, 0, 0, TM_TOTAL_NFRAME_NONE};
  for (;;) {
    TRY(tm_json_next_member(p, &first, &done, "in a history record"));
    if (done)
      break;
    TRY(read_tb_member(p, &m, &handled));
    if (handled)
      continue;
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
  TRY(attach_functions(p, &m, "history", index, start));
  const tm_traceback_t *tb;
  TRY(intern_tb(p, &m, &tb));
  *rec = (tm_history_t){tb, v[0], v[1], v[2], v[3], v[4], v[5]};
  return TM_OK;
}

static tm_status_t hist_element(jp_t *p, size_t index, void *slot) {
  return read_hist_rec(p, index, slot);
}

/* "history": [...], after the traces: one record per traceback. */
static tm_status_t read_history(jp_t *p) {
  size_t start = (tm_json_skip_ws(p), p->pos);
  void *buf = NULL;
  size_t n = 0;
  tm_status_t st = read_array(p, "history", "a history record",
                              sizeof(tm_history_t), hist_element, &buf, &n);
  tm_history_t *recs = buf;
  if (st == TM_OK && tm_snapshot_set_history(p->snap, recs, n) != TM_OK)
    st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  size_t kept = 0;
  if (st == TM_OK && (tm_snapshot_history(p->snap, &kept), kept != n)) {
    p->pos = start;
    st = jfail(p, "history: the same traceback twice");
  }
  tm_raw_free(recs);
  return st;
}

static tm_status_t leak_element(jp_t *p, size_t index, void *slot) {
  return read_leak(p, index, slot);
}

static tm_status_t read_leaks(jp_t *p) {
  size_t start = (tm_json_skip_ws(p), p->pos);
  void *buf = NULL;
  size_t n = 0;
  tm_status_t st = read_array(p, "leaks", "a leak record",
                              sizeof(tm_leak_rec_t), leak_element, &buf, &n);
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

static tm_status_t read_threads(jp_t *p) {
  return read_array(p, "threads", "a thread", 0, thread_element, NULL, NULL);
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

static tm_status_t read_timeline(jp_t *p) {
  void *buf = NULL;
  size_t n = 0;
  tm_status_t st =
      read_array(p, "timeline", "a timeline point", sizeof(tm_timeline_point_t),
                 point_element, &buf, &n);
  if (st == TM_OK && tm_snapshot_set_timeline(p->snap, buf, n) != TM_OK)
    st = tm_json_fail(p, TM_ENOMEM, "out of memory");
  tm_raw_free(buf);
  return st;
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
  T_HISTORY = 8192
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
    TRY(read_leaks(p));
  }
  if (t->seen & T_HISTORY) {
    p->pos = t->history_pos;
    TRY(read_history(p));
  }
  if (t->seen & T_THREADS) {
    p->pos = t->threads_pos;
    TRY(read_threads(p));
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
    TRY(read_timeline(p));
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
