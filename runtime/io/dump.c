/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump.c - the binary snapshot writer (tm_snapshot_dump).
 *
 * Design: the snapshot is serialised into memory, then written atomically by
 * tm_io_write_atomic (temp file + fsync + rename), so a crash or a full disk
 * never leaves a partial file at the target path. The format is compact
 * because every repeated thing is a table index: strings (filenames and
 * function names) and tracebacks are written once, and a trace is three
 * varints (typically 4-6 bytes). Trace order is kept exactly, so a round trip
 * gives equal traces in the same order. The file format version is separate
 * from the library version; a loader refuses versions it does not know.
 *
 * Binary format, version 1. All fixed-width integers are little-endian
 * whatever the host; "v" is an unsigned LEB128 varint (7 bits per byte, low
 * group first, high bit set on every byte but the last, at most 10 bytes);
 * "z" is a zigzag-encoded signed varint ((n << 1) ^ (n >> 63)).
 *
 *   0       8      10     12           16                  24
 *   +-------+------+------+------------+-------------------+==========...
 *   | magic | ver  | flags| crc32c     | payload length    | payload
 *   | 8 B   | u16  | u16  | u32        | u64               | (length B)
 *   +-------+------+------+------------+-------------------+==========...
 *   magic = 89 54 4D 53 4E 41 50 0A ("\x89TMSNAP\n": the high byte and the
 *           newline catch 7-bit and text-mode transfers, as PNG's does)
 *   ver   = 1; flags: bit 0 (TM_DUMP_FLAG_LEAKS) = a leaks section,
 *           bit 1 (TM_DUMP_FLAG_HISTORY) = a history section, bit 3
 *           (TM_DUMP_FLAG_THREADS) = a threads section, bit 4
 *           (TM_DUMP_FLAG_TIMELINE) = a timeline section, bit 5
 *           (TM_DUMP_FLAG_HISTORY_THREADS) = a history-threads section
 *           (only with bits 1 and 3); optional
 *           sections follow the traces in increasing bit order. The other
 *           bits are reserved and must be 0 (a loader refuses any flag it
 *           does not know, so an older loader refuses a newer dump with a
 *           message instead of misreading it)
 *   crc32c = CRC-32C (Castagnoli) of the payload bytes only
 *
 *   payload = info strings tracebacks traces [leaks] [history] [threads]
 *   [timeline] [history threads], nothing
 *   after:
 *
 *   info       z traceback_limit
 *              v flags            bit 0: traced_current/peak are known,
 *                                 bit 1: the traces are the live set at
 *                                 the peak (tm_snapshot_info_t's
 *                                 peak_live_set)
 *              v traced_current   v traced_peak
 *              v tracemalloc_memory
 *              v dropped_traces
 *              z pid              z time_ns
 *              v len, len bytes   program name (UTF-8 or raw bytes, no NUL)
 *
 *   strings    v count, then count x ( v len, len bytes )    no NUL inside
 *
 *   tracebacks v count, then count x
 *              +-----------+------------------+------------------------------+
 *              | v nframe  | v total_nframe+1 | nframe x frame               |
 *              |           | (0 = None)       | (most recent first)          |
 *              +-----------+------------------+------------------------------+
 *              frame = v filename string index
 *                      v lineno
 *                      v function string index + 1 (0 = no function name)
 *
 *   traces     v count, then count x
 *              +----------------------------+-------------+--------+
 *              | v (traceback index << 1)   | [v domain]  | v size |
 *              |   | (domain != 0)          | if bit 0    |        |
 *              +----------------------------+-------------+--------+
 *
 *   leaks      (only with flag bit 0: TRACEMALLOC_LEAKS=1's classification
 *              of the live blocks of domain 0, leak_class.h)
 *              v count, then count x
 *              +-------------------+--------+----------+---------+
 *              | v traceback index | v kind | v blocks | v bytes |
 *              +-------------------+--------+----------+---------+
 *              kind 1 = definitely lost, 2 = indirectly lost,
 *              3 = reachable; blocks >= 1; records in strictly increasing
 *              (traceback index, kind) order (so no pair twice); the bytes
 *              of all records total at most 2^63-1. A classification with
 *              no record (no live block) is count 0.
 *
 *   history    (only with flag bit 1: the allocation history per
 *              traceback and thread, tm_history_t)
 *              v count, then count x
 *              +-------------------+---------+-------------+---------+
 *              | v traceback index | v calls | v allocated | v frees |
 *              +-------------------+---------+-------------+---------+
 *              | v temporary | v peak_size | v peak_count |
 *              +-------------+-------------+--------------+
 *              records in strictly increasing traceback index order
 *              (with flag bit 5: increasing (traceback index, thread)
 *              order, each pair once, the threads being in the history
 *              threads section); frees <= calls, temporary <= frees,
 *              peak_count <= calls, peak_size <= allocated. Without flag
 *              bit 5 (every dump written before the history carried
 *              threads) a record's thread is unknown (TM_THREAD_NONE).
 *   threads    (only with flag bit 3: the snapshot's thread table and each
 *              trace's thread, tracemalloc.h tm_thread_info_t)
 *              v count, then count x
 *              +-------+----------+-----------------------------+
 *              | z tid | v ended  | v len, len bytes: the name  |
 *              |       | (0 or 1) | (no NUL, at most 15 bytes   |
 *              |       |          |  from the kernel; any here) |
 *              +-------+----------+-----------------------------+
 *              then one v per trace, in trace order: its thread (0 = none,
 *              k = the k-th entry above)
 *   timeline   (only with flag bit 4: memory over time, tm_snapshot_timeline)
 *              v count, then count x
 *              +-----------+-----------+--------+----------------+
 *              | v dt_ns   | v current | v peak | v dallocations |
 *              +-----------+-----------+--------+----------------+
 *              dt_ns and dallocations: the increase over the previous
 *              point (the first: over 0), so time and the allocation count
 *              never decrease; current <= peak <= 2^63-1; the times and
 *              counts sum to at most 2^64-1. An empty timeline is count 0.
 *   history threads (only with flag bit 5, which needs bits 1 and 3: each
 *              history record's thread, tm_history_t.thread) one v per
 *              history record, in the history section's order: 0 = none,
 *              k = the k-th entry of the threads section. A new section
 *              rather than a changed history section, as the traces'
 *              threads were added: older dumps load unchanged.
 *
 * Size: with repeating tracebacks a trace costs 1-3 bytes of index, 0 bytes
 * of domain in the common domain-0 case, and 1-3 bytes of size (about 4
 * bytes per trace for 1M traces over 5000 tracebacks: bench/io).
 *
 * Elsewhere: the writer's state (dump_writer.h), the string and traceback
 * tables (dump_tables.c), the optional sections (dump_sections.c).
 *
 * Evolution: a new optional section gets a new header flag (older loaders
 * refuse the flag with a message; newer ones read older dumps, which lack
 * it); any other change to this layout gets a new format version; loaders
 * keep reading version 1 (test/tool/Inputs/app.tmd is a version-1 golden
 * file that must keep loading).
 */
#include <string.h>

#include "dump_writer.h"
#include "error.h"

static bool write_traces(writer_t *w, const tm_snapshot_t *snap) {
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *traces = tm_snapshot_traces(snap);
  tm_buf_reserve(&w->traces, n * 6 + 16);
  tm_buf_put_varint(&w->traces, n);
  for (size_t i = 0; i < n; i++) {
    uint32_t tb;
    bool added;
    if (!tm_ptr_map_index(&w->traceback_ids, traces[i].traceback,
                          w->ntracebacks, &tb, &added))
      return false;
    if (added) {
      if (!tm_dump_write_traceback(w, traces[i].traceback))
        return false;
      w->ntracebacks++;
    }
    bool has_domain = traces[i].domain != 0;
    tm_buf_put_varint(&w->traces, ((uint64_t)tb << 1) | has_domain);
    if (has_domain)
      tm_buf_put_varint(&w->traces, traces[i].domain);
    tm_buf_put_varint(&w->traces, traces[i].size);
  }
  return !w->traces.failed;
}

static void write_info(tm_buf_t *b, const tm_snapshot_t *snap) {
  tm_snapshot_info_t info;
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  if (tm_snapshot_get_info(snap, &info) != TM_OK) {
    memset(&info, 0, sizeof info);
    info.pid = -1;
  }
  const char *program = info.program ? info.program : "";
  tm_buf_put_varint(b, zigzag(tm_snapshot_traceback_limit(snap)));
  tm_buf_put_varint(b, (info.has_traced_memory ? 1u : 0u) |
                           (info.peak_live_set ? 2u : 0u));
  tm_buf_put_varint(b, info.traced_current);
  tm_buf_put_varint(b, info.traced_peak);
  tm_buf_put_varint(b, info.tracemalloc_memory);
  tm_buf_put_varint(b, info.dropped_traces);
  tm_buf_put_varint(b, zigzag(info.pid));
  tm_buf_put_varint(b, zigzag(info.time_ns));
  tm_buf_put_varint(b, strlen(program));
  tm_buf_puts(b, program);
}

static void put_le(unsigned char *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Join header + info + sections into out. */
static void assemble(tm_buf_t *out, const tm_snapshot_t *snap, writer_t *w) {
  unsigned char header[TM_DUMP_HEADER_LEN] = {0};
  tm_buf_append(out, header, sizeof header); // patched below
  write_info(out, snap);
  tm_buf_put_varint(out, w->nstrings);
  tm_buf_append(out, w->strings.data, w->strings.len);
  tm_buf_put_varint(out, w->ntracebacks);
  tm_buf_append(out, w->tracebacks.data, w->tracebacks.len);
  tm_buf_append(out, w->traces.data, w->traces.len);
  bool has_leaks = tm_snapshot_leaks(snap, &(size_t){0}) != NULL;
  if (has_leaks)
    tm_buf_append(out, w->leaks.data, w->leaks.len);
  bool has_history = tm_snapshot_history(snap, NULL) != NULL;
  if (has_history)
    tm_buf_append(out, w->history.data, w->history.len);
  size_t nthreads;
  tm_snapshot_threads(snap, &nthreads);
  if (nthreads)
    tm_buf_append(out, w->threads.data, w->threads.len);
  bool has_timeline = tm_snapshot_timeline(snap, &(size_t){0}) != NULL;
  if (has_timeline)
    tm_buf_append(out, w->timeline.data, w->timeline.len);
  bool has_history_threads = tm_dump_history_has_threads(snap);
  if (has_history_threads)
    tm_buf_append(out, w->history_threads.data, w->history_threads.len);
  if (out->failed)
    return;
  size_t payload = out->len - TM_DUMP_HEADER_LEN;
  unsigned char *h = out->data;
  memcpy(h, TM_DUMP_MAGIC, TM_DUMP_MAGIC_LEN);
  put_le(h + 8, TM_DUMP_FORMAT_VERSION, 2);
  put_le(h + 10,
         (has_leaks ? TM_DUMP_FLAG_LEAKS : 0) |
             (has_history ? TM_DUMP_FLAG_HISTORY : 0) |
             (nthreads ? TM_DUMP_FLAG_THREADS : 0) |
             (has_timeline ? TM_DUMP_FLAG_TIMELINE : 0) |
             (has_history_threads ? TM_DUMP_FLAG_HISTORY_THREADS : 0),
         2);
  put_le(h + 12, tm_crc32c(h + TM_DUMP_HEADER_LEN, payload), 4);
  put_le(h + 16, payload, 8);
}

tm_status_t tm_io_serialize_binary(const tm_snapshot_t *snap, tm_buf_t *out) {
  if (!snap || !out)
    return tm_set_error(TM_EINVAL, "snapshot and buffer must not be NULL");
  memset(out, 0, sizeof *out);
  writer_t w;
  memset(&w, 0, sizeof w);
  size_t n = tm_snapshot_count(snap);
  tm_ptr_map_init(&w.string_ids, sizeof(tm_ptr_index_slot_t), 256);
  tm_ptr_map_init(&w.traceback_ids, sizeof(tm_ptr_index_slot_t),
                  n < 1024 ? 1024 : n / 4);
  bool ok = write_traces(&w, snap) && tm_dump_write_leaks(&w, snap) &&
            tm_dump_write_history(&w, snap) &&
            tm_dump_write_threads(&w, snap) && tm_dump_write_timeline(&w, snap);
  if (ok) {
    tm_buf_reserve(out, TM_DUMP_HEADER_LEN + 128 + w.strings.len +
                            w.tracebacks.len + w.traces.len + w.leaks.len +
                            w.history.len + w.threads.len + w.timeline.len +
                            w.history_threads.len);
    assemble(out, snap, &w);
    ok = !out->failed;
  }
  tm_buf_free(&w.strings);
  tm_buf_free(&w.tracebacks);
  tm_buf_free(&w.traces);
  tm_buf_free(&w.leaks);
  tm_buf_free(&w.threads);
  tm_buf_free(&w.timeline);
  tm_buf_free(&w.history);
  tm_buf_free(&w.history_threads);
  tm_ptr_map_free(&w.string_ids);
  tm_ptr_map_free(&w.traceback_ids);
  if (!ok) {
    tm_buf_free(out);
    return tm_set_error(TM_ENOMEM,
                        "out of memory while serialising a snapshot");
  }
  return TM_OK;
}

static bool ends_with_json(const char *path) {
  size_t n = strlen(path);
  return n >= 5 && strcmp(path + n - 5, ".json") == 0;
}

tm_status_t tm_snapshot_dump(const tm_snapshot_t *snap, const char *path) {
  if (path && ends_with_json(path))
    return tm_snapshot_dump_json(snap, path);
  return tm_io_dump_with(snap, path, tm_io_serialize_binary);
}
