/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* take_snapshot.c - tm_take_snapshot and the traceback of one block
 * (tm_get_traceback, tm_get_object_traceback).
 *
 * Design. CPython copies the tables under its lock and converts the copy
 * while holding the GIL, so no allocation is traced meanwhile; here every
 * table lock is held for the whole conversion, which has the same effect
 * and keeps the interned runtime tracebacks alive without reference counts.
 * Each distinct runtime traceback is converted once: a dense temporary map
 * from runtime traceback id to snapshot traceback (and one from runtime
 * frame id to the snapshot's interned strings) makes the per-trace cost one
 * array load and one append. Runtime tracebacks are per thread
 * (thread_registry.h); the snapshot interns by frames, so the records of
 * one stack on several threads become one snapshot traceback, and each
 * trace keeps its thread as a number into the snapshot's thread table,
 * which is the registry copied in order (runtime index k is snapshot
 * thread k). Everything the snapshot code allocates comes
 * from raw_alloc, never malloc, so holding the locks cannot self-deadlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "history.h"
#include "internal.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"
#include "thread_registry.h"
#include "timeline.h"
#include "trace_table.h"
#include "traceback.h"

static const char not_tracing_msg[] =
    "the tracemalloc module must be tracing memory allocations to take a "
    "snapshot";

typedef struct frame_strings {
  const char *filename;
  const char *function;
} frame_strings_t;

typedef struct convert {
  tm_snapshot_t *snap;
  const tm_traceback_t **tb_map; /* runtime tb id -> snapshot tb */
  frame_strings_t *frame_map;    /* runtime frame id -> snapshot strings */
  tm_frame_t *frames;            /* scratch, limit entries */
} convert_t;

static bool frame_strings(convert_t *c, uint32_t fid, frame_strings_t *out) {
  frame_strings_t *fs = &c->frame_map[fid];
  if (!fs->filename) {
    const tm_rframe_t *f = tm_intern_frame(fid);
    fs->filename =
        tm_snapshot_intern_string(c->snap, f->filename, strlen(f->filename));
    if (f->function)
      fs->function =
          tm_snapshot_intern_string(c->snap, f->function, strlen(f->function));
    if (!fs->filename || (f->function && !fs->function)) {
      fs->filename = NULL;
      return false;
    }
  }
  *out = *fs;
  return true;
}

static const tm_traceback_t *convert_tb(convert_t *c, uint32_t id) {
  const tm_tb_t *tb = tm_intern_get(id);
  const uint32_t *fids = tm_tb_frame_ids(tb);
  for (unsigned k = 0; k < tb->nframe; k++) {
    frame_strings_t fs;
    if (!frame_strings(c, fids[k], &fs))
      return NULL;
    c->frames[k] = (tm_frame_t){fs.filename, tm_intern_frame(fids[k])->lineno,
                                fs.function};
  }
  return tm_snapshot_intern_traceback(c->snap, c->frames, tb->nframe,
                                      tb->total_nframe);
}

/* The snapshot's traceback of runtime id `id`, converted once (tb_map);
 * NULL: out of memory. */
static const tm_traceback_t *traceback_of(convert_t *c, uint32_t id) {
  if (!c->tb_map[id])
    c->tb_map[id] = convert_tb(c, id);
  return c->tb_map[id];
}

/* Room for one more element of `size` bytes in *arr (n used of *cap),
 * doubling; false: out of memory. */
static bool grow_for_one(void **arr, size_t n, size_t *cap, size_t size) {
  if (n < *cap)
    return true;
  size_t ncap = *cap ? *cap * 2 : 256;
  void *a = tm_raw_realloc(*arr, ncap * size, TM_MEM_OBJECTS);
  if (!a)
    return false;
  *arr = a;
  *cap = ncap;
  return true;
}

static int add_trace(void *arg, unsigned domain, size_t size, uint32_t id) {
  convert_t *c = arg;
  const tm_traceback_t *stb = traceback_of(c, id);
  if (!stb)
    return -1;
  return tm_snapshot_append_thread(c->snap, domain, size, stb,
                                   tm_intern_get(id)->thread) == TM_OK
             ? 0
             : -1;
}

/* The registry's threads, in order, with their names read now (every
 * lock held). */
static tm_status_t copy_threads(tm_snapshot_t *snap) {
  uint32_t n = tm_thread_registry_snapshot_begin();
  for (uint32_t k = 1; k <= n; k++) {
    tm_rthread_t t = tm_thread_registry_get(k);
    tm_status_t st = tm_snapshot_add_thread(snap, t.tid, t.name, t.ended, NULL);
    if (st != TM_OK)
      return st;
  }
  return TM_OK;
}

/* The allocation history (core/history.h): one record per runtime id,
 * so per traceback and thread (an id names its thread). */
typedef struct hist_out {
  convert_t *c;
  tm_history_t *recs;
  size_t n, cap;
} hist_out_t;

static int add_history(void *arg, uint32_t id, const tm_hist_sum_t *s) {
  hist_out_t *h = arg;
  // An id that no longer names a record cannot have counters: clear
  // forgets both at once, with every lock held.
  const tm_traceback_t *stb = traceback_of(h->c, id);
  if (!stb || !grow_for_one((void **)&h->recs, h->n, &h->cap, sizeof *h->recs))
    return -1;
  h->recs[h->n++] = (tm_history_t){
      stb,          s->calls,     s->allocated,  s->frees,
      s->temporary, s->peak_size, s->peak_count, tm_intern_get(id)->thread};
  return 0;
}

static tm_status_t copy_history(convert_t *c) {
  hist_out_t h = {.c = c};
  tm_status_t st = TM_ENOMEM;
  if (tm_hist_foreach_locked(add_history, &h) == 0 &&
      tm_snapshot_set_history(c->snap, h.recs, h.n) == TM_OK)
    st = TM_OK;
  tm_raw_free(h.recs);
  return st;
}

/* Fill `snap` from the tables (every lock held). */
static tm_status_t copy_traces(tm_snapshot_t *snap, int limit) {
  size_t tb_bytes = tm_intern_id_bound() * sizeof(void *);
  size_t fr_bytes = tm_intern_frame_bound() * sizeof(frame_strings_t);
  size_t sc_bytes = (size_t)limit * sizeof(tm_frame_t);
  convert_t c = {.snap = snap};
  c.tb_map = tm_raw_calloc(tb_bytes, TM_MEM_OBJECTS);
  c.frame_map = tm_raw_calloc(fr_bytes, TM_MEM_OBJECTS);
  c.frames = tm_raw_alloc(sc_bytes, TM_MEM_OBJECTS);
  tm_status_t st = TM_ENOMEM;
  if (c.tb_map && c.frame_map && c.frames && copy_threads(snap) == TM_OK &&
      tm_snapshot_reserve_all(snap, tm_trace_table_count_locked()) == TM_OK &&
      tm_trace_table_foreach_locked(add_trace, &c) == 0 &&
      copy_history(&c) == TM_OK)
    st = TM_OK;
  tm_raw_free(c.tb_map);
  tm_raw_free(c.frame_map);
  tm_raw_free(c.frames);
  return st;
}

/* The program name, without allocating: glibc's short invocation name, or
 * /proc/self/comm. */
static const char *program_name(char *buf, size_t len) {
  if (program_invocation_short_name && *program_invocation_short_name)
    return program_invocation_short_name;
  int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;
  if (fd >= 0)
    close(fd);
  if (n <= 0)
    return "";
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  return buf;
}

static tm_status_t set_info(tm_snapshot_t *snap, size_t current, size_t peak,
                            size_t memory, uint64_t dropped) {
  char comm[64];
  struct timespec ts;
  tm_snapshot_info_t info = {
      .size = sizeof info,
      .traced_current = current,
      .traced_peak = peak,
      .tracemalloc_memory = memory,
      .dropped_traces = dropped,
      .pid = (int64_t)getpid(),
      .time_ns = clock_gettime(CLOCK_REALTIME, &ts) == 0
                     ? (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec
                     : 0,
      .program = program_name(comm, sizeof comm),
      .has_traced_memory = true,
  };
  return tm_snapshot_set_info(snap, &info);
}

/* With every lock held: a new snapshot of the tables, and its info. */
static tm_status_t snapshot_locked(tm_snapshot_t **out) {
  TM_ASSERT(tm_trace_table_all_locked());
  if (!atomic_load_explicit(&tm_tracing, memory_order_acquire))
    return tm_set_error(TM_ENOTTRACING, "%s", not_tracing_msg);
  int limit = atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
  size_t current, peak;
  tm_trace_table_traced_memory(&current, &peak);
  size_t memory = tm_get_tracemalloc_memory();
  uint64_t dropped = tm_trace_table_dropped();
  tm_snapshot_t *snap = NULL;
  tm_status_t st = tm_snapshot_new(limit, &snap);
  if (st == TM_OK)
    st = copy_traces(snap, limit);
  if (st == TM_OK)
    st = set_info(snap, current, peak, memory, dropped);
  if (st == TM_OK)
    st = tm_timeline_copy_to(snap);
  if (st != TM_OK) {
    tm_snapshot_free(snap);
    return st == TM_ENOMEM
               ? tm_set_error(TM_ENOMEM, "out of memory while taking a "
                                         "snapshot")
               : st;
  }
  *out = snap;
  return TM_OK;
}

tm_status_t tm_take_snapshot(tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "tm_take_snapshot: out is NULL");
  *out = NULL;
  if (!atomic_load_explicit(&tm_tracing, memory_order_acquire))
    return tm_set_error(TM_ENOTTRACING, "%s", not_tracing_msg);
  int saved_errno = errno;
  tm_core_flush_deferred(); // this thread's handlers' allocations are in
  tm_reentrant++;
  tm_trace_table_lock_all();
  tm_status_t st = snapshot_locked(out);
  tm_trace_table_unlock_all();
  tm_reentrant--;
  errno = saved_errno;
  return st;
}

/* The live set at the peak per runtime id, so per traceback and thread. */
typedef struct peak_out {
  convert_t *c;
  tm_peak_part_t *parts;
  size_t n, cap;
} peak_out_t;

static int add_peak_part(void *arg, uint32_t id, const tm_hist_sum_t *s) {
  peak_out_t *p = arg;
  if (!s->peak_count)
    return 0;
  const tm_traceback_t *stb = traceback_of(p->c, id);
  if (!stb ||
      !grow_for_one((void **)&p->parts, p->n, &p->cap, sizeof *p->parts))
    return -1;
  p->parts[p->n++] = (tm_peak_part_t){stb, tm_intern_get(id)->thread,
                                      s->peak_size, s->peak_count};
  return 0;
}

/* With every lock held: the peak's parts, their tracebacks in snap (its
 * thread numbers are the registry's: copy_threads). */
static tm_status_t peak_parts_locked(tm_snapshot_t *snap, peak_out_t *p) {
  int limit = atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
  convert_t c = {.snap = snap};
  c.tb_map =
      tm_raw_calloc(tm_intern_id_bound() * sizeof(void *), TM_MEM_OBJECTS);
  c.frame_map = tm_raw_calloc(tm_intern_frame_bound() * sizeof(frame_strings_t),
                              TM_MEM_OBJECTS);
  c.frames = tm_raw_alloc((size_t)limit * sizeof(tm_frame_t), TM_MEM_OBJECTS);
  p->c = &c;
  tm_status_t st = TM_ENOMEM;
  if (c.tb_map && c.frame_map && c.frames &&
      tm_hist_foreach_locked(add_peak_part, p) == 0)
    st = TM_OK;
  tm_raw_free(c.tb_map);
  tm_raw_free(c.frame_map);
  tm_raw_free(c.frames);
  p->c = NULL;
  return st;
}

tm_status_t tm_take_peak_snapshot(tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "tm_take_peak_snapshot: out is NULL");
  *out = NULL;
  if (!atomic_load_explicit(&tm_tracing, memory_order_acquire))
    return tm_set_error(TM_ENOTTRACING, "%s", not_tracing_msg);
  int saved_errno = errno;
  tm_core_flush_deferred();
  tm_reentrant++;
  // The snapshot and the peak's parts under one hold of every lock: the
  // parts are per runtime id, so each carries its thread.
  tm_trace_table_lock_all();
  tm_snapshot_t *snap = NULL;
  peak_out_t p = {0};
  tm_status_t st = snapshot_locked(&snap);
  if (st == TM_OK && peak_parts_locked(snap, &p) != TM_OK)
    st = tm_set_error(TM_ENOMEM, "out of memory building a peak snapshot");
  tm_trace_table_unlock_all();
  if (st == TM_OK)
    st = tm_snapshot_peak_parts(snap, p.parts, p.n, out);
  tm_raw_free(p.parts);
  tm_snapshot_free(snap);
  tm_reentrant--;
  errno = saved_errno;
  return st;
}

