/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot.c - the snapshot model: traces in insertion order, per-snapshot
 * interning of strings and tracebacks, the fast builder (snapshot_build.h),
 * accessors and the info block.
 *
 * Design. Everything a snapshot refers to lives in its own arena (bump
 * allocation in growing chunks from tm_raw_alloc(TM_MEM_OBJECTS): the runtime
 * never calls malloc, so it never traces itself), so freeing a snapshot is a
 * handful of munmaps whatever its size. Two open-addressing tables (linear
 * probing, power-of-two sizes, load <= 1/2) intern strings by content and
 * tracebacks by (frame pointers, linenos, total_nframe): because strings are
 * interned first, comparing a traceback is comparing pointers and integers,
 * and identical tracebacks end up sharing one pointer, which the dumper uses
 * to write each traceback once. The trace array is a plain vector: the core
 * reserves it up front and appends at memory speed. Once built, a snapshot is
 * only read, so readers on several threads need no lock.
 */
#include "snapshot.h"

#include <stddef.h>
#include <string.h>

#include "error.h"
#include "ptr_map.h"
#include "raw_alloc.h"

/* ------------------------------------------------------------------------ */
/* Arena                                                                     */
/* ------------------------------------------------------------------------ */

struct tm_arena_chunk {
  tm_arena_chunk_t *next;
  size_t size;
};

#define ARENA_FIRST_CHUNK ((size_t)16 * 1024)
#define ARENA_MAX_CHUNK ((size_t)1024 * 1024)
#define ARENA_HEADER ((sizeof(tm_arena_chunk_t) + 15) & ~(size_t)15)

void tm_arena_init(tm_arena_t *a) {
  a->head = NULL;
  a->cur = NULL;
  a->left = 0;
  a->next_size = ARENA_FIRST_CHUNK;
}

void *tm_arena_alloc(tm_arena_t *a, size_t size) {
  size = (size + 7) & ~(size_t)7;
  if (size > a->left) {
    /* Growing chunks keep the number of mappings logarithmic in the total
     * while small snapshots stay small. */
    size_t want = a->next_size;
    if (want < size + ARENA_HEADER)
      want = size + ARENA_HEADER;
    tm_arena_chunk_t *c = tm_raw_alloc(want, TM_MEM_OBJECTS);
    if (!c)
      return NULL;
    c->next = a->head;
    c->size = want;
    a->head = c;
    a->cur = (char *)c + ARENA_HEADER;
    a->left = want - ARENA_HEADER;
    if (a->next_size < ARENA_MAX_CHUNK)
      a->next_size *= 2;
  }
  void *p = a->cur;
  a->cur += size;
  a->left -= size;
  return p;
}

void tm_arena_free(tm_arena_t *a) {
  tm_arena_chunk_t *c = a->head;
  while (c) {
    tm_arena_chunk_t *next = c->next;
    tm_raw_free(c);
    c = next;
  }
  tm_arena_init(a);
}

/* ------------------------------------------------------------------------ */
/* Hashing and interned strings                                              */
/* ------------------------------------------------------------------------ */

/* The hidden header in front of every interned string. */
typedef struct str_hdr {
  uint64_t hash;
  uint64_t len;
  char s[];
} str_hdr_t;

static inline const str_hdr_t *hdr_of(const char *s) {
  return (const str_hdr_t *)(const void *)(s - offsetof(str_hdr_t, s));
}

static inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t tm_hash_bytes(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, b, 8);
    h = (h ^ v) * 0x87c37b91114253d5ULL;
    h = (h << 31) | (h >> 33);
    b += 8;
    n -= 8;
  }
  uint64_t v = 0;
  memcpy(&v, b, n);
  h = (h ^ v) * 0x4cf5ad432745937fULL;
  return mix64(h);
}

uint64_t tm_string_hash(const char *interned) { return hdr_of(interned)->hash; }

size_t tm_string_length(const char *interned) {
  return (size_t)hdr_of(interned)->len;
}

static inline uint64_t frames_fold(uint64_t h, const char *fn,
                                   unsigned int lineno) {
  return mix64((h * 0x100000001b3ULL) ^ hdr_of(fn)->hash ^
               ((uint64_t)lineno << 17));
}

#define FRAMES_SEED 0x2545f4914f6cdd1dULL

uint64_t tm_frame_hash(const char *interned_filename, unsigned int lineno) {
  return frames_fold(FRAMES_SEED, interned_filename, lineno);
}

uint64_t tm_frames_hash(const tm_frame_t *frames, size_t n) {
  uint64_t h = FRAMES_SEED;
  for (size_t i = 0; i < n; i++)
    h = frames_fold(h, frames[i].filename, frames[i].lineno);
  return h;
}

