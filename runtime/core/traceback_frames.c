/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_frames.c - the frames of interned tracebacks: a site pointer
 * resolved once to a frame id, whose frame (file, line, function, as
 * interned strings) is what snapshots read (tm_intern_frame).
 *
 * Frames live in a never-moving region (region.h); an id is the frame's
 * index + 1 (0 is TM_FRAME_UNKNOWN). The site -> id map is an
 * open-addressing table (power of two, linear probing, load <= 1/2) used
 * only under the intern lock, when a new traceback is interned
 * (traceback.c), so it is off the capture's path. A new module generation
 * empties the map but keeps the frames: live traces still name them, and
 * their strings are copies (filenames.h).
 */
#include <stdbool.h>
#include <stddef.h>

#include "filenames.h"
#include "raw_alloc.h"
#include "region.h"
#include "traceback_set.h"

#define FRAMES_RESERVE ((size_t)2 << 30)

static tm_region_t frame_region = {.reserved = FRAMES_RESERVE};

typedef struct frame_slot {
  const struct tm_site *site;
  uint32_t id;
} frame_slot_t;
static frame_slot_t *frame_set;
static uint32_t frame_set_cap, frame_set_count;

static const tm_rframe_t unknown_frame = {"<unknown>", NULL, 0, 0, 0};

const tm_rframe_t *tm_intern_frame(uint32_t frame_id) {
  if (frame_id == TM_FRAME_UNKNOWN)
    return &unknown_frame;
  return (const tm_rframe_t *)tm_region_at(
      &frame_region, (size_t)(frame_id - 1) * sizeof(tm_rframe_t));
}

uint32_t tm_intern_frame_bound(void) {
  return (uint32_t)(frame_region.used / sizeof(tm_rframe_t) + 1);
}

static int frame_set_grow(void) {
  uint32_t ncap = frame_set_cap ? frame_set_cap * 2 : 256;
  frame_slot_t *n = tm_raw_calloc((size_t)ncap * sizeof *n, TM_MEM_TABLES);
  if (!n)
    return -1;
  for (uint32_t i = 0; i < frame_set_cap; i++) {
    if (!frame_set[i].site)
      continue;
    uint32_t j = (uint32_t)tm_intern_hash_step(0, (uintptr_t)frame_set[i].site);
    for (j &= ncap - 1; n[j].site; j = (j + 1) & (ncap - 1))
      ;
    n[j] = frame_set[i];
  }
  tm_raw_free(frame_set);
  frame_set = n;
  frame_set_cap = ncap;
  return 0;
}

static bool make_frame(tm_rframe_t *f, const struct tm_site *site) {
  f->filename = tm_filenames_intern(site->file ? site->file : "<unknown>");
  f->function = site->function ? tm_filenames_intern(site->function) : NULL;
  f->lineno = site->line;
  f->reserved = 0;
  f->pad = 0;
  return f->filename && (f->function || !site->function);
}

uint32_t tm_intern_resolve_frame(const struct tm_site *site) {
  if (!site)
    return TM_FRAME_UNKNOWN;
  if ((frame_set_count + 1) * 2 > frame_set_cap && frame_set_grow() != 0)
    return UINT32_MAX;
  uint32_t mask = frame_set_cap - 1;
  uint32_t j = (uint32_t)tm_intern_hash_step(0, (uintptr_t)site) & mask;
  for (; frame_set[j].site; j = (j + 1) & mask)
    if (frame_set[j].site == site)
      return frame_set[j].id;
  tm_rframe_t *f = tm_region_alloc(&frame_region, sizeof *f);
  if (!f)
    return UINT32_MAX;
  if (!make_frame(f, site)) {
    tm_region_unalloc(&frame_region);
    return UINT32_MAX;
  }
  uint32_t id = (uint32_t)(tm_region_last(&frame_region) / sizeof *f + 1);
  frame_set[j].site = site;
  frame_set[j].id = id;
  frame_set_count++;
  return id;
}

void tm_intern_frames_forget(void) {
  tm_raw_free(frame_set);
  frame_set = NULL;
  frame_set_cap = frame_set_count = 0;
}

void tm_intern_frames_reset(void) {
  tm_intern_frames_forget();
  tm_region_reset(&frame_region);
}
