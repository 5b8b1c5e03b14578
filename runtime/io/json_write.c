/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_write.c - the JSON exchange format writer (tm_snapshot_dump_json).
 *
 * Design: the document is exactly docs/design.md's "tracemalloc-json" version
 * 1, one trace per line so that it diffs and greps well:
 *
 *   {"format": "tracemalloc-json", "version": 1, "traceback_limit": 25,
 *    "traced_memory": {"current": 123, "peak": 456},
 *    "traces": [
 *     {"domain": 0, "size": 64, "traceback": [["a.c", 12], ["m.c", 40]],
 * "total_nframe": 2}
 *    ]}
 *
 * Frames are most recent first (CPython's raw order); total_nframe None is
 * written as null; traced_memory is omitted when the snapshot does not know
 * it (loaded from a JSON file without it).
 *
 * Optional members carry the rest of what a binary dump holds, so that a
 * JSON round trip loses nothing; readers that do not know them skip them
 * (docs/design.md), and a snapshot that has none of them (one loaded from
 * plain CPython-style JSON) is written exactly as before:
 *   - top level, after "traced_memory", when the traces are the live set
 *     at the peak (tm_take_peak_snapshot): "live_set": "peak";
 *   - top level, when the snapshot knows where it comes from (a program
 *     name, a pid or a time): "program", "pid",
 *     "time_ns", "dropped_traces", "tracemalloc_memory";
 *   - per trace, when a frame has a function name: "functions", a list
 *     parallel to "traceback" of names or null, after "total_nframe";
 *   - after "traces", when the snapshot has a leak classification
 *     (TRACEMALLOC_LEAKS=1, leak_class.h): "leaks", one object per record
 *     in the snapshot's order, {"kind": "definitely_lost" |
 *     "indirectly_lost" | "reachable", "blocks": N, "size": BYTES,
 *     "traceback": [...], "total_nframe": N, ["functions": [...]]}.
 *   - per trace, when it has a thread: "thread", after "size", the 0-based
 *     index of its thread in "threads";
 *   - after those, when the snapshot has an allocation history
 *     (tm_history_t): "history", one object per record in the snapshot's
 *     order, {"calls": N, "allocated": BYTES, "frees": N, "temporary": N,
 *     "peak_size": BYTES, "peak_count": N, ["thread": K], "traceback":
 *     [...], "total_nframe": N, ["functions": [...]]}, "thread" as a
 *     trace's (absent: unknown); the same traceback in two threads is two
 *     records;
 *   - then, when the snapshot has a thread table: "threads", one object
 *     per thread in the snapshot's order, {"tid": N, "name": "...",
 *     "ended": true | false};
 *   - last, when the snapshot has a timeline (memory over time,
 *     tm_snapshot_timeline): "timeline", one object per point, in time
 *     order, {"time_ns": N, "current": N, "peak": N, "allocations": N}.
 *
 * Strings: '"', '\\' and control characters are escaped (\n, \t, ... or
 * \u00XX); valid UTF-8 is copied as is. A byte that is not part of a valid
 * UTF-8 sequence (C file names are bytes) is written as the lone surrogate
 * \udcXX, XX being the byte: Python's "surrogateescape" convention, so
 * json.loads gives the same str that os.fsdecode would, and json_read.c maps
 * \udc80..\udcff back to the original byte. The round trip is byte exact.
 */
#include <string.h>

#include "error.h"
#include "io.h"
#include "raw_alloc.h"
#include "snapshot.h"

static const char hexdigits[] = "0123456789abcdef";

static void put_escape_u(tm_buf_t *b, unsigned hi, unsigned char byte) {
  char e[6] = {'\\', 'u', 0, 0, 0, 0};
  e[2] = hexdigits[(hi >> 4) & 0xf];
  e[3] = hexdigits[hi & 0xf];
  e[4] = hexdigits[byte >> 4];
  e[5] = hexdigits[byte & 0xf];
  tm_buf_append(b, e, 6);
}

