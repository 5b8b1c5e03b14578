/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot.h - the snapshot model shared by the analysis code (statistics,
 * filters, formats) and by the core and the loaders.
 *
 * Design. A snapshot owns an arena in which every string (filename,
 * function name, program name) and every traceback it refers to lives.
 * Strings are interned per snapshot and carry a small hidden header (content
 * hash and length) just before their first byte, so that the analysis code
 * can hash and compare frames by content without rereading the bytes.
 * Tracebacks are interned per snapshot on (frames, total_nframe), so equal
 * tracebacks share one pointer; each carries a content hash over its
 * (filename, lineno) pairs only, which is CPython's Traceback equality
 * (function names and total_nframe are ignored there).
 *
 * A tm_traceback_t is a small header {frames pointer, nframe, total_nframe,
 * hash}: snapshot tracebacks keep their frames inline right after it, while
 * statistics results build headers that point into a snapshot's frames (a
 * one-frame 'lineno' key is just &tb->frames[i]), so grouping copies nothing.
 *
 * Rule for code outside this file: every string reachable from a
 * tm_traceback_t handed to the functions below must be an interned string
 * (tm_snapshot_intern_string, or one of tm_traceback_new_copy's), because the
 * hash helpers read the hidden header.
 */
#ifndef TM_SNAPSHOT_H
#define TM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leak_class.h"
#include "snapshot_build.h"
#include "tracemalloc.h"
#include "visibility.h"

/* ---- Arena: bump allocation in chunks from tm_raw_alloc(TM_MEM_OBJECTS),
 * freed all at once. */
typedef struct tm_arena_chunk tm_arena_chunk_t;
typedef struct tm_arena {
  tm_arena_chunk_t *head;
  char *cur;
  size_t left;
  size_t next_size;
} tm_arena_t;

TM_HIDDEN void tm_arena_init(tm_arena_t *a);
/* 8-byte aligned; NULL on out-of-memory. */
TM_HIDDEN void *tm_arena_alloc(tm_arena_t *a, size_t size);
TM_HIDDEN void tm_arena_free(tm_arena_t *a);

/* ---- Tracebacks */
struct tm_traceback {
  const tm_frame_t *frames; /* most recent first */
  uint32_t nframe;
  uint32_t total_nframe; /* TM_TOTAL_NFRAME_NONE for None */
  uint64_t hash;         /* tm_frames_hash(frames, nframe) */
};

/* Content hash of a string, given its bytes (what interning uses). */
TM_HIDDEN uint64_t tm_hash_bytes(const void *p, size_t n);
/* Hash / length of an interned string (read from its hidden header). */
TM_HIDDEN uint64_t tm_string_hash(const char *interned);
TM_HIDDEN size_t tm_string_length(const char *interned);
/* Hash of one (filename, lineno) frame and of a frame sequence; content only
 * (function names ignored). tm_frames_hash(f, 1) == tm_frame_hash(f->filename,
 * f->lineno). */
TM_HIDDEN uint64_t tm_frame_hash(const char *interned_filename,
                                 unsigned int lineno);
TM_HIDDEN uint64_t tm_frames_hash(const tm_frame_t *frames, size_t n);

/* CPython's Traceback ordering: lexicographic over the OLDEST-first frames,
 * each by (filename in code-point order, lineno); a proper prefix is smaller.
 * Returns <0, 0, >0. Works across snapshots (compares bytes). */
TM_HIDDEN int tm_traceback_cmp(const tm_traceback_t *a,
                               const tm_traceback_t *b);
/* CPython's Traceback equality (frames only). */
TM_HIDDEN bool tm_traceback_equal(const tm_traceback_t *a,
                                  const tm_traceback_t *b);

/* A stand-alone traceback in one block (strings copied and interned-like),
 * for tm_get_object_traceback / tm_get_traceback in the core. Released with
 * tm_traceback_free (implemented in snapshot.c). NULL on out-of-memory. */
TM_HIDDEN tm_traceback_t *tm_traceback_new_copy(const tm_frame_t *frames,
                                                size_t nframe,
                                                uint32_t total_nframe);

/* Intern a string whose content hash is already known (copying between
 * snapshots without rehashing). */
TM_HIDDEN const char *tm_snapshot_intern_string_hashed(tm_snapshot_t *snap,
                                                       const char *s,
                                                       size_t len,
                                                       uint64_t hash);

/* Number of distinct interned tracebacks (for dumpers sizing tables). */
TM_HIDDEN size_t tm_snapshot_traceback_count(const tm_snapshot_t *snap);

/* The snapshot's info without the size dance (program never NULL). */
TM_HIDDEN const tm_snapshot_info_t *
tm_snapshot_info_ref(const tm_snapshot_t *snap);

/* ---- Allocation history (tm_history_t, history.c) */

/* Store a copy of recs[0..n) as snap's history (replacing one); records
 * with the same traceback pointer and thread are summed. Each traceback must be
 * interned in snap. TM_ENOMEM with the error message set. */
TM_HIDDEN tm_status_t tm_snapshot_set_history(tm_snapshot_t *snap,
                                              const tm_history_t *recs,
                                              size_t n);

/* ---- Python's fnmatch (fnmatch.c), compiled once per Filter */
typedef struct tm_glob tm_glob_t;

/* Compile `pattern` (UTF-8) exactly as Python 3.11's fnmatch.translate reads
 * it; with pyc_normalize, Filter's ".pyc" -> ".py" applies to it first.
 * NULL on out-of-memory. */
TM_HIDDEN tm_glob_t *tm_glob_compile(const char *pattern, bool pyc_normalize);
/* Whole-string match of `name` (len bytes); with pyc_normalize a trailing
 * ".pyc" of the name is matched as ".py". */
TM_HIDDEN bool tm_glob_match(const tm_glob_t *g, const char *name, size_t len,
                             bool pyc_normalize);
TM_HIDDEN void tm_glob_free(tm_glob_t *g);

/* ---- Traceback.format's line cache (linecache.c): forget every
 * cached source file (tests; memory held is otherwise bounded). */
TM_HIDDEN void tm_linecache_clear(void);

#endif /* TM_SNAPSHOT_H */
