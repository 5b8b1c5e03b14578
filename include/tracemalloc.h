/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracemalloc.h - CPython's tracemalloc for C and C++ programs.
 *
 * Build the program with `clang -fpass-plugin=libtmpass.so` (or the `tmcc` /
 * `tmc++` wrappers) and link libtracemalloc. Every allocation then carries a
 * static file:line site and a shadow-stack traceback; this header is the
 * in-process API over the traces: start/stop, current and peak memory,
 * snapshots, statistics, diffs, filters, dump and load.
 *
 * Semantics, grouping, sort orders and text formats are CPython's
 * (Lib/tracemalloc.py, Python/tracemalloc.c); where C needs more (threads,
 * uninstrumented libraries, domains) docs/ says what we decided.
 *
 * Conventions
 * - Functions that can fail return tm_status_t (TM_OK == 0). The detail of the
 *   last failure on the calling thread is tm_error_message(); it is never NULL.
 * - Results come back through out-parameters. Whatever a tm_*_new, *_take,
 *   *_load, *_statistics, *_compare_to, *_filter_traces or *_format function
 *   hands out belongs to the caller and is released with the matching
 *   tm_*_free (tm_free for strings), never with free(). Destructors accept
 * NULL.
 * - Frames of a traceback are stored most recent first (index 0 is the
 *   allocation site), like CPython's raw trace tuples. CPython's Traceback
 *   class shows them oldest first; the format functions do that for you.
 * - Thread safety: the module functions (tm_start ... tm_untrack) may be called
 *   from any thread, but not from a signal handler (they are not
 *   async-signal-safe: tm_stop or tm_clear_traces in a handler that
 *   interrupted the runtime could corrupt the trace table). A snapshot and the
 * objects derived from it are immutable after construction and may be read from
 * several threads; building one (tm_snapshot_add_trace) is not thread-safe.
 * - The runtime never calls malloc for itself, never aborts the program, and
 *   never makes an allocation fail that the real allocator would satisfy.
 */
#ifndef TRACEMALLOC_H
#define TRACEMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define TM_API
#else
#define TM_API __attribute__((visibility("default")))
#endif

/* Put before a function definition to keep the pass out of it: its
 * allocation calls are not rewritten (their blocks are still traced through
 * interposition, attributed to the nearest instrumented caller) and it keeps
 * no shadow-stack frame. */
#if defined(__clang__)
#define TM_NO_INSTRUMENT __attribute__((annotate("tm_skip")))
#else
#define TM_NO_INSTRUMENT
#endif

#define TM_VERSION "0.1.0"
#define TM_VERSION_MAJOR 0
#define TM_VERSION_MINOR 1
#define TM_VERSION_PATCH 0
#define TM_VERSION_NUMBER                                                      \
  (TM_VERSION_MAJOR * 10000 + TM_VERSION_MINOR * 100 + TM_VERSION_PATCH)