static void put_string(tm_buf_t *b, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str);
  tm_buf_putc(b, '"');
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      size_t j = i + 1; // copy plain runs in one go
      while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' &&
             s[j] != '\\')
        j++;
      tm_buf_append(b, s + i, j - i);
      i = j;
      continue;
    }
    const char *short_esc = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\n' ? "\\n"
                            : c == '\t' ? "\\t"
                            : c == '\r' ? "\\r"
                            : c == '\b' ? "\\b"
                            : c == '\f' ? "\\f"
                                        : NULL;
    size_t len;
    uint32_t cp;
    if (short_esc) {
      tm_buf_append(b, short_esc, 2);
      i++;
    } else if (c < 0x80) {
      put_escape_u(b, 0x00, c); // other controls and DEL
      i++;
    } else if ((len = tm_utf8_decode(s + i, n - i, &cp)) != 0) {
      tm_buf_append(b, s + i, len);
      i += len;
    } else {
      put_escape_u(b, 0xdc, c); // surrogateescape
      i++;
    }
  }
  tm_buf_putc(b, '"');
}

static void put_traceback(tm_buf_t *b, const tm_traceback_t *tb) {
  size_t n = tm_traceback_length(tb);
  const tm_frame_t *f = tm_traceback_frames(tb);
  tm_buf_putc(b, '[');
  for (size_t i = 0; i < n; i++) {
    if (i)
      tm_buf_puts(b, ", ");
    tm_buf_putc(b, '[');
    put_string(b, f[i].filename ? f[i].filename : "<unknown>");
    tm_buf_puts(b, ", ");
    tm_buf_put_u64_decimal(b, f[i].lineno);
    tm_buf_putc(b, ']');
  }
  tm_buf_putc(b, ']');
}

static void put_i64(tm_buf_t *b, int64_t v) {
  if (v < 0) {
    tm_buf_putc(b, '-');
    tm_buf_put_u64_decimal(b, 0 - (uint64_t)v);
  } else {
    tm_buf_put_u64_decimal(b, (uint64_t)v);
  }
}

static void put_header(tm_buf_t *b, const tm_snapshot_t *snap) {
  tm_buf_puts(b, "{\"format\": \"tracemalloc-json\", \"version\": 1, "
                 "\"traceback_limit\": ");
  int limit = tm_snapshot_traceback_limit(snap);
  if (limit < 0) {
    tm_buf_putc(b, '-');
    tm_buf_put_u64_decimal(b, (uint64_t)(-(int64_t)limit));
  } else {
    tm_buf_put_u64_decimal(b, (uint64_t)limit);
  }
  tm_snapshot_info_t info;
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  if (tm_snapshot_get_info(snap, &info) == TM_OK && info.has_traced_memory) {
    tm_buf_puts(b, ",\n \"traced_memory\": {\"current\": ");
    tm_buf_put_u64_decimal(b, info.traced_current);
    tm_buf_puts(b, ", \"peak\": ");
    tm_buf_put_u64_decimal(b, info.traced_peak);
    tm_buf_putc(b, '}');
  }
  if (info.peak_live_set)
    tm_buf_puts(b, ",\n \"live_set\": \"peak\"");
  bool known =
      (info.program && *info.program) || info.pid > 0 || info.time_ns > 0;
  if (known) {
    tm_buf_puts(b, ",\n \"program\": ");
    put_string(b, info.program ? info.program : "");
    tm_buf_puts(b, ", \"pid\": ");
    put_i64(b, info.pid);
    tm_buf_puts(b, ", \"time_ns\": ");
    put_i64(b, info.time_ns);
    tm_buf_puts(b, ", \"dropped_traces\": ");
    tm_buf_put_u64_decimal(b, info.dropped_traces);
    tm_buf_puts(b, ", \"tracemalloc_memory\": ");
    tm_buf_put_u64_decimal(b, info.tracemalloc_memory);
  }
  tm_buf_puts(b, ",\n \"traces\": [");
}

/* The text after a trace's size depends on its traceback only:
 * `, "traceback": [...], "total_nframe": N}`. It is rendered once per
 * distinct traceback and copied for every trace that shares it, which makes
 * the common case (many traces, few tracebacks) a memcpy per trace. */
