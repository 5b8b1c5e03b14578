/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_copy.c - the public traceback accessors and stand-alone
 * tracebacks: a traceback with its strings in one block, outside any
 * snapshot (tm_get_object_traceback / tm_get_traceback in the core).
 *
 * Separate from snapshot.c: such a traceback belongs to no snapshot; it
 * only shares the layout of interned strings (snapshot_layout.h), so that
 * the hash and compare functions read it like any other.
 */
#include <string.h>

#include "raw_alloc.h"
#include "snapshot_layout.h"

size_t tm_traceback_length(const tm_traceback_t *tb) {
  return tb ? tb->nframe : 0;
}

const tm_frame_t *tm_traceback_frames(const tm_traceback_t *tb) {
  return tb ? tb->frames : NULL;
}

uint32_t tm_traceback_total_nframe(const tm_traceback_t *tb) {
  return tb ? tb->total_nframe : TM_TOTAL_NFRAME_NONE;
}

static size_t str_block(const char *s) {
  return (offsetof(str_hdr_t, s) + strlen(s) + 1 + 7) & ~(size_t)7;
}

static const char *put_str(char **cursor, const char *s) {
  size_t len = strlen(s);
  str_hdr_t *h = (str_hdr_t *)(void *)*cursor;
  h->hash = tm_hash_bytes(s, len);
  h->len = len;
  memcpy(h->s, s, len + 1);
  *cursor += str_block(s);
  return h->s;
}

tm_traceback_t *tm_traceback_new_copy(const tm_frame_t *frames, size_t nframe,
                                      uint32_t total_nframe) {
  size_t total = sizeof(tm_traceback_t) + nframe * sizeof(tm_frame_t);
  for (size_t i = 0; i < nframe; i++) {
    total += str_block(frames[i].filename ? frames[i].filename : "<unknown>");
    if (frames[i].function)
      total += str_block(frames[i].function);
  }
  tm_traceback_t *tb = tm_raw_alloc(total, TM_MEM_OBJECTS);
  if (!tb)
    return NULL;
  tm_frame_t *copy = (tm_frame_t *)(tb + 1);
  char *cursor = (char *)(copy + nframe);
  for (size_t i = 0; i < nframe; i++) {
    copy[i].filename =
        put_str(&cursor, frames[i].filename ? frames[i].filename : "<unknown>");
    copy[i].lineno = frames[i].lineno;
    copy[i].function =
        frames[i].function ? put_str(&cursor, frames[i].function) : NULL;
  }
  tb->frames = copy;
  tb->nframe = (uint32_t)nframe;
  tb->total_nframe = total_nframe;
  tb->hash = tm_frames_hash(copy, nframe);
  return tb;
}

void tm_traceback_free(tm_traceback_t *tb) { tm_raw_free(tb); }