/* A stand-alone copy of runtime traceback `id` (the key's lock held). */
static tm_traceback_t *copy_traceback(uint32_t id) {
  const tm_tb_t *tb = tm_intern_get(id);
  tm_frame_t *frames =
      tm_raw_alloc((size_t)tb->nframe * sizeof *frames, TM_MEM_OBJECTS);
  if (!frames)
    return NULL;
  const uint32_t *fids = tm_tb_frame_ids(tb);
  for (unsigned k = 0; k < tb->nframe; k++) {
    const tm_rframe_t *f = tm_intern_frame(fids[k]);
    frames[k] = (tm_frame_t){f->filename, f->lineno, f->function};
  }
  // CPython's get_object_traceback gives a Traceback with total_nframe None.
  tm_traceback_t *copy =
      tm_traceback_new_copy(frames, tb->nframe, TM_TOTAL_NFRAME_NONE);
  tm_raw_free(frames);
  return copy;
}

tm_status_t tm_get_traceback(unsigned int domain, uintptr_t ptr,
                             tm_traceback_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "tm_get_traceback: out is NULL");
  *out = NULL;
  if (!atomic_load_explicit(&tm_tracing, memory_order_acquire) || tm_reentrant)
    return TM_OK;
  tm_status_t st = TM_OK;
  size_t size;
  uint32_t id;
  tm_reentrant++;
  tm_trace_table_lock_key(domain, ptr);
  if (tm_trace_table_find_locked(domain, ptr, &size, &id) &&
      !(*out = copy_traceback(id)))
    st = tm_set_error(TM_ENOMEM, "out of memory copying a traceback");
  tm_trace_table_unlock_key(domain, ptr);
  tm_reentrant--;
  return st;
}

tm_status_t tm_get_object_traceback(const void *ptr, tm_traceback_t **out) {
  return tm_get_traceback(0, (uintptr_t)ptr, out);
}
