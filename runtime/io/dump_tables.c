/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_tables.c - the string and traceback tables of a binary dump: each
 * string and traceback is written once, the first time something refers
 * to it, and named by its index after that.
 *
 * Separate from dump.c: the traces and every optional section that names
 * a traceback (dump_sections.c) add to these tables.
 */
#include <string.h>

#include "dump_writer.h"

static bool string_index(writer_t *w, const char *s, uint32_t *index) {
  bool added;
  if (!tm_ptr_map_index(&w->string_ids, s, w->nstrings, index, &added))
    return false;
  if (added) {
    size_t len = strlen(s);
    tm_buf_put_varint(&w->strings, len);
    tm_buf_append(&w->strings, s, len);
    w->nstrings++;
  }
  return !w->strings.failed;
}

bool tm_dump_write_traceback(writer_t *w, const tm_traceback_t *tb) {
  size_t n = tm_traceback_length(tb);
  const tm_frame_t *frames = tm_traceback_frames(tb);
  uint32_t total = tm_traceback_total_nframe(tb);
  // A string gets its index on first use; the whole string table precedes
  // the tracebacks in the file, so the loader never sees a forward index.
  tm_buf_put_varint(&w->tracebacks, n);
  tm_buf_put_varint(&w->tracebacks,
                    total == TM_TOTAL_NFRAME_NONE ? 0 : (uint64_t)total + 1);
  for (size_t i = 0; i < n; i++) {
    uint32_t file, func = 0;
    const char *filename =
        frames[i].filename ? frames[i].filename : "<unknown>";
    if (!string_index(w, filename, &file))
      return false;
    if (frames[i].function) {
      if (!string_index(w, frames[i].function, &func))
        return false;
      func++;
    }
    tm_buf_put_varint(&w->tracebacks, file);
    tm_buf_put_varint(&w->tracebacks, frames[i].lineno);
    tm_buf_put_varint(&w->tracebacks, func);
  }
  return !w->tracebacks.failed;
}
