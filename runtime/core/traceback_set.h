/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_set.h - what the intern set's files share and nothing outside
 * them uses: the set of ids and its lock (traceback.c), the site -> frame
 * table (traceback_frames.c), and the hash both tables use. The validator
 * (traceback_validate.c) reads the set under the lock. The design is in
 * traceback.c's top comment.
 */
#ifndef TM_TRACEBACK_SET_H
#define TM_TRACEBACK_SET_H

#include <stdatomic.h>
#include <stdint.h>

#include "spinlock.h"
#include "traceback.h"
#include "visibility.h"

/* The open-addressing table of ids (traceback.c). */
typedef struct tm_intern_table {
  struct tm_intern_table
      *retired;                 /* previous (smaller) table, freed at reset */
  struct tm_intern_table *dead; /* table of an earlier module generation */
  uint32_t mask;
  _Atomic uint32_t slots[];
} tm_intern_table_t;

/* The current table (NULL: empty), the ids in it, and the lock that every
 * insert, frame resolution, reset and validation takes (traceback.c). */
TM_HIDDEN extern _Atomic(tm_intern_table_t *) tm_intern_table;
TM_HIDDEN extern uint32_t tm_intern_count;
TM_HIDDEN extern tm_spinlock_t tm_intern_lock;

static inline uint64_t tm_intern_hash_step(uint64_t h, uintptr_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

/* ---- The site -> frame table (traceback_frames.c) ----------------------
 * Called with the intern lock held. */

/* Frame id of `site` (TM_FRAME_UNKNOWN for NULL); UINT32_MAX on
 * out-of-memory. */
TM_HIDDEN uint32_t tm_intern_resolve_frame(const struct tm_site *site);
/* Empty the site -> frame map (a new module generation: site pointers may
 * name other sites from now on); the frames themselves stay. */
TM_HIDDEN void tm_intern_frames_forget(void);
/* Empty the map and free every frame (tm_intern_reset). */
TM_HIDDEN void tm_intern_frames_reset(void);

#endif
