/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_roundtrip.h - the oracle shared by the loader fuzzers: whatever the
 * loader accepts must survive a binary round trip and a JSON round trip
 * exactly, function names included (JSON's optional "functions").
 * A violation is a crash (__builtin_trap), so libFuzzer reports it. */
#ifndef TM_FUZZ_ROUNDTRIP_H
#define TM_FUZZ_ROUNDTRIP_H

#include <string.h>

#include "io.h"
#include "raw_alloc.h"
#include "tracemalloc.h"

#define FUZZ_ASSERT(cond)                                                      \
  do {                                                                         \
    if (!(cond))                                                               \
      __builtin_trap();                                                        \
  } while (0)

/* SQLite-style caps: inputs over 1 MiB are skipped, and the library's own
 * object memory is limited so that out-of-memory paths get exercised too. */
enum { FUZZ_MAX_INPUT = 1 << 20 };

static void fuzz_init(void) {
  static int done;
  if (!done) {
    tm_raw_set_limit(TM_MEM_OBJECTS, (size_t)256 << 20);
    done = 1;
  }
}

static int same_string(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static void fuzz_same(const tm_snapshot_t *a, const tm_snapshot_t *b,
                      int with_functions) {
  FUZZ_ASSERT(tm_snapshot_count(a) == tm_snapshot_count(b));
  FUZZ_ASSERT(tm_snapshot_traceback_limit(a) == tm_snapshot_traceback_limit(b));
  const tm_trace_t *ta = tm_snapshot_traces(a), *tb = tm_snapshot_traces(b);
  for (size_t i = 0; i < tm_snapshot_count(a); i++) {
    FUZZ_ASSERT(ta[i].domain == tb[i].domain && ta[i].size == tb[i].size);
    size_t n = tm_traceback_length(ta[i].traceback);
    FUZZ_ASSERT(n == tm_traceback_length(tb[i].traceback));
    FUZZ_ASSERT(tm_traceback_total_nframe(ta[i].traceback) ==
                tm_traceback_total_nframe(tb[i].traceback));
    const tm_frame_t *fa = tm_traceback_frames(ta[i].traceback);
    const tm_frame_t *fb = tm_traceback_frames(tb[i].traceback);
    for (size_t k = 0; k < n; k++) {
      FUZZ_ASSERT(same_string(fa[k].filename, fb[k].filename));
      FUZZ_ASSERT(fa[k].lineno == fb[k].lineno);
      if (with_functions)
        FUZZ_ASSERT(same_string(fa[k].function, fb[k].function));
    }
  }
  // The timeline (or its absence) survives both formats exactly.
  size_t na, nb;
  const tm_timeline_point_t *pa = tm_snapshot_timeline(a, &na);
  const tm_timeline_point_t *pb = tm_snapshot_timeline(b, &nb);
  FUZZ_ASSERT((pa == NULL) == (pb == NULL) && na == nb);
  for (size_t i = 0; i < na; i++)
    FUZZ_ASSERT(pa[i].time_ns == pb[i].time_ns &&
                pa[i].current == pb[i].current && pa[i].peak == pb[i].peak &&
                pa[i].allocations == pb[i].allocations);
}

/* Serialise s both ways, load the result back and compare. */
static void fuzz_roundtrip(const tm_snapshot_t *s) {
  for (int json = 0; json < 2; json++) {
    tm_buf_t buf;
    tm_status_t st =
        json ? tm_io_serialize_json(s, &buf) : tm_io_serialize_binary(s, &buf);
    if (st != TM_OK) {
      FUZZ_ASSERT(st == TM_ENOMEM);
      continue;
    }
    tm_snapshot_t *again = NULL;
    st = tm_snapshot_load_buffer(buf.data, buf.len, "again", &again);
    FUZZ_ASSERT(st == TM_OK || st == TM_ENOMEM);
    if (st == TM_OK) // JSON keeps function names too ("functions")
      fuzz_same(s, again, 1);
    tm_snapshot_free(again);
    tm_buf_free(&buf);
  }
}

/* A rejected input: no snapshot, a message naming the input. */
static void fuzz_check_rejection(tm_status_t st, tm_snapshot_t *s,
                                 const char *name) {
  FUZZ_ASSERT(s == NULL);
  FUZZ_ASSERT(st == TM_EFORMAT || st == TM_EVERSION || st == TM_ENOMEM);
  if (st != TM_ENOMEM)
    FUZZ_ASSERT(strncmp(tm_error_message(), name, strlen(name)) == 0);
}

/* One fuzz input through `load`: accepted snapshots must round-trip, rejected
 * ones must fail cleanly with a message naming `name`. */
typedef tm_status_t (*fuzz_loader_t)(const void *data, size_t len,
                                     const char *name, tm_snapshot_t **out);

/* (inline: fuzz_filter_args.c includes this header for the other helpers.) */
static inline int fuzz_one(const uint8_t *data, size_t size, fuzz_loader_t load,
                           const char *name) {
  fuzz_init();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  tm_snapshot_t *s = NULL;
  tm_status_t st = load(data, size, name, &s);
  if (st != TM_OK) {
    fuzz_check_rejection(st, s, name);
    return 0;
  }
  fuzz_roundtrip(s);
  tm_snapshot_free(s);
  return 0;
}

#endif /* TM_FUZZ_ROUNDTRIP_H */