typedef struct tail_cache {
  tm_ptr_map_t ids;
  tm_buf_t text;
  size_t *ends; /* ends[i]: end offset of traceback i's text */
  size_t n, cap;
} tail_cache_t;

/* `, "functions": [...]` when a frame has a function name. */
static void put_functions(tm_buf_t *b, const tm_traceback_t *tb) {
  size_t n = tm_traceback_length(tb);
  const tm_frame_t *f = tm_traceback_frames(tb);
  size_t i = 0;
  while (i < n && !f[i].function)
    i++;
  if (i == n)
    return;
  tm_buf_puts(b, ", \"functions\": [");
  for (i = 0; i < n; i++) {
    if (i)
      tm_buf_puts(b, ", ");
    if (f[i].function)
      put_string(b, f[i].function);
    else
      tm_buf_puts(b, "null");
  }
  tm_buf_putc(b, ']');
}

/* "k0": v0, "k1": v1, ... (members of an object of counts). */
static void put_u64_members(tm_buf_t *out, const char *const *keys,
                            const uint64_t *v, size_t n) {
  for (size_t k = 0; k < n; k++) {
    tm_buf_puts(out, k ? ", \"" : "\"");
    tm_buf_puts(out, keys[k]);
    tm_buf_puts(out, "\": ");
    tm_buf_put_u64_decimal(out, v[k]);
  }
}

static void put_tail(tm_buf_t *b, const tm_traceback_t *tb) {
  tm_buf_puts(b, ", \"traceback\": ");
  put_traceback(b, tb);
  tm_buf_puts(b, ", \"total_nframe\": ");
  uint32_t total = tm_traceback_total_nframe(tb);
  if (total == TM_TOTAL_NFRAME_NONE)
    tm_buf_puts(b, "null");
  else
    tm_buf_put_u64_decimal(b, total);
  put_functions(b, tb);
  tm_buf_putc(b, '}');
}

static bool append_tail(tail_cache_t *c, tm_buf_t *out,
                        const tm_traceback_t *tb) {
  uint32_t id;
  bool added;
  if (!tm_ptr_map_index(&c->ids, tb, (uint32_t)c->n, &id, &added))
    return false;
  if (added) {
    if (c->n == c->cap) {
      size_t cap = c->cap ? c->cap * 2 : 1024;
      size_t *e = tm_raw_realloc(c->ends, cap * sizeof *e, TM_MEM_OBJECTS);
      if (!e)
        return false;
      c->ends = e;
      c->cap = cap;
    }
    put_tail(&c->text, tb);
    if (c->text.failed)
      return false;
    c->ends[c->n++] = c->text.len;
  }
  size_t start = id ? c->ends[id - 1] : 0;
  tm_buf_append(out, c->text.data + start, c->ends[id] - start);
  return true;
}

