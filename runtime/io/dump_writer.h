/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_writer.h - the binary writer's state (writer_t) and its parts in
 * other files: the string and traceback tables (dump_tables.c) and the
 * optional sections (dump_sections.c). Shared by dump.c and those files.
 */
#ifndef TM_DUMP_WRITER_H
#define TM_DUMP_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "io.h"
#include "snapshot.h"
#include "visibility.h"

static inline uint64_t zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* The writer's state: the sections built side by side, then joined. */
typedef struct writer {
  tm_buf_t strings, tracebacks, traces, leaks, history, threads, timeline,
      history_threads;
  tm_ptr_map_t string_ids, traceback_ids;
  uint32_t nstrings, ntracebacks;
} writer_t;

/* Give `tb` (not yet in the table) the next index: its frames, with each
 * string indexed on first use, go to w->tracebacks (dump_tables.c). False
 * on out-of-memory. */
TM_HIDDEN bool tm_dump_write_traceback(writer_t *w, const tm_traceback_t *tb);

/* The optional sections (dump_sections.c), each into its own buffer of w;
 * true without writing anything when the snapshot has no such table. False
 * on out-of-memory. */
TM_HIDDEN bool tm_dump_write_leaks(writer_t *w, const tm_snapshot_t *snap);
TM_HIDDEN bool tm_dump_write_history(writer_t *w, const tm_snapshot_t *snap);
TM_HIDDEN bool tm_dump_write_threads(writer_t *w, const tm_snapshot_t *snap);
TM_HIDDEN bool tm_dump_write_timeline(writer_t *w, const tm_snapshot_t *snap);
/* Whether snap's history carries threads: the history-threads section
 * (flag bit 5) is then written (by tm_dump_write_history). */
TM_HIDDEN bool tm_dump_history_has_threads(const tm_snapshot_t *snap);

#endif /* TM_DUMP_WRITER_H */
