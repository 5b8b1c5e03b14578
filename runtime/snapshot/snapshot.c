/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot.c - the snapshot model: traces in insertion order, per-snapshot
 * interning of strings and tracebacks, the fast builder (snapshot_build.h),
 * accessors and the info block.
 *
 * Design. Everything a snapshot refers to lives in its own arena (arena.c:
 * bump allocation in growing chunks from tm_raw_alloc(TM_MEM_OBJECTS): the
 * runtime never calls malloc, so it never traces itself), so freeing a
 * snapshot is a handful of munmaps whatever its size. Two open-addressing
 * tables (linear probing, power-of-two sizes, load <= 1/2) intern strings by
 * content and tracebacks by (frame pointers, linenos, total_nframe): because
 * strings are interned first, comparing a traceback is comparing pointers and
 * integers, and identical tracebacks end up sharing one pointer, which the
 * dumper uses to write each traceback once. The trace array is a plain vector:
 * the core reserves it up front and appends at memory speed. Once built, a
 * snapshot is only read, so readers on several threads need no lock.
 *
 * Elsewhere: the layout (snapshot_layout.h), the tables a snapshot carries
 * besides its traces (snapshot_sections.c), snapshots derived from another
 * (snapshot_derive.c), content hashes and comparison (traceback_compare.c),
 * stand-alone tracebacks (traceback_copy.c).
 */
#include "snapshot.h"

#include <stddef.h>
#include <string.h>

#include "error.h"
#include "raw_alloc.h"
#include "snapshot_layout.h"

/* ------------------------------------------------------------------------ */
/* The snapshot                                                              */
/* ------------------------------------------------------------------------ */

#define TABLE_MIN 64

tm_status_t tm_snapshot_new(int traceback_limit, tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  tm_snapshot_t *s = tm_raw_calloc(sizeof *s, TM_MEM_OBJECTS);
  if (!s)
    return tm_set_error(TM_ENOMEM, "out of memory creating a snapshot");
  s->traceback_limit = traceback_limit;
  tm_arena_init(&s->arena);
  s->info.size = sizeof s->info;
  s->info.pid = -1;
  s->info.program = "";
  *out = s;
  return TM_OK;
}

void tm_snapshot_free(tm_snapshot_t *snap) {
  if (!snap)
    return;
  tm_raw_free(snap->traces);
  tm_raw_free(snap->strs);
  tm_raw_free(snap->tbs);
  tm_raw_free(snap->leaks);
  tm_raw_free(snap->threads);
  tm_raw_free(snap->timeline);
  tm_raw_free(snap->hist);
  tm_arena_free(&snap->arena);
  tm_raw_free(snap);
}

int tm_snapshot_traceback_limit(const tm_snapshot_t *snap) {
  return snap ? snap->traceback_limit : 0;
}

size_t tm_snapshot_count(const tm_snapshot_t *snap) {
  return snap ? snap->ntraces : 0;
}

const tm_trace_t *tm_snapshot_traces(const tm_snapshot_t *snap) {
  return snap ? snap->traces : NULL;
}

size_t tm_snapshot_traceback_count(const tm_snapshot_t *snap) {
  return snap->ntbs;
}

/* ---- string interning */

static bool strs_grow(tm_snapshot_t *snap) {
  size_t ncap = snap->strs_cap ? snap->strs_cap * 2 : TABLE_MIN;
  str_slot_t *t = tm_raw_calloc(ncap * sizeof *t, TM_MEM_OBJECTS);
  if (!t)
    return false;
  for (size_t i = 0; i < snap->strs_cap; i++) {
    str_slot_t e = snap->strs[i];
    if (!e.s)
      continue;
    size_t j = e.hash & (ncap - 1);
    while (t[j].s)
      j = (j + 1) & (ncap - 1);
    t[j] = e;
  }
  tm_raw_free(snap->strs);
  snap->strs = t;
  snap->strs_cap = ncap;
  return true;
}

const char *tm_snapshot_intern_string_hashed(tm_snapshot_t *snap, const char *s,
                                             size_t len, uint64_t hash) {
  if ((snap->nstrs + 1) * 2 > snap->strs_cap && !strs_grow(snap))
    return NULL;
  size_t mask = snap->strs_cap - 1, j = hash & mask;
  for (; snap->strs[j].s; j = (j + 1) & mask) {
    const char *c = snap->strs[j].s;
    if (snap->strs[j].hash == hash && hdr_of(c)->len == len &&
        memcmp(c, s, len) == 0)
      return c;
  }
  str_hdr_t *h = tm_arena_alloc(&snap->arena, sizeof *h + len + 1);
  if (!h)
    return NULL;
  h->hash = hash;
  h->len = len;
  memcpy(h->s, s, len);
  h->s[len] = '\0';
  snap->strs[j].hash = hash;
  snap->strs[j].s = h->s;
  snap->nstrs++;
  return h->s;
}

