/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* load.c - tm_snapshot_load / tm_snapshot_load_buffer and the binary loader.
 *
 * Design: every byte is hostile. The header is checked first (magic, format
 * version, flags, payload length against the bytes present, CRC-32C of the
 * payload), so a truncated or corrupted file is rejected with the precise
 * reason before any allocation. The payload is then decoded with a cursor
 * that bounds-checks every read and caps every count by the bytes left before
 * allocating for it (an entry never takes less than one byte), so even a file
 * crafted with a valid checksum cannot make the loader read out of bounds or
 * allocate more than a small multiple of its size. Nothing asserts on input.
 * Every message names the file: "snap.tmd: truncated: string 3 needs 120
 * bytes, 7 left". The layout is drawn in dump.c.
 *
 * The snapshot is filled through snapshot_build.h (interned strings and
 * tracebacks, reserve + append), which is what makes 1M traces fast.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "io.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"

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
  uint64_t total_size; /* sum of the trace sizes so far */
} reader_t;

static tm_status_t fail(const char *name, tm_status_t st, const char *fmt, ...)
    TM_PRINTF(3, 4);
static tm_status_t fail(const char *name, tm_status_t st, const char *fmt,
                        ...) {
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

static size_t left(const reader_t *r) { return r->len - r->pos; }

/* Read one varint describing `what`. */
static tm_status_t get_varint(reader_t *r, const char *what, uint64_t *out) {
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

static tm_status_t get_bounded(reader_t *r, const char *what, uint64_t max,
                               uint64_t *out) {
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
static tm_status_t get_count(reader_t *r, const char *what, size_t min_bytes,
                             uint64_t *out) {
  tm_status_t st = get_varint(r, what, out);
  if (st == TM_OK && *out > left(r) / min_bytes)
    return fail(r->name, TM_EFORMAT,
                "truncated: %llu %s need at least %llu "
                "bytes, %zu left",
                (unsigned long long)*out, what,
                (unsigned long long)*out * min_bytes, left(r));
  return st;
}

static int64_t unzigzag(uint64_t v) {
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Bytes of a length-prefixed string, checked for NUL. */
static tm_status_t get_bytes(reader_t *r, const char *what, uint32_t index,
                             const char **s, size_t *len) {
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

static tm_status_t oom(reader_t *r) {
  return fail(r->name, TM_ENOMEM, "out of memory while loading");
}

/* STEP 1: info; creates the snapshot (it needs the traceback limit). */
static tm_status_t read_info(reader_t *r) {
  uint64_t limit, flags, v[4], pid, time_ns;
  TRY(get_varint(r, "traceback limit", &limit));
  int64_t lim = unzigzag(limit);
  if (lim < INT32_MIN || lim > INT32_MAX)
    return fail(r->name, TM_EFORMAT,
                "corrupt: traceback limit %lld is out "
                "of range",
                (long long)lim);
  TRY(get_bounded(r, "info flags", 1, &flags));
  TRY(get_varint(r, "traced current", &v[0]));
  TRY(get_varint(r, "traced peak", &v[1]));
  TRY(get_varint(r, "runtime memory", &v[2]));
  TRY(get_varint(r, "dropped traces", &v[3]));
  TRY(get_varint(r, "pid", &pid));
  TRY(get_varint(r, "time", &time_ns));
  const char *prog;
  size_t prog_len;
  TRY(get_bytes(r, "program name", 0, &prog, &prog_len));
  tm_status_t made = tm_snapshot_new((int)lim, &r->snap);
  if (made == TM_ENOMEM)
    return oom(r);
  if (made != TM_OK)
    return fail(r->name, TM_EFORMAT, "invalid snapshot: %s",
                tm_error_message());
  char *program = tm_raw_alloc(prog_len + 1, TM_MEM_OBJECTS);
  if (!program)
    return oom(r);
  memcpy(program, prog, prog_len);
  program[prog_len] = '\0';
  tm_snapshot_info_t info = {.size = sizeof info,
                             .traced_current = v[0],
                             .traced_peak = v[1],
                             .tracemalloc_memory = v[2],
                             .dropped_traces = v[3],
                             .pid = unzigzag(pid),
                             .time_ns = unzigzag(time_ns),
                             .program = program,
                             .has_traced_memory = flags & 1};
  tm_status_t st = tm_snapshot_set_info(r->snap, &info);
  tm_raw_free(program);
  return st == TM_OK ? TM_OK : oom(r);
}

/* STEP 2: the string table, interned into the snapshot. */
static tm_status_t read_strings(reader_t *r) {
  uint64_t n;
  TRY(get_count(r, "strings", 1, &n));
  if (n > UINT32_MAX)
    return fail(r->name, TM_EFORMAT, "corrupt: too many strings");
  r->strings = tm_raw_alloc((n ? n : 1) * sizeof *r->strings, TM_MEM_OBJECTS);
  if (!r->strings)
    return oom(r);
  for (uint32_t i = 0; i < n; i++) {
    const char *s;
    size_t len;
    TRY(get_bytes(r, "string", i, &s, &len));
    r->strings[i] = tm_snapshot_intern_string(r->snap, s, len);
    if (!r->strings[i])
      return oom(r);
    r->nstrings = i + 1;
  }
  return TM_OK;
}

static tm_status_t read_frame(reader_t *r, uint32_t tb, tm_frame_t *f) {
  uint64_t file, lineno, func;
  TRY(get_varint(r, "frame filename", &file));
  if (file >= r->nstrings)
    return fail(r->name, TM_EFORMAT,
                "corrupt: traceback %u: filename index "
                "%llu out of range (%u strings)",
                tb, (unsigned long long)file, r->nstrings);
  TRY(get_bounded(r, "frame line number", UINT32_MAX, &lineno));
  TRY(get_varint(r, "frame function", &func));
  if (func > r->nstrings)
    return fail(r->name, TM_EFORMAT,
                "corrupt: traceback %u: function index "
                "%llu out of range (%u strings)",
                tb, (unsigned long long)func - 1, r->nstrings);
  f->filename = r->strings[file];
  f->lineno = (unsigned int)lineno;
  f->function = func ? r->strings[func - 1] : NULL;
  return TM_OK;
}

/* STEP 3: the traceback table. */
static tm_status_t read_traceback(reader_t *r, uint32_t index) {
  uint64_t nframe, total;
  TRY(get_count(r, "frames", 3, &nframe));
  TRY(get_bounded(r, "total_nframe", (uint64_t)UINT32_MAX, &total));
  if (nframe >= r->frames_cap) {
    tm_frame_t *f =
        tm_raw_realloc(r->frames, (nframe + 1) * sizeof *f, TM_MEM_OBJECTS);
    if (!f)
      return oom(r);
    r->frames = f;
    r->frames_cap = nframe + 1;
  }
  for (size_t i = 0; i < nframe; i++)
    TRY(read_frame(r, index, &r->frames[i]));
  if (nframe == 0) { // CPython's empty traceback (io.h)
    r->frames[0].filename = r->unknown;
    r->frames[0].lineno = 0;
    r->frames[0].function = NULL;
    nframe = 1;
  }
  uint32_t tn = total == 0 ? TM_TOTAL_NFRAME_NONE : (uint32_t)(total - 1);
  r->tracebacks[index] =
      tm_snapshot_intern_traceback(r->snap, r->frames, nframe, tn);
  return r->tracebacks[index] ? TM_OK : oom(r);
}

static tm_status_t read_tracebacks(reader_t *r) {
  uint64_t n;
  r->unknown = tm_snapshot_intern_string(r->snap, TM_IO_UNKNOWN_FILE,
                                         strlen(TM_IO_UNKNOWN_FILE));
  if (!r->unknown)
    return oom(r);
  TRY(get_count(r, "tracebacks", 2, &n));
  if (n > UINT32_MAX)
    return fail(r->name, TM_EFORMAT, "corrupt: too many tracebacks");
  r->tracebacks =
      tm_raw_alloc((n ? n : 1) * sizeof *r->tracebacks, TM_MEM_OBJECTS);
  if (!r->tracebacks)
    return oom(r);
  for (uint32_t i = 0; i < n; i++) {
    TRY(read_traceback(r, i));
    r->ntracebacks = i + 1;
  }
  return TM_OK;
}

/* True when no optional section with a flag bit above `bit` follows
 * (sections come in increasing bit order; 0: after the traces), so the
 * payload must end here. */
static bool last_section(const reader_t *r, unsigned bit) {
  unsigned later = ~((bit << 1) - 1);
  if (bit == 0)
    later = ~0u;
  return (r->flags & later) == 0;
}

/* STEP 4: the traces, in their original order. */
static tm_status_t read_traces(reader_t *r) {
  uint64_t n;
  TRY(get_count(r, "traces", 2, &n));
  if (tm_snapshot_reserve(r->snap, (size_t)n) != TM_OK)
    return oom(r);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t tag, domain = 0, size;
    TRY(get_varint(r, "trace traceback", &tag));
    if ((tag >> 1) >= r->ntracebacks)
      return fail(r->name, TM_EFORMAT,
                  "corrupt: trace %llu: traceback index "
                  "%llu out of range (%u tracebacks)",
                  (unsigned long long)i, (unsigned long long)(tag >> 1),
                  r->ntracebacks);
    if (tag & 1)
      TRY(get_bounded(r, "trace domain", UINT32_MAX, &domain));
    TRY(get_bounded(r, "trace size", SIZE_MAX, &size));
    if (size > TM_IO_MAX_TOTAL_SIZE - r->total_size)
      return fail(r->name, TM_EFORMAT,
                  "corrupt: trace %llu: the sizes total more than %llu "
                  "bytes (2^63-1), which no process can hold",
                  (unsigned long long)i,
                  (unsigned long long)TM_IO_MAX_TOTAL_SIZE);
    r->total_size += size;
    if (tm_snapshot_append(r->snap, (unsigned int)domain, (size_t)size,
                           r->tracebacks[tag >> 1]) != TM_OK)
      return oom(r);
  }
  if (last_section(r, 0) && r->pos != r->len)
    return fail(r->name, TM_EFORMAT,
                "corrupt: %zu unexpected bytes after "
                "the traces",
                left(r));
  return TM_OK;
}

/* STEP 5 (flag TM_DUMP_FLAG_LEAKS): the leak classification (dump.c). */
static tm_status_t read_leaks(reader_t *r) {
  uint64_t n, total = 0, prev = 0;
  TRY(get_count(r, "leak records", 4, &n));
  tm_leak_rec_t *recs =
      tm_raw_alloc((n ? n : 1) * sizeof *recs, TM_MEM_OBJECTS);
  if (!recs)
    return oom(r);
  tm_status_t st = TM_OK;
  for (uint64_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t tb, kind, blocks, bytes;
    if ((st = get_varint(r, "leak traceback", &tb)) != TM_OK ||
        (st = get_varint(r, "leak kind", &kind)) != TM_OK ||
        (st = get_varint(r, "leak blocks", &blocks)) != TM_OK ||
        (st = get_bounded(r, "leak bytes", TM_IO_MAX_TOTAL_SIZE, &bytes)) !=
            TM_OK)
      break;
    uint64_t key = tb << 2 | kind;
    if (tb >= r->ntracebacks)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: traceback index %llu out of "
                "range (%u tracebacks)",
                (unsigned long long)i, (unsigned long long)tb, r->ntracebacks);
    else if (kind < TM_LEAK_DIRECT || kind > TM_LEAK_REACHABLE)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: kind %llu is not 1 (definitely "
                "lost), 2 (indirectly lost) or 3 (reachable)",
                (unsigned long long)i, (unsigned long long)kind);
    else if (blocks == 0)
      st = fail(r->name, TM_EFORMAT, "corrupt: leak record %llu: 0 blocks",
                (unsigned long long)i);
    else if (i && key <= prev)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: not after the previous one "
                "(records are in increasing (traceback, kind) order, each "
                "pair once)",
                (unsigned long long)i);
    else if (bytes > TM_IO_MAX_TOTAL_SIZE - total)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: leak record %llu: the leaked bytes total more than "
                "2^63-1",
                (unsigned long long)i);
    if (st != TM_OK)
      break;
    prev = key;
    total += bytes;
    recs[i] = (tm_leak_rec_t){r->tracebacks[tb], (uint32_t)kind, blocks, bytes};
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_LEAKS) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the leak records", left(r));
  if (st == TM_OK && tm_snapshot_set_leaks(r->snap, recs, (size_t)n) != TM_OK)
    st = oom(r);
  tm_raw_free(recs);
  return st;
}

/* STEP 6 (flag TM_DUMP_FLAG_HISTORY): the allocation history (dump.c). */
static tm_status_t read_history(reader_t *r) {
  uint64_t n, prev = 0;
  TRY(get_count(r, "history records", 7, &n));
  tm_history_t *recs = tm_raw_alloc((n ? n : 1) * sizeof *recs, TM_MEM_OBJECTS);
  if (!recs)
    return oom(r);
  tm_status_t st = TM_OK;
  for (uint64_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t tb, v[6];
    if ((st = get_varint(r, "history traceback", &tb)) != TM_OK ||
        (st = get_varint(r, "history calls", &v[0])) != TM_OK ||
        (st = get_varint(r, "history allocated", &v[1])) != TM_OK ||
        (st = get_varint(r, "history frees", &v[2])) != TM_OK ||
        (st = get_varint(r, "history temporary", &v[3])) != TM_OK ||
        (st = get_bounded(r, "history peak_size", TM_IO_MAX_TOTAL_SIZE,
                          &v[4])) != TM_OK ||
        (st = get_varint(r, "history peak_count", &v[5])) != TM_OK)
      break;
    const char *bad = NULL;
    if (tb >= r->ntracebacks)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: history record %llu: traceback index %llu out of "
                "range (%u tracebacks)",
                (unsigned long long)i, (unsigned long long)tb, r->ntracebacks);
    else if (i && tb <= prev)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: history record %llu: not after the previous one "
                "(records are in increasing traceback order, each once)",
                (unsigned long long)i);
    else if (v[2] > v[0])
      bad = "more frees than calls";
    else if (v[3] > v[2])
      bad = "more temporary allocations than frees";
    else if (v[5] > v[0])
      bad = "more blocks at the peak than calls";
    else if (v[4] > v[1])
      bad = "more bytes at the peak than allocated";
    if (bad)
      st = fail(r->name, TM_EFORMAT, "corrupt: history record %llu: %s",
                (unsigned long long)i, bad);
    if (st != TM_OK)
      break;
    prev = tb;
    recs[i] =
        (tm_history_t){r->tracebacks[tb], v[0], v[1], v[2], v[3], v[4], v[5]};
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_HISTORY) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the history records",
              left(r));
  if (st == TM_OK && tm_snapshot_set_history(r->snap, recs, (size_t)n) != TM_OK)
    st = oom(r);
  tm_raw_free(recs);
  return st;
}

