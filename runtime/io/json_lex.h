/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_lex.h - the strict JSON lexer under json_read.c: whitespace,
 * strings (with the surrogateescape rule), integers, literals, skipping of
 * unknown values, and object-member iteration with duplicate detection.
 *
 * Every function returns TM_OK or sets the error "NAME:LINE:COL: problem"
 * through tm_json_fail and returns its status; nothing allocates except the
 * decoded-string buffer (tm_raw_alloc). Internal to the loader.
 */
#ifndef TM_JSON_LEX_H
#define TM_JSON_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "io.h"

enum { MAX_DEPTH = 64, MAX_STRING = 1 << 20 };

typedef struct jp {
  const unsigned char *s;
  size_t len, pos;
  const char *name;
  tm_buf_t str;        /* the last decoded string, NUL-terminated */
  tm_frame_t *frames;  /* scratch for one traceback */
  uint64_t total_size; /* sum of the trace sizes so far (io.h) */
  const char **funcs;  /* scratch for one trace's "functions" */
  size_t funcs_cap;
  size_t frames_cap;
  tm_snapshot_t *snap;
  size_t key_pos; /* where the last object key started */
  /* The largest per-trace "thread" seen (+1; 0: none) and where, checked
   * against "threads" once both are read (json_read.c). */
  uint64_t thread_max;
  size_t thread_max_pos;
} jp_t;

/* Record "NAME:LINE:COL: message" (position p->pos) and return st. */
tm_status_t tm_json_fail(jp_t *p, tm_status_t st, const char *fmt, ...)
    TM_PRINTF(3, 4);
#define jfail(p, ...) tm_json_fail(p, TM_EFORMAT, __VA_ARGS__)
#ifdef __clang_analyzer__
/* For the static analyzer only (clang-tidy): it does not follow variadic
 * functions, so it would take a failure's status for TM_OK (error.h). */
#define tm_json_fail(p, st, ...) (tm_json_fail(p, st, __VA_ARGS__), (st))
#endif

void tm_json_skip_ws(jp_t *p);
/* The next significant byte, or 0 at end of input. */
int tm_json_peek(jp_t *p);
tm_status_t tm_json_expect(jp_t *p, char c, const char *context);
/* A string into p->str (NUL-terminated; p->str.len excludes the NUL). */
tm_status_t tm_json_read_string(jp_t *p);
/* An integer in [min, max] for the member `what`, into *sv and/or *uv. */
tm_status_t tm_json_read_int(jp_t *p, const char *what, int64_t min,
                             uint64_t max, int64_t *sv, uint64_t *uv);
tm_status_t tm_json_read_literal(jp_t *p, const char *word);
/* A "thread" member's value (a trace's or a history record's): an index
 * into "threads", into *thread numbered from 1 as the snapshot numbers
 * threads (0: none); the largest is checked against "threads" once both
 * are read (p->thread_max). */
tm_status_t tm_json_read_thread_index(jp_t *p, uint64_t *thread);
/* Skip any value (checking its syntax), nesting at most MAX_DEPTH. */
tm_status_t tm_json_skip_value(jp_t *p, int depth);
/* Iterate over an object's members: start with *first = true; on return
 * p->str holds the key and the position is at the value, or *done. */
tm_status_t tm_json_next_member(jp_t *p, bool *first, bool *done,
                                const char *context);
/* Duplicate-key detection for known members: one bit each. */
tm_status_t tm_json_mark_key(jp_t *p, unsigned *seen, unsigned bit);
bool tm_json_key_is(const jp_t *p, const char *k);

#endif /* TM_JSON_LEX_H */
