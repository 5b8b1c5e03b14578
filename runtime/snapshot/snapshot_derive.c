/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot_derive.c - snapshots made from another (snapshot_build.h): an
 * empty one with its limit, info and thread table, and its tracebacks
 * copied in, for filter.c and the CLI's suppressions.
 *
 * Separate from snapshot.c: it builds on the whole model (interning, info,
 * the thread table of snapshot_sections.c) through its functions only.
 */
#include <string.h>

#include "raw_alloc.h"
#include "snapshot_build.h"
#include "snapshot_layout.h"

/* ---- Snapshots derived from another (filter.c, the CLI's suppressions) */

static const char *copy_str(tm_snapshot_t *dst, const char *s) {
  return tm_snapshot_intern_string_hashed(dst, s, tm_string_length(s),
                                          tm_string_hash(s));
}

const tm_traceback_t *tm_snapshot_copy_traceback(tm_snapshot_t *dst,
                                                 const tm_traceback_t *tb) {
  tm_frame_t local[64], *f = local;
  if (tb->nframe > 64 &&
      !(f = tm_raw_alloc(tb->nframe * sizeof *f, TM_MEM_OBJECTS)))
    return NULL;
  const tm_traceback_t *r = NULL;
  size_t i = 0;
  for (; i < tb->nframe; i++) {
    const tm_frame_t *s = &tb->frames[i];
    f[i].filename = copy_str(dst, s->filename);
    f[i].lineno = s->lineno;
    f[i].function = s->function ? copy_str(dst, s->function) : NULL;
    if (!f[i].filename || (s->function && !f[i].function))
      break;
  }
  if (i == tb->nframe)
    r = tm_snapshot_intern_traceback(dst, f, tb->nframe, tb->total_nframe);
  if (f != local)
    tm_raw_free(f);
  return r;
}

tm_status_t tm_snapshot_new_like(const tm_snapshot_t *snap,
                                 tm_snapshot_t **out) {
  tm_status_t st = tm_snapshot_new(tm_snapshot_traceback_limit(snap), out);
  if (st != TM_OK)
    return st;
  tm_snapshot_info_t info = *tm_snapshot_info_ref(snap);
  info.size = sizeof info;
  st = tm_snapshot_set_info(*out, &info);
  // The whole thread table, so that a trace's thread number stays valid.
  for (size_t i = 0; st == TM_OK && i < snap->nthreads; i++) {
    const tm_thread_info_t *t = &snap->threads[i];
    st = tm_snapshot_add_thread(*out, t->tid, t->name, t->ended, NULL);
  }
  if (st != TM_OK) {
    tm_snapshot_free(*out);
    *out = NULL;
  }
  return st;
}