/* STEP 7 (flag TM_DUMP_FLAG_THREADS): the thread table, then each
 * trace's thread (dump.c). */
static tm_status_t read_threads(reader_t *r) {
  uint64_t n;
  // An entry takes 3 bytes at least (tid, ended, name length).
  TRY(get_count(r, "threads", 3, &n));
  if (n >= UINT32_MAX)
    return fail(r->name, TM_EFORMAT, "corrupt: too many threads");
  char *name = NULL;
  tm_status_t st = TM_OK;
  for (uint32_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t tid, ended;
    const char *s;
    size_t len;
    if ((st = get_varint(r, "thread id", &tid)) != TM_OK ||
        (st = get_bounded(r, "thread ended flag", 1, &ended)) != TM_OK ||
        (st = get_bytes(r, "thread name", i, &s, &len)) != TM_OK)
      break;
    char *copy = tm_raw_realloc(name, len + 1, TM_MEM_OBJECTS);
    if (!copy) {
      st = oom(r);
      break;
    }
    name = copy;
    memcpy(name, s, len);
    name[len] = '\0';
    if (tm_snapshot_add_thread(r->snap, unzigzag(tid), name, ended, NULL) !=
        TM_OK)
      st = oom(r);
  }
  tm_raw_free(name);
  size_t ntraces = tm_snapshot_count(r->snap);
  for (size_t i = 0; st == TM_OK && i < ntraces; i++) {
    uint64_t thread;
    st = get_varint(r, "trace thread", &thread);
    if (st == TM_OK && thread > n)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: trace %zu: thread %llu out of range (%llu threads)",
                i, (unsigned long long)thread, (unsigned long long)n);
    if (st == TM_OK)
      tm_snapshot_set_trace_thread(r->snap, i, (uint32_t)thread);
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_THREADS) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the threads", left(r));
  return st;
}