const char *tm_snapshot_intern_string(tm_snapshot_t *snap, const char *s,
                                      size_t len) {
  return tm_snapshot_intern_string_hashed(snap, s, len, tm_hash_bytes(s, len));
}

/* ---- traceback interning */

static uint64_t intern_hash(const tm_frame_t *frames, size_t n,
                            uint32_t total_nframe) {
  uint64_t h = 0x84222325cbf29ce4ULL ^ total_nframe;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ (uintptr_t)frames[i].filename) * 0x100000001b3ULL;
    h = (h ^ frames[i].lineno) * 0x9e3779b97f4a7c15ULL;
    h ^= (uintptr_t)frames[i].function;
    h = (h << 29) | (h >> 35);
  }
  return mix64(h ^ n);
}

static bool same_interned(const tm_traceback_t *tb, const tm_frame_t *frames,
                          size_t n, uint32_t total_nframe) {
  if (tb->nframe != n || tb->total_nframe != total_nframe)
    return false;
  for (size_t i = 0; i < n; i++) {
    const tm_frame_t *a = &tb->frames[i], *b = &frames[i];
    if (a->filename != b->filename || a->lineno != b->lineno ||
        a->function != b->function)
      return false;
  }
  return true;
}

static bool tbs_grow(tm_snapshot_t *snap) {
  size_t ncap = snap->tbs_cap ? snap->tbs_cap * 2 : TABLE_MIN;
  tb_slot_t *t = tm_raw_calloc(ncap * sizeof *t, TM_MEM_OBJECTS);
  if (!t)
    return false;
  for (size_t i = 0; i < snap->tbs_cap; i++) {
    tb_slot_t e = snap->tbs[i];
    if (!e.tb)
      continue;
    size_t j = e.hash & (ncap - 1);
    while (t[j].tb)
      j = (j + 1) & (ncap - 1);
    t[j] = e;
  }
  tm_raw_free(snap->tbs);
  snap->tbs = t;
  snap->tbs_cap = ncap;
  return true;
}

const tm_traceback_t *tm_snapshot_intern_traceback(tm_snapshot_t *snap,
                                                   const tm_frame_t *frames,
                                                   size_t nframe,
                                                   uint32_t total_nframe) {
  if (nframe > UINT32_MAX)
    return NULL;
  if ((snap->ntbs + 1) * 2 > snap->tbs_cap && !tbs_grow(snap))
    return NULL;
  uint64_t h = intern_hash(frames, nframe, total_nframe);
  size_t mask = snap->tbs_cap - 1, j = h & mask;
  for (; snap->tbs[j].tb; j = (j + 1) & mask) {
    if (snap->tbs[j].hash == h &&
        same_interned(snap->tbs[j].tb, frames, nframe, total_nframe))
      return snap->tbs[j].tb;
  }
  tm_traceback_t *tb =
      tm_arena_alloc(&snap->arena, sizeof *tb + nframe * sizeof(tm_frame_t));
  if (!tb)
    return NULL;
  tm_frame_t *copy = (tm_frame_t *)(tb + 1);
  if (nframe)
    memcpy(copy, frames, nframe * sizeof *copy);
  tb->frames = copy;
  tb->nframe = (uint32_t)nframe;
  tb->total_nframe = total_nframe;
  tb->hash = tm_frames_hash(copy, nframe);
  snap->tbs[j].hash = h;
  snap->tbs[j].tb = tb;
  snap->ntbs++;
  return tb;
}

/* ---- traces */

tm_status_t tm_snapshot_reserve(tm_snapshot_t *snap, size_t n) {
  if (n <= snap->cap - snap->ntraces)
    return TM_OK;
  if (n > (SIZE_MAX / sizeof(tm_trace_t)) - snap->ntraces)
    return tm_set_error(TM_ENOMEM, "too many traces");
  size_t want = snap->ntraces + n;
  tm_trace_t *t =
      tm_raw_realloc(snap->traces, want * sizeof *t, TM_MEM_OBJECTS);
  if (!t)
    return tm_set_error(TM_ENOMEM, "out of memory: %zu traces", want);
  snap->traces = t;
  snap->cap = want;
  return TM_OK;
}

tm_status_t tm_snapshot_reserve_all(tm_snapshot_t *snap, size_t n) {
  tm_status_t st = tm_snapshot_reserve(snap, n);
  if (st == TM_OK && n > 0) // n = 0: traces may still be NULL
    tm_raw_populate(snap->traces + snap->ntraces, n * sizeof(tm_trace_t));
  return st;
}

tm_status_t tm_snapshot_append(tm_snapshot_t *snap, unsigned int domain,
                               size_t size, const tm_traceback_t *tb) {
  return tm_snapshot_append_thread(snap, domain, size, tb, TM_THREAD_NONE);
}