/* TM_VERSION_NUMBER of the library actually linked. */
TM_API int tm_version_number(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum tm_status {
  TM_OK = 0,
  TM_ENOMEM,      /* the runtime's own memory is exhausted */
  TM_EINVAL,      /* bad argument (message says which) */
  TM_ENOTTRACING, /* the call needs tracing to be on */
  TM_EIO,         /* a file could not be read or written (errno in message) */
  TM_EFORMAT,     /* a file is not a valid snapshot (truncated, corrupt,
                     wrong magic, bad checksum, bad JSON, ...) */
  TM_EVERSION     /* a snapshot file of an unsupported format version */
} tm_status_t;

/* Static text for a status ("invalid argument", ...). */
TM_API const char *tm_strerror(tm_status_t status);

/* The detailed message of the last failing call on this thread, for example
 *   "the number of frames must be in range [1; 65535]"
 *   "snap.tmd: truncated file: trace 12 needs 24 bytes, 3 left"
 * Valid until the next failing call on the same thread. "" if none. */
TM_API const char *tm_error_message(void);

/* Release a string returned by the library. NULL is fine. */
TM_API void tm_free(void *p);

/* ------------------------------------------------------------------------ */
/* Module functions (CPython's tracemalloc module)                           */
/* ------------------------------------------------------------------------ */

#define TM_MAX_NFRAME 65535

/* Start tracing with at most nframe frames per traceback (1..65535; otherwise
 * TM_EINVAL "the number of frames must be in range [1; 65535]", checked even
 * when already tracing). Starting while tracing changes nothing, not even the
 * limit. Blocks allocated before start are not traced unless realloc'ed. */
TM_API tm_status_t tm_start(int nframe);

/* Stop tracing and clear every trace (all domains), current and peak. The
 * traceback limit is kept. No-op when not tracing. */
TM_API void tm_stop(void);

TM_API bool tm_is_tracing(void);

/* Forget every trace of every domain, current = peak = 0; tracing goes on.
 * Blocks alive now become untraced; freeing them later is a silent no-op. */
TM_API void tm_clear_traces(void);

/* The current limit, or the last one set (1 before any tm_start). */
TM_API int tm_get_traceback_limit(void);

/* Current and peak traced bytes, summed over all domains ((0, 0) when not
 * tracing). Either pointer may be NULL. */
TM_API void tm_get_traced_memory(size_t *current, size_t *peak);

/* peak = current. No-op when not tracing. */
TM_API void tm_reset_peak(void);

/* Bytes of memory the runtime holds for itself: the trace tables, interned
 * tracebacks and filenames exactly (the sum of what its own mmap-backed
 * allocator has handed out for them), plus the resident pages of the
 * per-thread shadow stacks (measured with mincore() at the call). Snapshots
 * and statistics objects are not included (CPython does not count them
 * either). */
TM_API size_t tm_get_tracemalloc_memory(void);

/* Number of traces that could not be recorded because the runtime ran out of
 * its own memory since tracing started (the program's allocations still
 * succeeded). Reset by tm_clear_traces and tm_stop. */
TM_API uint64_t tm_get_dropped_traces(void);

/* CPython's PyTraceMalloc_Track: trace (domain, ptr) with size bytes and the
 * caller's traceback; an existing trace at that key is replaced.
 * Returns 0 on success, -1 if the trace could not be stored, -2 when not
 * tracing. */
TM_API int tm_track(unsigned int domain, uintptr_t ptr, size_t size);

/* CPython's PyTraceMalloc_Untrack: 0 (also when (domain, ptr) is unknown),
 * -2 when not tracing. */
TM_API int tm_untrack(unsigned int domain, uintptr_t ptr);

/* ------------------------------------------------------------------------ */
/* Frames and tracebacks                                                     */
/* ------------------------------------------------------------------------ */

typedef struct tm_frame {
  const char *filename; /* never NULL; "<unknown>" when unknown */
  unsigned int lineno;  /* 0 when unknown */
  const char *function; /* may be NULL (not part of CPython's model: it is
                           not used by equality, grouping or filters) */
} tm_frame_t;

/* An immutable traceback owned by a snapshot (or by the object returned by
 * tm_get_object_traceback). */
typedef struct tm_traceback tm_traceback_t;

#define TM_TOTAL_NFRAME_NONE UINT32_MAX /* CPython's total_nframe=None */

TM_API size_t tm_traceback_length(const tm_traceback_t *tb);
/* Frames, most recent first. */
TM_API const tm_frame_t *tm_traceback_frames(const tm_traceback_t *tb);
TM_API uint32_t tm_traceback_total_nframe(const tm_traceback_t *tb);

/* The traceback of the block at ptr in domain 0, or *out = NULL when not
 * tracing or not traced. Release with tm_traceback_free. */
TM_API tm_status_t tm_get_object_traceback(const void *ptr,
                                           tm_traceback_t **out);
/* Same for any domain (CPython's _PyTraceMalloc_GetTraceback). */
TM_API tm_status_t tm_get_traceback(unsigned int domain, uintptr_t ptr,
                                    tm_traceback_t **out);
TM_API void tm_traceback_free(tm_traceback_t *tb);

/* ------------------------------------------------------------------------ */
/* Snapshots                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct tm_snapshot tm_snapshot_t;

typedef struct tm_trace {
  unsigned int domain;
  /* The allocating thread: k >= 1 is tm_snapshot_threads(snap)[k - 1];
   * TM_THREAD_NONE when unknown (a trace built by hand, a dump without a
   * thread section). Not part of CPython's model: statistics, diffs and
   * the filename/domain filters ignore it (docs/semantics.md, Threads). */
  uint32_t thread;
  size_t size;
  const tm_traceback_t *traceback; /* carries total_nframe */
} tm_trace_t;