/* STEP 8 (flag TM_DUMP_FLAG_TIMELINE): memory over time (dump.c). */
static tm_status_t read_timeline(reader_t *r) {
  uint64_t n;
  TRY(get_count(r, "timeline points", 4, &n));
  tm_timeline_point_t *pts =
      tm_raw_alloc((n ? n : 1) * sizeof *pts, TM_MEM_OBJECTS);
  if (!pts)
    return oom(r);
  tm_status_t st = TM_OK;
  uint64_t t = 0, a = 0;
  for (uint64_t i = 0; st == TM_OK && i < n; i++) {
    uint64_t dt, cur, peak, da;
    if ((st = get_varint(r, "timeline time", &dt)) != TM_OK ||
        (st = get_bounded(r, "timeline current", TM_IO_MAX_TOTAL_SIZE, &cur)) !=
            TM_OK ||
        (st = get_bounded(r, "timeline peak", TM_IO_MAX_TOTAL_SIZE, &peak)) !=
            TM_OK ||
        (st = get_varint(r, "timeline allocations", &da)) != TM_OK)
      break;
    if (dt > UINT64_MAX - t)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: timeline point %llu: the time overflows 64 bits",
                (unsigned long long)i);
    else if (da > UINT64_MAX - a)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: timeline point %llu: the allocation count "
                "overflows 64 bits",
                (unsigned long long)i);
    else if (cur > peak)
      st = fail(r->name, TM_EFORMAT,
                "corrupt: timeline point %llu: current %llu above peak %llu",
                (unsigned long long)i, (unsigned long long)cur,
                (unsigned long long)peak);
    if (st != TM_OK)
      break;
    t += dt;
    a += da;
    pts[i] = (tm_timeline_point_t){t, cur, peak, a};
  }
  if (st == TM_OK && last_section(r, TM_DUMP_FLAG_TIMELINE) && r->pos != r->len)
    st = fail(r->name, TM_EFORMAT,
              "corrupt: %zu unexpected bytes after the timeline", left(r));
  if (st == TM_OK && tm_snapshot_set_timeline(r->snap, pts, (size_t)n) != TM_OK)
    st = oom(r);
  tm_raw_free(pts);
  return st;
}

