/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* export_collapsed.c - `tracemalloc export --format collapsed`: Brendan
 * Gregg's folded stacks, the input of flamegraph.pl, inferno and
 * speedscope:
 *
 *   main (app/server.c:13);cache_put (app/cache.c:8) 12288
 *
 * One line per distinct traceback (Snapshot.statistics('traceback')), in
 * that order (biggest first), frames root first (the oldest frame, the
 * reverse of our order), then a space and the live bytes.
 *
 * Frame labels: `function (file:line)`, or `file:line` when the frame has no
 * function name. The function leads because all three tools show a box's
 * label from its start and cut the end; the file and line keep two call
 * sites of one function apart, as our SVG flame graph does. Characters the
 * format cannot carry are replaced: ';' (the frame separator) by ':', and
 * control characters (a line break would end the record) by '?'. Bytes that
 * are not UTF-8 are copied as they are (the tools read bytes).
 */
#include "cli.h"
#include "export.h"

#include <string.h>

static void put_label_text(tm_buf_t *b, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    tm_buf_putc(b, c == ';' ? ':' : c < 0x20 || c == 0x7f ? '?' : c);
  }
}

static void put_frame(tm_buf_t *b, const tm_frame_t *f) {
  if (f->function && *f->function) {
    put_label_text(b, f->function);
    tm_buf_puts(b, " (");
  }
  put_label_text(b, f->filename);
  tm_buf_putc(b, ':');
  tm_buf_put_u64_decimal(b, f->lineno);
  if (f->function && *f->function)
    tm_buf_putc(b, ')');
}

bool cli_export_collapsed(const tm_snapshot_t *snap, tm_buf_t *out) {
  memset(out, 0, sizeof *out);
  tm_statistics_t *st = NULL;
  if (tm_snapshot_statistics(snap, TM_KEY_TRACEBACK, false, &st) != TM_OK)
    return false;
  size_t n = tm_statistics_count(st);
  const tm_statistic_t *items = tm_statistics_items(st);
  for (size_t i = 0; i < n && !out->failed; i++) {
    size_t nf = tm_traceback_length(items[i].traceback);
    const tm_frame_t *f = tm_traceback_frames(items[i].traceback);
    for (size_t k = nf; k-- > 0;) {
      put_frame(out, &f[k]);
      if (k)
        tm_buf_putc(out, ';');
    }
    tm_buf_putc(out, ' ');
    tm_buf_put_u64_decimal(out, items[i].size);
    tm_buf_putc(out, '\n');
  }
  tm_statistics_free(st);
  if (out->failed) {
    tm_buf_free(out);
    return false;
  }
  return true;
}