tm_status_t tm_snapshot_append_thread(tm_snapshot_t *snap, unsigned int domain,
                                      size_t size, const tm_traceback_t *tb,
                                      uint32_t thread) {
  if (snap->ntraces == snap->cap) {
    size_t grow = snap->cap < 64 ? 64 : snap->cap;
    tm_status_t st = tm_snapshot_reserve(snap, grow);
    if (st != TM_OK)
      return st;
  }
  tm_trace_t *t = &snap->traces[snap->ntraces++];
  t->domain = domain;
  t->thread = thread;
  t->size = size;
  t->traceback = tb;
  return TM_OK;
}

/* Intern the strings of caller frames into `tmp` (same length). */
static tm_status_t intern_frames(tm_snapshot_t *snap, const tm_frame_t *frames,
                                 size_t nframe, tm_frame_t *tmp) {
  for (size_t i = 0; i < nframe; i++) {
    const char *fn = frames[i].filename, *func = frames[i].function;
    if (!fn)
      return tm_set_error(TM_EINVAL, "frame %zu: filename must not be NULL", i);
    tmp[i].filename = tm_snapshot_intern_string(snap, fn, strlen(fn));
    tmp[i].lineno = frames[i].lineno;
    tmp[i].function =
        func ? tm_snapshot_intern_string(snap, func, strlen(func)) : NULL;
    if (!tmp[i].filename || (func && !tmp[i].function))
      return tm_set_error(TM_ENOMEM, "out of memory interning a frame");
  }
  return TM_OK;
}

tm_status_t tm_snapshot_add_trace(tm_snapshot_t *snap, unsigned int domain,
                                  size_t size, const tm_frame_t *frames,
                                  size_t nframe, uint32_t total_nframe) {
  return tm_snapshot_add_trace_thread(snap, domain, size, frames, nframe,
                                      total_nframe, TM_THREAD_NONE);
}

tm_status_t tm_snapshot_add_trace_thread(tm_snapshot_t *snap,
                                         unsigned int domain, size_t size,
                                         const tm_frame_t *frames,
                                         size_t nframe, uint32_t total_nframe,
                                         uint32_t thread) {
  if (!snap || (nframe && !frames))
    return tm_set_error(TM_EINVAL, "snapshot and frames must not be NULL");
  if (thread > snap->nthreads)
    return tm_set_error(TM_EINVAL,
                        "thread %u is not in the snapshot (%zu threads)",
                        thread, snap->nthreads);
  if (nframe > UINT32_MAX)
    return tm_set_error(TM_EINVAL, "too many frames: %zu", nframe);
  tm_frame_t local[64];
  tm_frame_t *tmp = local;
  if (nframe > 64) {
    tmp = tm_raw_alloc(nframe * sizeof *tmp, TM_MEM_OBJECTS);
    if (!tmp)
      return tm_set_error(TM_ENOMEM, "out of memory adding a trace");
  }
  tm_status_t st = intern_frames(snap, frames, nframe, tmp);
  if (st == TM_OK) {
    const tm_traceback_t *tb =
        tm_snapshot_intern_traceback(snap, tmp, nframe, total_nframe);
    st = tb ? tm_snapshot_append_thread(snap, domain, size, tb, thread)
            : tm_set_error(TM_ENOMEM, "out of memory interning a traceback");
  }
  if (tmp != local)
    tm_raw_free(tmp);
  return st;
}

/* ------------------------------------------------------------------------ */
/* Info                                                                      */
/* ------------------------------------------------------------------------ */

/* Bytes of a caller's info struct we may touch: its declared size, capped
 * at ours (an older caller has a shorter struct, a newer one a longer). */
static size_t info_span(const tm_snapshot_info_t *info) {
  return info->size < sizeof *info ? info->size : sizeof *info;
}

tm_status_t tm_snapshot_set_info(tm_snapshot_t *snap,
                                 const tm_snapshot_info_t *info) {
  if (!snap || !info || info->size < sizeof(size_t))
    return tm_set_error(TM_EINVAL,
                        "info->size must be sizeof(tm_snapshot_info_t)");
  tm_snapshot_info_t tmp = snap->info;
  memcpy(&tmp, info, info_span(info));
  tmp.size = sizeof tmp;
  if (info_span(info) < offsetof(tm_snapshot_info_t, program) + sizeof(char *))
    tmp.program = snap->info.program;
  const char *p = tmp.program ? tmp.program : "";
  tmp.program = tm_snapshot_intern_string(snap, p, strlen(p));
  if (!tmp.program)
    return tm_set_error(TM_ENOMEM, "out of memory copying the program name");
  snap->info = tmp;
  return TM_OK;
}

tm_status_t tm_snapshot_get_info(const tm_snapshot_t *snap,
                                 tm_snapshot_info_t *info) {
  if (!snap || !info || info->size < sizeof(size_t))
    return tm_set_error(TM_EINVAL,
                        "info->size must be sizeof(tm_snapshot_info_t)");
  size_t caller_size = info->size;
  memcpy(info, &snap->info, info_span(info));
  info->size = caller_size;
  return TM_OK;
}

const tm_snapshot_info_t *tm_snapshot_info_ref(const tm_snapshot_t *snap) {
  return &snap->info;
}