static uint64_t get_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The fixed header: everything that can be checked before decoding. */
static tm_status_t check_header(const unsigned char *d, size_t len,
                                const char *name) {
  if (len < TM_DUMP_HEADER_LEN)
    return fail(name, TM_EFORMAT, "truncated: header needs %d bytes, %zu left",
                TM_DUMP_HEADER_LEN, len);
  unsigned version = (unsigned)get_le(d + 8, 2);
  if (version != TM_DUMP_FORMAT_VERSION)
    return fail(name, TM_EVERSION,
                "unsupported format version %u (this "
                "library reads version %d)",
                version, TM_DUMP_FORMAT_VERSION);
  unsigned flags = (unsigned)get_le(d + 10, 2);
  if (flags & ~(unsigned)(TM_DUMP_FLAG_LEAKS | TM_DUMP_FLAG_HISTORY |
                          TM_DUMP_FLAG_THREADS | TM_DUMP_FLAG_TIMELINE))
    return fail(name, TM_EFORMAT, "corrupt: unknown header flags 0x%04x",
                flags);
  uint64_t payload = get_le(d + 16, 8);
  size_t have = len - TM_DUMP_HEADER_LEN;
  if (payload > have)
    return fail(name, TM_EFORMAT,
                "truncated: payload needs %llu bytes, %zu "
                "left",
                (unsigned long long)payload, have);
  if (payload < have)
    return fail(name, TM_EFORMAT,
                "corrupt: %llu trailing bytes after the "
                "payload",
                (unsigned long long)(have - payload));
  uint32_t stored = (uint32_t)get_le(d + 12, 4);
  uint32_t actual = tm_crc32c(d + TM_DUMP_HEADER_LEN, have);
  if (stored != actual)
    return fail(name, TM_EFORMAT,
                "corrupt: checksum mismatch (stored "
                "0x%08x, computed 0x%08x)",
                stored, actual);
  return TM_OK;
}

