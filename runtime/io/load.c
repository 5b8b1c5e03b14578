/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* load.c - the binary loader (tm_io_load_binary): the header, then the
 * payload's info, strings, tracebacks and traces.
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
 *
 * Elsewhere: the cursor (load_reader.h), the optional sections
 * (load_sections.c), files, descriptors and the choice between this and
 * the JSON loader (load_file.c).
 */
#include <string.h>

#include "load_reader.h"
#include "raw_alloc.h"
#include "snapshot_build.h"

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
  TRY(get_bounded(r, "info flags", 3, &flags)); // dump.c: bits 0 and 1
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
                             .has_traced_memory = flags & 1,
                             .peak_live_set = (flags & 2) != 0};
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
                          TM_DUMP_FLAG_THREADS | TM_DUMP_FLAG_TIMELINE |
                          TM_DUMP_FLAG_HISTORY_THREADS))
    return fail(name, TM_EFORMAT, "corrupt: unknown header flags 0x%04x",
                flags);
  unsigned needs = TM_DUMP_FLAG_HISTORY | TM_DUMP_FLAG_THREADS;
  if ((flags & TM_DUMP_FLAG_HISTORY_THREADS) && (flags & needs) != needs)
    return fail(name, TM_EFORMAT,
                "corrupt: header flags 0x%04x: history threads (0x%04x) "
                "without both a history (0x%04x) and threads (0x%04x)",
                flags, TM_DUMP_FLAG_HISTORY_THREADS, TM_DUMP_FLAG_HISTORY,
                TM_DUMP_FLAG_THREADS);
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
    st = tm_load_leaks(&r);
  if (st == TM_OK && r.has_history)
    st = tm_load_history(&r);
  if (st == TM_OK && r.has_threads)
    st = tm_load_threads(&r);
  if (st == TM_OK && r.has_timeline)
    st = tm_load_timeline(&r);
  if (st == TM_OK && (r.flags & TM_DUMP_FLAG_HISTORY_THREADS))
    st = tm_load_history_threads(&r);
  tm_raw_free(r.hist);
  tm_raw_free(r.hist_tb);
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
