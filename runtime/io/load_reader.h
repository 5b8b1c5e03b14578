/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* load_reader.h - the binary loader's bounded cursor over the payload, its
 * error helper (every message names the file) and the parts of the loader
 * in other files: the optional sections (load_sections.c). Shared by load.c,
 * load_sections.c and load_file.c.
 *
 * The helpers are static inline: they are the loader's innermost loop
 * (every varint of a 1M-trace dump), as they were when they were static
 * in load.c.
 */
#ifndef TM_LOAD_READER_H
#define TM_LOAD_READER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "io.h"
#include "snapshot.h"
#include "visibility.h"

typedef struct reader {
  const unsigned char *p; /* payload */
  size_t len, pos;
  const char *name;
  tm_snapshot_t *snap;
  const char **strings;
  uint32_t nstrings;
  const tm_traceback_t **tracebacks;
  uint32_t ntracebacks;
  tm_frame_t *frames; /* scratch for one traceback */
  size_t frames_cap;
  const char *unknown; /* interned "<unknown>" */
  bool has_leaks;      /* header flag TM_DUMP_FLAG_LEAKS */
  bool has_history;    /* header flag TM_DUMP_FLAG_HISTORY */
  bool has_threads;    /* header flag TM_DUMP_FLAG_THREADS */
  bool has_timeline;   /* header flag TM_DUMP_FLAG_TIMELINE */
  unsigned flags;      /* every header flag: which sections follow */
  /* With TM_DUMP_FLAG_HISTORY_THREADS, the history records wait for their
   * threads (the last section): the records, their traceback indices. */
  tm_history_t *hist;
  uint64_t *hist_tb;
  size_t nhist;
  uint64_t total_size; /* sum of the trace sizes so far */
} reader_t;

static inline tm_status_t fail(const char *name, tm_status_t st,
                               const char *fmt, ...) TM_PRINTF(3, 4);
static inline tm_status_t fail(const char *name, tm_status_t st,
                               const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tm_set_error(st, "%s: %s", name, msg);
}
#ifdef __clang_analyzer__
/* For the static analyzer only (clang-tidy): it does not follow variadic
 * functions, so it would take a failure's status for TM_OK (error.h). */
#define fail(name, st, ...) (fail(name, st, __VA_ARGS__), (st))
#endif

static inline size_t left(const reader_t *r) { return r->len - r->pos; }

/* Read one varint describing `what`. */
static inline tm_status_t get_varint(reader_t *r, const char *what,
                                     uint64_t *out) {
  uint64_t v = 0;
  size_t start = r->pos;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->pos >= r->len)
      return fail(r->name, TM_EFORMAT, "truncated: %s needs more bytes, 0 left",
                  what);
    unsigned char b = r->p[r->pos++];
    if (shift == 63 && b > 1)
      break;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return TM_OK;
    }
  }
  return fail(r->name, TM_EFORMAT,
              "corrupt: %s at payload offset %zu is not "
              "a valid varint",
              what, start);
}

static inline tm_status_t get_bounded(reader_t *r, const char *what,
                                      uint64_t max, uint64_t *out) {
  tm_status_t st = get_varint(r, what, out);
  if (st == TM_OK && *out > max)
    return fail(r->name, TM_EFORMAT,
                "corrupt: %s %llu is out of range "
                "(at most %llu)",
                what, (unsigned long long)*out, (unsigned long long)max);
  return st;
}

/* A count of entries that each take at least `min_bytes`: capped by the bytes
 * left, so a hostile count can never make us allocate. */
static inline tm_status_t get_count(reader_t *r, const char *what,
                                    size_t min_bytes, uint64_t *out) {
  tm_status_t st = get_varint(r, what, out);
  if (st == TM_OK && *out > left(r) / min_bytes)
    return fail(r->name, TM_EFORMAT,
                "truncated: %llu %s need at least %llu "
                "bytes, %zu left",
                (unsigned long long)*out, what,
                (unsigned long long)*out * min_bytes, left(r));
  return st;
}

static inline int64_t unzigzag(uint64_t v) {
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Bytes of a length-prefixed string, checked for NUL. */
static inline tm_status_t get_bytes(reader_t *r, const char *what,
                                    uint32_t index, const char **s,
                                    size_t *len) {
  uint64_t n;
  tm_status_t st = get_varint(r, what, &n);
  if (st != TM_OK)
    return st;
  if (n > left(r))
    return fail(r->name, TM_EFORMAT,
                "truncated: %s %u needs %llu bytes, "
                "%zu left",
                what, index, (unsigned long long)n, left(r));
  *s = (const char *)r->p + r->pos;
  *len = (size_t)n;
  if (memchr(*s, '\0', *len))
    return fail(r->name, TM_EFORMAT, "corrupt: %s %u contains a NUL byte", what,
                index);
  r->pos += *len;
  return TM_OK;
}

static inline tm_status_t oom(reader_t *r) {
  return fail(r->name, TM_ENOMEM, "out of memory while loading");
}

/* True when no optional section with a flag bit above `bit` follows
 * (sections come in increasing bit order; 0: after the traces), so the
 * payload must end here. */
static inline bool last_section(const reader_t *r, unsigned bit) {
  unsigned later = ~((bit << 1) - 1);
  if (bit == 0)
    later = ~0u;
  return (r->flags & later) == 0;
}

static inline uint64_t get_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The optional sections (load_sections.c), each read only when its header
 * flag is set, in increasing bit order. */
TM_HIDDEN tm_status_t tm_load_leaks(reader_t *r);
TM_HIDDEN tm_status_t tm_load_history(reader_t *r);
TM_HIDDEN tm_status_t tm_load_threads(reader_t *r);
TM_HIDDEN tm_status_t tm_load_history_threads(reader_t *r);
TM_HIDDEN tm_status_t tm_load_timeline(reader_t *r);

#endif /* TM_LOAD_READER_H */
