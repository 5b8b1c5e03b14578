/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot_layout.h - what a snapshot is made of, for the files of the
 * snapshot model (snapshot.c, snapshot_sections.c) and of its interned
 * strings' hidden header, for the files that read or write one
 * (traceback_compare.c, traceback_copy.c).
 */
#ifndef TM_SNAPSHOT_LAYOUT_H
#define TM_SNAPSHOT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

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

/* The interning sets of a snapshot are keyed by CONTENT (a stored hash, then
 * the bytes or frames compared), not by pointer identity, so they are not
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

#endif /* TM_SNAPSHOT_LAYOUT_H */