#define TM_THREAD_NONE 0u

/* A thread of a snapshot: one that allocated while tracing (since tm_start
 * or the last tm_clear_traces), whether or not it still has live blocks. */
typedef struct tm_thread_info {
  int64_t tid;      /* the kernel thread id (gettid()) */
  const char *name; /* pthread_setname_np / prctl(PR_SET_NAME) name, "" when
                       unknown; owned by the snapshot. Read from
                       /proc/self/task/TID/comm when the snapshot is taken
                       for a live thread; a thread that ended keeps the
                       name it had when it exited. */
  bool ended;       /* the thread had exited when the snapshot was taken */
} tm_thread_info_t;

/* What a snapshot carries beyond CPython's. Fill `size` with
 * sizeof(tm_snapshot_info_t) before calling tm_snapshot_get_info. */
typedef struct tm_snapshot_info {
  size_t size;
  uint64_t traced_current; /* get_traced_memory() at the time */
  uint64_t traced_peak;
  uint64_t tracemalloc_memory; /* get_tracemalloc_memory() at the time */
  uint64_t dropped_traces;
  int64_t pid;            /* -1 when unknown */
  int64_t time_ns;        /* CLOCK_REALTIME, ns; 0 when unknown */
  const char *program;    /* program name; "" when unknown; owned by
                             the snapshot (lives as long as it) */
  bool has_traced_memory; /* false when loaded from JSON without it */
  /* The traces are the live set at the peak (tm_take_peak_snapshot,
   * tm_snapshot_peak and what is derived from those: filters, dumps), not
   * the blocks live when the snapshot was taken; the other fields are still
   * the process's at that time. */
  bool peak_live_set;
} tm_snapshot_info_t;

/* CPython's take_snapshot(): TM_ENOTTRACING with the message "the tracemalloc
 * module must be tracing memory allocations to take a snapshot" when not
 * tracing. The snapshot holds every trace of every domain. */
TM_API tm_status_t tm_take_snapshot(tm_snapshot_t **out);

/* An empty snapshot, for building one by hand (CPython's
 * Snapshot(traces, traceback_limit)). */
TM_API tm_status_t tm_snapshot_new(int traceback_limit, tm_snapshot_t **out);

/* Append a trace; frames most recent first; total_nframe may be
 * TM_TOTAL_NFRAME_NONE. Strings are copied (and interned per snapshot). Its
 * thread is TM_THREAD_NONE (tm_snapshot_add_trace_thread sets one). */
TM_API tm_status_t tm_snapshot_add_trace(tm_snapshot_t *snap,
                                         unsigned int domain, size_t size,
                                         const tm_frame_t *frames,
                                         size_t nframe, uint32_t total_nframe);

TM_API tm_status_t tm_snapshot_set_info(tm_snapshot_t *snap,
                                        const tm_snapshot_info_t *info);
TM_API tm_status_t tm_snapshot_get_info(const tm_snapshot_t *snap,
                                        tm_snapshot_info_t *info);

TM_API void tm_snapshot_free(tm_snapshot_t *snap);