tm_status_t tm_io_load_binary(const unsigned char *data, size_t len,
                              const char *name, tm_snapshot_t **out) {
  TRY(check_header(data, len, name));
  reader_t r;
  memset(&r, 0, sizeof r);
  r.p = data + TM_DUMP_HEADER_LEN;
  r.len = len - TM_DUMP_HEADER_LEN;
  r.name = name;
  r.has_leaks = get_le(data + 10, 2) & TM_DUMP_FLAG_LEAKS;
  r.has_threads = get_le(data + 10, 2) & TM_DUMP_FLAG_THREADS;
  r.has_timeline = get_le(data + 10, 2) & TM_DUMP_FLAG_TIMELINE;
  r.flags = (unsigned)get_le(data + 10, 2);
  r.has_history = get_le(data + 10, 2) & TM_DUMP_FLAG_HISTORY;
  tm_status_t st = read_info(&r);
  if (st == TM_OK)
    st = read_strings(&r);
  if (st == TM_OK)
    st = read_tracebacks(&r);
  if (st == TM_OK)
    st = read_traces(&r);
  if (st == TM_OK && r.has_leaks)
    st = read_leaks(&r);
  if (st == TM_OK && r.has_history)
    st = read_history(&r);
  if (st == TM_OK && r.has_threads)
    st = read_threads(&r);
  if (st == TM_OK && r.has_timeline)
    st = read_timeline(&r);
  tm_raw_free(r.strings);
  tm_raw_free(r.tracebacks);
  tm_raw_free(r.frames);
  if (st != TM_OK) {
    tm_snapshot_free(r.snap);
    return st;
  }
  *out = r.snap;
  return TM_OK;
}