static inline int str_cmp(const char *a, const char *b) {
  if (a == b)
    return 0;
  /* strcmp compares as unsigned char: code-point order for valid UTF-8. */
  return strcmp(a, b);
}

int tm_traceback_cmp(const tm_traceback_t *a, const tm_traceback_t *b) {
  size_t na = a->nframe, nb = b->nframe;
  size_t n = na < nb ? na : nb;
  for (size_t i = 1; i <= n; i++) {
    const tm_frame_t *fa = &a->frames[na - i], *fb = &b->frames[nb - i];
    int c = str_cmp(fa->filename, fb->filename);
    if (c)
      return c;
    if (fa->lineno != fb->lineno)
      return fa->lineno < fb->lineno ? -1 : 1;
  }
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

bool tm_traceback_equal(const tm_traceback_t *a, const tm_traceback_t *b) {
  if (a == b)
    return true;
  if (a->nframe != b->nframe || a->hash != b->hash)
    return false;
  if (a->frames == b->frames)
    return true; /* one interned traceback seen through two headers */
  for (size_t i = 0; i < a->nframe; i++) {
    const tm_frame_t *fa = &a->frames[i], *fb = &b->frames[i];
    if (fa->lineno != fb->lineno || str_cmp(fa->filename, fb->filename))
      return false;
  }
  return true;
}

/* ------------------------------------------------------------------------ */
/* The snapshot                                                              */
/* ------------------------------------------------------------------------ */

/* The interning sets below are keyed by CONTENT (a stored hash, then the
 * bytes or frames compared), not by pointer identity, so they are not
 * ptr_map.h maps: a slot keeps its hash so that a probe rejects most
 * non-matches, and regrowth, without touching the strings or frames. */
typedef struct str_slot {
  uint64_t hash;
  const char *s; /* NULL: empty slot */
} str_slot_t;

typedef struct tb_slot {
  uint64_t hash; /* interning hash (pointers + total_nframe), not tb->hash */
  tm_traceback_t *tb;
} tb_slot_t;

struct tm_snapshot {
  int traceback_limit;
  tm_trace_t *traces;
  size_t ntraces, cap;
  tm_arena_t arena;
  str_slot_t *strs;
  size_t nstrs, strs_cap;
  tb_slot_t *tbs;
  size_t ntbs, tbs_cap;
  tm_snapshot_info_t info;
  /* The leak classification (leak_class.h), or NULL: none. */
  tm_leak_rec_t *leaks;
  size_t nleaks;
  /* The thread table (names interned in the arena); a trace's thread k
   * is threads[k - 1]. */
  tm_thread_info_t *threads;
  size_t nthreads, threads_cap;
  /* Memory over time (tm_snapshot_timeline), or NULL: none. */
  tm_timeline_point_t *timeline;
  size_t ntimeline;
  /* The allocation history (tm_history_t), or NULL: none. */
  tm_history_t *hist;
  size_t nhist;
};

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

/* ------------------------------------------------------------------------ */
/* Traceback accessors and stand-alone tracebacks                            */
/* ------------------------------------------------------------------------ */

size_t tm_traceback_length(const tm_traceback_t *tb) {
  return tb ? tb->nframe : 0;
}

const tm_frame_t *tm_traceback_frames(const tm_traceback_t *tb) {
  return tb ? tb->frames : NULL;
}

uint32_t tm_traceback_total_nframe(const tm_traceback_t *tb) {
  return tb ? tb->total_nframe : TM_TOTAL_NFRAME_NONE;
}

static size_t str_block(const char *s) {
  return (offsetof(str_hdr_t, s) + strlen(s) + 1 + 7) & ~(size_t)7;
}

static const char *put_str(char **cursor, const char *s) {
  size_t len = strlen(s);
  str_hdr_t *h = (str_hdr_t *)(void *)*cursor;
  h->hash = tm_hash_bytes(s, len);
  h->len = len;
  memcpy(h->s, s, len + 1);
  *cursor += str_block(s);
  return h->s;
}

tm_traceback_t *tm_traceback_new_copy(const tm_frame_t *frames, size_t nframe,
                                      uint32_t total_nframe) {
  size_t total = sizeof(tm_traceback_t) + nframe * sizeof(tm_frame_t);
  for (size_t i = 0; i < nframe; i++) {
    total += str_block(frames[i].filename ? frames[i].filename : "<unknown>");
    if (frames[i].function)
      total += str_block(frames[i].function);
  }
  tm_traceback_t *tb = tm_raw_alloc(total, TM_MEM_OBJECTS);
  if (!tb)
    return NULL;
  tm_frame_t *copy = (tm_frame_t *)(tb + 1);
  char *cursor = (char *)(copy + nframe);
  for (size_t i = 0; i < nframe; i++) {
    copy[i].filename =
        put_str(&cursor, frames[i].filename ? frames[i].filename : "<unknown>");
    copy[i].lineno = frames[i].lineno;
    copy[i].function =
        frames[i].function ? put_str(&cursor, frames[i].function) : NULL;
  }
  tb->frames = copy;
  tb->nframe = (uint32_t)nframe;
  tb->total_nframe = total_nframe;
  tb->hash = tm_frames_hash(copy, nframe);
  return tb;
}

void tm_traceback_free(tm_traceback_t *tb) { tm_raw_free(tb); }

/* ---- Leak classification (leak_class.h) -------------------------------- */

tm_status_t tm_snapshot_set_leaks(tm_snapshot_t *snap,
                                  const tm_leak_rec_t *recs, size_t n) {
  // One byte at least: a classification with no record is still one.
  tm_leak_rec_t *copy = tm_raw_alloc(n ? n * sizeof *copy : 1, TM_MEM_OBJECTS);
  if (!copy)
    return tm_set_error(TM_ENOMEM, "out of memory storing a leak "
                                   "classification");
  if (n)
    memcpy(copy, recs, n * sizeof *copy);
  tm_raw_free(snap->leaks);
  snap->leaks = copy;
  snap->nleaks = n;
  return TM_OK;
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
  if (!copy)
    return tm_set_error(TM_ENOMEM, "out of memory storing an allocation "
                                   "history");
  // Records of one traceback pointer are summed (two runtime tracebacks
  // can become one snapshot traceback).
  tm_ptr_map_t idx;
  tm_ptr_map_init(&idx, sizeof(tm_ptr_index_slot_t), 64);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t j;
    bool added;
    if (!tm_ptr_map_index(&idx, recs[i].traceback, (uint32_t)m, &j, &added)) {
      tm_ptr_map_free(&idx);
      tm_raw_free(copy);
      return tm_set_error(TM_ENOMEM, "out of memory storing an allocation "
                                     "history");
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

/* ---- Snapshots derived from another (filter.c, the CLI's suppressions) */

static const char *copy_str(tm_snapshot_t *dst, const char *s) {
  return tm_snapshot_intern_string_hashed(dst, s, tm_string_length(s),
                                          tm_string_hash(s));
}

const tm_traceback_t *tm_snapshot_copy_traceback(tm_snapshot_t *dst,
                                                 const tm_traceback_t *tb) {
  tm_frame_t local[64], *f = local;
  if (tb->nframe > 64 &&
      !(f = tm_raw_alloc(tb->nframe * sizeof *f, TM_MEM_OBJECTS)))
    return NULL;
  const tm_traceback_t *r = NULL;
  size_t i = 0;
  for (; i < tb->nframe; i++) {
    const tm_frame_t *s = &tb->frames[i];
    f[i].filename = copy_str(dst, s->filename);
    f[i].lineno = s->lineno;
    f[i].function = s->function ? copy_str(dst, s->function) : NULL;
    if (!f[i].filename || (s->function && !f[i].function))
      break;
  }
  if (i == tb->nframe)
    r = tm_snapshot_intern_traceback(dst, f, tb->nframe, tb->total_nframe);
  if (f != local)
    tm_raw_free(f);
  return r;
}

tm_status_t tm_snapshot_new_like(const tm_snapshot_t *snap,
                                 tm_snapshot_t **out) {
  tm_status_t st = tm_snapshot_new(tm_snapshot_traceback_limit(snap), out);
  if (st != TM_OK)
    return st;
  tm_snapshot_info_t info = *tm_snapshot_info_ref(snap);
  info.size = sizeof info;
  st = tm_snapshot_set_info(*out, &info);
  // The whole thread table, so that a trace's thread number stays valid.
  for (size_t i = 0; st == TM_OK && i < snap->nthreads; i++) {
    const tm_thread_info_t *t = &snap->threads[i];
    st = tm_snapshot_add_thread(*out, t->tid, t->name, t->ended, NULL);
  }
  if (st != TM_OK) {
    tm_snapshot_free(*out);
    *out = NULL;
  }
  return st;
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
  // One byte at least: an empty timeline is still one.
  tm_timeline_point_t *copy =
      tm_raw_alloc(n ? n * sizeof *copy : 1, TM_MEM_OBJECTS);
  if (!copy)
    return tm_set_error(TM_ENOMEM, "out of memory storing a timeline");
  if (n)
    memcpy(copy, points, n * sizeof *copy);
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