TM_API int tm_snapshot_traceback_limit(const tm_snapshot_t *snap);
TM_API size_t tm_snapshot_count(const tm_snapshot_t *snap);
/* Traces in insertion order. Identical tracebacks share one pointer. The
 * array is invalidated by a later tm_snapshot_add_trace on the same snapshot;
 * the tracebacks and strings live as long as the snapshot. */
TM_API const tm_trace_t *tm_snapshot_traces(const tm_snapshot_t *snap);

/* The snapshot's thread table, in registration order (the order in which
 * the threads first allocated); *n gets its length. A trace's `thread` k
 * (>= 1) is entry k - 1. NULL with *n = 0 when the snapshot has none. */
TM_API const tm_thread_info_t *tm_snapshot_threads(const tm_snapshot_t *snap,
                                                   size_t *n);

/* For building a snapshot by hand: append a thread (name copied; NULL is
 * "") and get its number for tm_snapshot_add_trace_thread in *out (k >= 1:
 * the new entry is tm_snapshot_threads(snap)[k - 1]). */
TM_API tm_status_t tm_snapshot_add_thread(tm_snapshot_t *snap, int64_t tid,
                                          const char *name, bool ended,
                                          uint32_t *out);

/* tm_snapshot_add_trace with the allocating thread: TM_THREAD_NONE or a
 * number tm_snapshot_add_thread gave (TM_EINVAL otherwise). */
TM_API tm_status_t tm_snapshot_add_trace_thread(
    tm_snapshot_t *snap, unsigned int domain, size_t size,
    const tm_frame_t *frames, size_t nframe, uint32_t total_nframe,
    uint32_t thread);
/* Memory over time (docs/semantics.md, "Memory over time"). While tracing,
 * the runtime samples get_traced_memory() at most every 10 ms (wall time,
 * taken on allocations and frees: no thread of its own), keeps at most 4,096
 * points, and when full drops every other point and doubles the interval.
 * The point where current first reached the peak is recorded even between
 * samples. tm_start begins a new timeline; tm_clear_traces records the drop
 * to 0 and the timeline goes on; tm_reset_peak records a point. */
typedef struct tm_timeline_point {
  uint64_t time_ns; /* since tm_start (CLOCK_MONOTONIC) */
  uint64_t current; /* get_traced_memory() then */
  uint64_t peak;
  uint64_t allocations; /* allocations (reallocs included) traced since
                           tm_start; with threads, each other thread's last
                           < 256 may not be counted yet */
} tm_timeline_point_t;

/* The snapshot's timeline: points in time order, *npoints of them; NULL
 * (and *npoints = 0) when it has none (built by hand, or loaded from a dump
 * without one). A snapshot from tm_take_snapshot has the points so far, the
 * pending peak point and a last point for the moment of the snapshot. The
 * array lives as long as the snapshot. */
TM_API const tm_timeline_point_t *
tm_snapshot_timeline(const tm_snapshot_t *snap, size_t *npoints);

/* Give snap a copy of points[0..n) as its timeline (replacing any). The
 * points must be in time order with allocations not decreasing and current
 * <= peak: TM_EINVAL naming the first point that is not. */
TM_API tm_status_t tm_snapshot_set_timeline(tm_snapshot_t *snap,
                                            const tm_timeline_point_t *points,
                                            size_t n);

/* ------------------------------------------------------------------------ */
/* Statistics and diffs                                                      */
/* ------------------------------------------------------------------------ */

typedef enum tm_key {
  TM_KEY_FILENAME,
  TM_KEY_LINENO,
  TM_KEY_TRACEBACK
} tm_key_t;

/* "filename" | "lineno" | "traceback"; otherwise TM_EINVAL with CPython's
 * message "unknown key_type: 'foo'". */
TM_API tm_status_t tm_key_parse(const char *name, tm_key_t *out);
/* "filename" | "lineno" | "traceback"; NULL for a value outside tm_key_t. */
TM_API const char *tm_key_name(tm_key_t key);

typedef struct tm_statistic {
  const tm_traceback_t *traceback; /* total_nframe is None */
  size_t size;
  size_t count;
} tm_statistic_t;

