/* traceback.h - traceback capture from the shadow stack, and interning.
 *
 * A runtime traceback is interned once and named by a 32-bit id (so that a
 * trace-table entry stays 16 bytes). Its identity is the sequence of expanded
 * site pointers (tracemalloc_abi.h section 3) cut at the limit, plus
 * total_nframe: comparing pointers on the allocation path is much cheaper
 * than comparing (filename, lineno) strings, and the snapshot re-interns by
 * content anyway. The frames are resolved once, when a traceback is first
 * seen, into interned (filename, function, lineno) triples that survive a
 * dlclose of the module the sites came from.
 *
 * Capture cost. Each thread keeps (shadow_stack.h) a memo of its last
 * stack's total_nframe, checked by comparing the slot pointers with the
 * memoised ones (no load through them), and a direct-mapped cache from a
 * cheap key (site, the slots that supply the first `limit` frames,
 * total_nframe) to the interned id; a hit is verified against the record
 * exactly as the intern set verifies a candidate, so both give the same id.
 * Both are tagged with an epoch that tm_traceback_reset and every module
 * load bump.
 *
 * Locking: tm_traceback_capture must be called with a trace-table lock held
 * (a shard lock or the domains lock): tm_traceback_reset runs with all of
 * them held, which is what makes the lock-free lookup safe. Records and
 * frames never move until that reset.
 */
#ifndef TM_TRACEBACK_H
#define TM_TRACEBACK_H

#include <stdint.h>

#include "tracemalloc_abi.h"

typedef struct tm_tb {
  uint32_t hash;
  uint16_t nframe;              /* frames kept: 1..limit */
  uint16_t total_nframe;        /* true depth, capped at 65535 */
  const struct tm_site *keys[]; /* nframe expanded sites; NULL = unknown */
  /* followed by uint32_t frame_ids[nframe] */
} tm_tb_t;

/* A resolved frame. filename is never NULL; function may be NULL. */
typedef struct tm_rframe {
  const char *filename;
  const char *function;
  uint32_t lineno;
  uint32_t reserved;
  uint64_t pad;
} tm_rframe_t;

/* Frame id 0 is ('<unknown>', 0). */
#define TM_FRAME_UNKNOWN 0u

/* Intern the traceback of an allocation made now on this thread with `site`
 * (NULL: an uninstrumented caller, attributed to the nearest instrumented
 * frame), keeping at most `limit` frames. Returns its id (> 0), or 0 when the
 * runtime is out of memory. Caller holds a trace-table lock. */
uint32_t tm_traceback_capture(const struct tm_site *site, unsigned limit);
/* (Or, while the process is single-threaded, with no lock: trace_table.c.) */

const tm_tb_t *tm_traceback_get(uint32_t id);

static inline const uint32_t *tm_tb_frame_ids(const tm_tb_t *tb) {
  return (const uint32_t *)(tb->keys + tb->nframe);
}

const tm_rframe_t *tm_traceback_frame(uint32_t frame_id);

/* Exclusive upper bounds of the ids handed out so far (for dense temporary
 * maps in take_snapshot). Caller holds every trace-table lock. */
uint32_t tm_traceback_id_bound(void);
uint32_t tm_traceback_frame_bound(void);

/* A module was loaded (__tm_module_init_v1): its site addresses may be
 * those of an unloaded module; drop every thread's cached results. */
void tm_traceback_invalidate_caches(void);

/* Forget every traceback, frame and string (tm_clear_traces, tm_stop).
 * Caller holds every trace-table lock. */
void tm_traceback_reset(void);

/* fork(): the intern lock, taken after every trace-table lock. */
void tm_traceback_atfork_prepare(void);
void tm_traceback_atfork_parent(void);
void tm_traceback_atfork_child(void);

#endif /* TM_TRACEBACK_H */