tm_status_t tm_io_serialize_json(const tm_snapshot_t *snap, tm_buf_t *out) {
  if (!snap || !out)
    return tm_set_error(TM_EINVAL, "snapshot and buffer must not be NULL");
  memset(out, 0, sizeof *out);
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  tail_cache_t cache;
  memset(&cache, 0, sizeof cache);
  tm_ptr_map_init(&cache.ids, sizeof(tm_ptr_index_slot_t), 1024);
  bool ok = true;
  tm_buf_reserve(out, 256 + n * 80);
  put_header(out, snap);
  for (size_t i = 0; ok && i < n && !out->failed; i++) {
    tm_buf_puts(out, i ? ",\n  {\"domain\": " : "\n  {\"domain\": ");
    tm_buf_put_u64_decimal(out, t[i].domain);
    tm_buf_puts(out, ", \"size\": ");
    tm_buf_put_u64_decimal(out, t[i].size);
    if (t[i].thread != TM_THREAD_NONE) {
      tm_buf_puts(out, ", \"thread\": ");
      tm_buf_put_u64_decimal(out, t[i].thread - 1);
    }
    ok = append_tail(&cache, out, t[i].traceback);
  }
  tm_buf_puts(out, n ? "\n ]" : "]");
  size_t nleaks;
  const tm_leak_rec_t *leaks = tm_snapshot_leaks(snap, &nleaks);
  if (leaks) {
    static const char *const kinds[] = {"", "definitely_lost",
                                        "indirectly_lost", "reachable"};
    tm_buf_puts(out, ",\n \"leaks\": [");
    for (size_t i = 0; i < nleaks; i++) {
      tm_buf_puts(out, i ? ",\n  {\"kind\": \"" : "\n  {\"kind\": \"");
      tm_buf_puts(out, kinds[leaks[i].kind & 3]);
      tm_buf_puts(out, "\", \"blocks\": ");
      tm_buf_put_u64_decimal(out, leaks[i].blocks);
      tm_buf_puts(out, ", \"size\": ");
      tm_buf_put_u64_decimal(out, leaks[i].bytes);
      put_tail(out, leaks[i].tb);
    }
    tm_buf_puts(out, nleaks ? "\n ]" : "]");
  }
  size_t nhist;
  const tm_history_t *hist = tm_snapshot_history(snap, &nhist);
  if (hist) {
    tm_buf_puts(out, ",\n \"history\": [");
    for (size_t i = 0; i < nhist; i++) {
      static const char *const keys[] = {"calls",     "allocated",
                                         "frees",     "temporary",
                                         "peak_size", "peak_count"};
      const uint64_t v[] = {hist[i].calls,     hist[i].allocated,
                            hist[i].frees,     hist[i].temporary,
                            hist[i].peak_size, hist[i].peak_count};
      tm_buf_puts(out, i ? ",\n  {" : "\n  {");
      put_u64_members(out, keys, v, 6);
      if (hist[i].thread != TM_THREAD_NONE) {
        tm_buf_puts(out, ", \"thread\": ");
        tm_buf_put_u64_decimal(out, hist[i].thread - 1);
      }
      put_tail(out, hist[i].traceback);
    }
    tm_buf_puts(out, nhist ? "\n ]" : "]");
  }
  size_t nthreads;
  const tm_thread_info_t *th = tm_snapshot_threads(snap, &nthreads);
  if (nthreads) {
    tm_buf_puts(out, ",\n \"threads\": [");
    for (size_t i = 0; i < nthreads; i++) {
      tm_buf_puts(out, i ? ",\n  {\"tid\": " : "\n  {\"tid\": ");
      put_i64(out, th[i].tid);
      tm_buf_puts(out, ", \"name\": ");
      put_string(out, th[i].name);
      tm_buf_puts(out,
                  th[i].ended ? ", \"ended\": true}" : ", \"ended\": false}");
    }
    tm_buf_puts(out, "\n ]");
  }
  size_t npts;
  const tm_timeline_point_t *pts = tm_snapshot_timeline(snap, &npts);
  if (pts) {
    tm_buf_puts(out, ",\n \"timeline\": [");
    for (size_t i = 0; i < npts; i++) {
      static const char *const keys[] = {"time_ns", "current", "peak",
                                         "allocations"};
      const uint64_t v[] = {pts[i].time_ns, pts[i].current, pts[i].peak,
                            pts[i].allocations};
      tm_buf_puts(out, i ? ",\n  {" : "\n  {");
      put_u64_members(out, keys, v, 4);
      tm_buf_puts(out, "}");
    }
    tm_buf_puts(out, npts ? "\n ]" : "]");
  }
  tm_buf_puts(out, "}\n");
  tm_ptr_map_free(&cache.ids);
  tm_buf_free(&cache.text);
  tm_raw_free(cache.ends);
  if (!ok || out->failed) {
    tm_buf_free(out);
    return tm_set_error(TM_ENOMEM, "out of memory while writing JSON");
  }
  return TM_OK;
}

tm_status_t tm_snapshot_dump_json(const tm_snapshot_t *snap, const char *path) {
  return tm_io_dump_with(snap, path, tm_io_serialize_json);
}