typedef struct tm_statistic_diff {
  const tm_traceback_t *traceback;
  size_t size;
  int64_t size_diff;
  size_t count;
  int64_t count_diff;
} tm_statistic_diff_t;

typedef struct tm_statistics tm_statistics_t;
typedef struct tm_statistic_diffs tm_statistic_diffs_t;

/* CPython's Snapshot.statistics(key_type, cumulative): grouping, cumulative
 * counting and the descending (size, count, traceback) order. cumulative with
 * TM_KEY_TRACEBACK is TM_EINVAL "cumulative mode cannot by used with key type
 * 'traceback'" (CPython's typo kept). The result keeps `snap` referenced:
 * free it before the snapshot. */
TM_API tm_status_t tm_snapshot_statistics(const tm_snapshot_t *snap,
                                          tm_key_t key, bool cumulative,
                                          tm_statistics_t **out);
TM_API size_t tm_statistics_count(const tm_statistics_t *st);
TM_API const tm_statistic_t *tm_statistics_items(const tm_statistics_t *st);
TM_API void tm_statistics_free(tm_statistics_t *st);

/* CPython's new.compare_to(old, key_type, cumulative). Free the result before
 * either snapshot. */
TM_API tm_status_t tm_snapshot_compare_to(const tm_snapshot_t *snap_new,
                                          const tm_snapshot_t *snap_old,
                                          tm_key_t key, bool cumulative,
                                          tm_statistic_diffs_t **out);
TM_API size_t tm_statistic_diffs_count(const tm_statistic_diffs_t *d);
TM_API const tm_statistic_diff_t *
tm_statistic_diffs_items(const tm_statistic_diffs_t *d);
TM_API void tm_statistic_diffs_free(tm_statistic_diffs_t *d);

/* ------------------------------------------------------------------------ */
/* Allocation history and the peak (beyond CPython)                          */
/* ------------------------------------------------------------------------ */

/* What one traceback allocated since tracing started (or since the last
 * tm_clear_traces), even after all its blocks were freed; tm_stop and
 * tm_clear_traces forget it. A realloc counts as the free of its old block
 * and one allocation of the new size at its own traceback. */
typedef struct tm_history {
  const tm_traceback_t *traceback; /* owned by the snapshot */
  uint64_t calls;                  /* allocations */
  uint64_t allocated;              /* their bytes */
  uint64_t frees;      /* frees of its blocks (realloc's old block too) */
  uint64_t temporary;  /* blocks freed by the allocating thread before it
                          allocated anything else (heaptrack's temporary
                          allocations) */
  uint64_t peak_size;  /* its live bytes when current last reached peak */
  uint64_t peak_count; /* its live blocks then */
  /* The allocating thread, numbered as tm_trace_t.thread: k >= 1 is
   * tm_snapshot_threads(snap)[k - 1]; TM_THREAD_NONE when unknown (a file
   * written before the history carried threads, a record built by hand). */
  uint32_t thread;
} tm_history_t;

/* The history records of a snapshot, one per distinct (traceback, thread),
 * in no particular order: the same stack in two threads is two records
 * (tm_snapshot_traceback_history and tm_snapshot_history_statistics sum
 * them). NULL (and *n = 0) when the snapshot has none (built by hand, or
 * loaded from a file written without one). Valid as long as the
 * snapshot. */
TM_API const tm_history_t *tm_snapshot_history(const tm_snapshot_t *snap,
                                               size_t *n);

/* The history of traceback `tb` in `snap`: the sum of the records whose
 * traceback equals tb (CPython's Traceback equality: frames), over every
 * thread, zeros when none does; out->traceback = tb, out->thread =
 * TM_THREAD_NONE. TM_EINVAL when the snapshot has no history. */
TM_API tm_status_t tm_snapshot_traceback_history(const tm_snapshot_t *snap,
                                                 const tm_traceback_t *tb,
                                                 tm_history_t *out);