/* JSON if the first non-blank byte (after an optional UTF-8 BOM) is '{'. */
static bool looks_like_json(const unsigned char *d, size_t len) {
  size_t i = 0;
  if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
    i = 3;
  while (i < len &&
         (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
    i++;
  return i < len && d[i] == '{';
}

tm_status_t tm_snapshot_load_buffer(const void *data, size_t len,
                                    const char *name, tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!name)
    name = "<buffer>";
  if (!data && len)
    return tm_set_error(TM_EINVAL, "%s: data is NULL", name);
  const unsigned char *d = data;
  if (len == 0)
    return fail(name, TM_EFORMAT, "empty file, not a tracemalloc snapshot");
  size_t n = len < TM_DUMP_MAGIC_LEN ? len : TM_DUMP_MAGIC_LEN;
  if (memcmp(d, TM_DUMP_MAGIC, n) == 0)
    return tm_io_load_binary(d, len, name, out);
  if (looks_like_json(d, len))
    return tm_io_load_json(d, len, name, out);
  return fail(name, TM_EFORMAT,
              "not a tracemalloc snapshot (bad magic; "
              "expected a binary dump or tracemalloc-json)");
}

/* Reading a snapshot file. The format is recognised from the first bytes
 * before anything large is read: a file that is neither a binary dump nor
 * JSON (a device like /dev/zero, a log file, ...) is refused after at most
 * TM_SNIFF_MAX bytes. A binary dump then says its own length in its header,
 * and a regular file's size is known; only JSON read from a pipe or a device
 * has no announced size, so it is read in growing chunks up to
 * TM_STREAM_MAX. Memory grows with the bytes actually read, never with a
 * length the input claims. */
#define TM_SNIFF_MAX ((size_t)64 * 1024)
#define TM_STREAM_MAX ((size_t)1 << 30)

typedef struct file_in {
  int fd;
  const char *name;
  unsigned char *buf;
  size_t len, cap;
  bool eof;
} file_in_t;

/* Read until at least `want` bytes are buffered or end of file. */
static tm_status_t fill(file_in_t *f, size_t want) {
  while (f->len < want && !f->eof) {
    if (f->len == f->cap) {
      size_t cap = f->cap ? f->cap * 2 : 4096;
      unsigned char *b = tm_raw_realloc(f->buf, cap, TM_MEM_OBJECTS);
      if (!b)
        return fail(f->name, TM_ENOMEM, "out of memory while reading");
      f->buf = b;
      f->cap = cap;
    }
    ssize_t got = read(f->fd, f->buf + f->len, f->cap - f->len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return fail(f->name, TM_EIO, "cannot read: %s", strerror(errno));
    if (got == 0)
      f->eof = true;
    f->len += (size_t)got;
  }
  return TM_OK;
}

/* Which format the buffered bytes start: 'b' binary, 'j' JSON, 0 neither,
 * '?' undecided (only blanks so far). */
static int sniff(const unsigned char *d, size_t len) {
  size_t n = len < TM_DUMP_MAGIC_LEN ? len : TM_DUMP_MAGIC_LEN;
  if (len && memcmp(d, TM_DUMP_MAGIC, n) == 0)
    return len >= TM_DUMP_MAGIC_LEN ? 'b' : '?';
  size_t i = 0;
  if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
    i = 3;
  else if (len < 3 && len && d[0] == 0xEF)
    return (len < 2 || d[1] == 0xBB) ? '?' : 0;
  while (i < len &&
         (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
    i++;
  if (i == len)
    return '?';
  return d[i] == '{' ? 'j' : 0;
}

tm_status_t tm_io_read_snapshot_fd(int fd, const char *name,
                                   unsigned char **data, size_t *len) {
  file_in_t f = {fd, name, NULL, 0, 0, false};
  struct stat sb;
  if (fstat(fd, &sb) != 0)
    return fail(name, TM_EIO, "cannot read: %s", strerror(errno));
  if (S_ISDIR(sb.st_mode))
    return fail(name, TM_EIO, "cannot read: %s", strerror(EISDIR));
  bool regular = S_ISREG(sb.st_mode);
  tm_status_t st = TM_OK;
  int kind = '?';
  // Sniff in small steps so that a foreign stream is refused early.
  for (size_t want = 64; kind == '?' && st == TM_OK; want *= 2) {
    st = fill(&f, want);
    if (st != TM_OK)
      break;
    kind = sniff(f.buf, f.len);
    if (kind == '?' && (f.eof || f.len >= TM_SNIFF_MAX))
      kind = f.len ? 0 : 'e';
  }
  if (st == TM_OK && kind == 'e')
    st = fail(name, TM_EFORMAT, "empty file, not a tracemalloc snapshot");
  else if (st == TM_OK && kind == 0)
    st = fail(name, TM_EFORMAT,
              "not a tracemalloc snapshot (bad magic; expected a binary "
              "dump or tracemalloc-json)");
  // A regular file's size is known (it is what we will read): allocate it
  // at once rather than doubling.
  if (st == TM_OK && kind && regular && (uint64_t)sb.st_size < SIZE_MAX / 2 &&
      (size_t)sb.st_size + 1 > f.cap) {
    unsigned char *b =
        tm_raw_realloc(f.buf, (size_t)sb.st_size + 1, TM_MEM_OBJECTS);
    if (!b)
      st = fail(name, TM_ENOMEM, "out of memory while reading");
    else
      f.buf = b, f.cap = (size_t)sb.st_size + 1;
  }
  if (st == TM_OK && kind == 'b') {
    // The header announces the payload: read exactly that much (and one
    // byte more, to report trailing garbage), whatever the file is.
    st = fill(&f, TM_DUMP_HEADER_LEN);
    if (st == TM_OK && regular) {
      st = fill(&f, (size_t)sb.st_size + 1);
    } else if (st == TM_OK && f.len >= TM_DUMP_HEADER_LEN) {
      uint64_t payload = get_le(f.buf + 16, 8);
      if (payload <= SIZE_MAX / 2)
        st = fill(&f, (size_t)payload + TM_DUMP_HEADER_LEN + 1);
    }
  } else if (st == TM_OK && kind == 'j') {
    // A regular file is read whole. Anything else (a pipe, a device, a /proc
    // file that reports size 0, a file that grows while we read) stops at
    // TM_STREAM_MAX or at the size it had.
    size_t max = TM_STREAM_MAX;
    if (regular && (uint64_t)sb.st_size > SIZE_MAX / 2)
      st = fail(name, TM_EFORMAT, "too large to load");
    else if (regular && (size_t)sb.st_size > max)
      max = (size_t)sb.st_size;
    if (st == TM_OK)
      st = fill(&f, max + 1);
    if (st == TM_OK && f.len > max)
      st = fail(name, TM_EFORMAT,
                "more than %zu MiB of JSON from a file that is not a "
                "regular file of that size; refusing to read further",
                max >> 20);
  }
  if (st != TM_OK) {
    tm_raw_free(f.buf);
    return st;
  }
  *data = f.buf;
  *len = f.len;
  return TM_OK;
}

tm_status_t tm_io_load_fd(int fd, const char *name, tm_snapshot_t **out) {
  *out = NULL;
  unsigned char *data = NULL;
  size_t len = 0;
  tm_status_t st = tm_io_read_snapshot_fd(fd, name, &data, &len);
  if (st != TM_OK)
    return st;
  st = tm_snapshot_load_buffer(data, len, name, out);
  tm_raw_free(data);
  return st;
}

tm_status_t tm_snapshot_load(const char *path, tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!path)
    return tm_set_error(TM_EINVAL, "path must not be NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(path, TM_EIO, "cannot open: %s", strerror(errno));
  tm_status_t st = tm_io_load_fd(fd, path, out);
  close(fd);
  return st;
}