/* The history grouped like Snapshot.statistics(key, cumulative) groups
 * traces ('lineno': the most recent frame; 'filename': (file, 0);
 * 'traceback': all frames; cumulative: every frame of a traceback, each
 * occurrence counting, not with 'traceback'), with the live bytes and
 * blocks of the snapshot's traces in the same groups. Sorted by allocated
 * bytes, largest first, then by traceback. TM_EINVAL when snap has no
 * history. Free the result before the snapshot. */
typedef struct tm_history_stat {
  const tm_traceback_t *traceback; /* the group (total_nframe is None) */
  uint64_t calls, allocated, frees, temporary, peak_size, peak_count;
  uint64_t live_size, live_count; /* the snapshot's traces in this group */
} tm_history_stat_t;
typedef struct tm_history_stats tm_history_stats_t;
TM_API tm_status_t tm_snapshot_history_statistics(const tm_snapshot_t *snap,
                                                  tm_key_t key, bool cumulative,
                                                  tm_history_stats_t **out);
TM_API size_t tm_history_stats_count(const tm_history_stats_t *st);
TM_API const tm_history_stat_t *
tm_history_stats_items(const tm_history_stats_t *st);
TM_API void tm_history_stats_free(tm_history_stats_t *st);

/* The live set at the peak as a snapshot of `snap`'s history: for each
 * record (traceback and thread), peak_count traces (domain 0, the record's
 * thread) whose sizes total peak_size. The
 * individual sizes are not kept by the runtime: the first peak_size %
 * peak_count traces have peak_size / peak_count + 1 bytes, the others
 * peak_size / peak_count, so that every statistic (size, count, average)
 * is exact. Info as snap's. TM_EINVAL when snap has no history. */
TM_API tm_status_t tm_snapshot_peak(const tm_snapshot_t *snap,
                                    tm_snapshot_t **out);

/* The live set at the latest time current reached peak (tm_reset_peak moves
 * it to the current live set): tm_snapshot_peak of tm_take_snapshot. Exact
 * to the byte in a single-threaded program (docs/semantics.md has the rule
 * with threads). TM_ENOTTRACING when not tracing. */
TM_API tm_status_t tm_take_peak_snapshot(tm_snapshot_t **out);

/* ------------------------------------------------------------------------ */
/* Filters                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum tm_filter_kind {
  TM_FILTER_FILENAME, /* CPython's Filter */
  TM_FILTER_DOMAIN,   /* CPython's DomainFilter */
  TM_FILTER_THREAD    /* like DomainFilter, on the allocating thread */
} tm_filter_kind_t;

#define TM_LINENO_ANY (-1) /* CPython's lineno=None */

typedef struct tm_filter {
  tm_filter_kind_t kind;
  bool inclusive;
  const char *filename_pattern; /* TM_FILTER_FILENAME: fnmatch pattern */
  int lineno;                   /* TM_FILTER_FILENAME: TM_LINENO_ANY or N */
  bool all_frames;              /* TM_FILTER_FILENAME */
  bool has_domain;              /* TM_FILTER_FILENAME: domain=None if false;
                                   TM_FILTER_DOMAIN: ignored */
  unsigned int domain;
  /* TM_FILTER_THREAD: a trace matches when its thread's name equals
   * thread_name exactly (when thread_name is not NULL), else when its
   * thread's kernel id is thread_id. A trace with no thread
   * (TM_THREAD_NONE) never matches. inclusive works as for DomainFilter:
   * an inclusive filter keeps the matching traces, an exclusive one drops
   * them. */
  int64_t thread_id;
  const char *thread_name;
} tm_filter_t;

/* CPython's Snapshot.filter_traces(filters): a new snapshot with the traces
 * kept, in order, the same limit and info. n == 0 copies every trace. */
TM_API tm_status_t tm_snapshot_filter_traces(const tm_snapshot_t *snap,
                                             const tm_filter_t *filters,
                                             size_t n, tm_snapshot_t **out);

/* Python's fnmatch.fnmatch on POSIX (what Filter uses): '*', '?' (one UTF-8
 * code point), '[...]', '[!...]', '[^' literal, no backslash escapes, whole
 * string; plus Filter's ".pyc" -> ".py" normalisation of both sides. */
TM_API bool tm_filter_match_filename(const char *filename, const char *pattern);

/* ------------------------------------------------------------------------ */
/* Text, exactly CPython's str()                                             */
/* ------------------------------------------------------------------------ */

/* All formatters write a NUL-terminated string into buf (truncated to
 * buflen) and return the length the full text needs, like snprintf. */

/* _format_size(size, sign): "10.0 KiB", "+0 B", "-1024 B", ... */
TM_API size_t tm_format_size(char *buf, size_t buflen, double size, bool sign);
/* str(Frame): "a.c:12" */
TM_API size_t tm_format_frame(char *buf, size_t buflen,
                              const tm_frame_t *frame);
/* str(Traceback): the OLDEST frame, as CPython does. */
TM_API size_t tm_format_traceback_str(char *buf, size_t buflen,
                                      const tm_traceback_t *tb);
/* str(Trace): "b.c:4: 10 B" */
TM_API size_t tm_format_trace(char *buf, size_t buflen,
                              const tm_trace_t *trace);
/* str(Statistic): "b.c:1: size=66 B, count=1, average=66 B" */
TM_API size_t tm_format_statistic(char *buf, size_t buflen,
                                  const tm_statistic_t *stat);
/* str(StatisticDiff): "a.c:5: size=5002 B (+5000 B), count=2 (+1), ..." */
TM_API size_t tm_format_statistic_diff(char *buf, size_t buflen,
                                       const tm_statistic_diff_t *diff);

/* Traceback.format(limit, most_recent_first): the lines, without newlines,
 * as one string joined by '\n' in *out (caller frees with tm_free).
 * has_limit=false is limit=None. Source lines are read from the files
 * (stripped; omitted when unreadable or blank), like linecache. */
TM_API tm_status_t tm_traceback_format(const tm_traceback_t *tb, bool has_limit,
                                       int limit, bool most_recent_first,
                                       char **out);

/* Flags of tm_traceback_format_ex. */
#define TM_FORMAT_FUNCTIONS 1u /* '  File "f.c", line 8, in parse_value' */

/* tm_traceback_format with flags. TM_FORMAT_FUNCTIONS writes a frame that
 * has a function name the way Python's traceback module does
 * ('  File "src/parser.cc", line 88, in Parser::parseValue()'); frames
 * without one, and flags 0, give exactly tm_traceback_format's text.
 * Unknown flags: TM_EINVAL. */
TM_API tm_status_t tm_traceback_format_ex(const tm_traceback_t *tb,
                                          bool has_limit, int limit,
                                          bool most_recent_first,
                                          unsigned flags, char **out);

/* ------------------------------------------------------------------------ */
/* Dump and load                                                             */
/* ------------------------------------------------------------------------ */

/* Write a snapshot atomically (temporary file in the same directory, fsync,
 * rename): the compact binary format, versioned, little-endian, checksummed.
 * A path ending in ".json" gets the JSON exchange format instead. */
TM_API tm_status_t tm_snapshot_dump(const tm_snapshot_t *snap,
                                    const char *path);
TM_API tm_status_t tm_snapshot_dump_json(const tm_snapshot_t *snap,
                                         const char *path);

/* Read a snapshot in either format (detected from the content). Every byte is
 * treated as hostile: TM_EFORMAT / TM_EVERSION / TM_EIO with a message naming
 * the file and the problem; never crashes, never reads out of bounds. */
TM_API tm_status_t tm_snapshot_load(const char *path, tm_snapshot_t **out);
/* Same, from memory; `name` is used in error messages. */
TM_API tm_status_t tm_snapshot_load_buffer(const void *data, size_t len,
                                           const char *name,
                                           tm_snapshot_t **out);

#ifdef __cplusplus
}
#endif
#endif /* TRACEMALLOC_H */
