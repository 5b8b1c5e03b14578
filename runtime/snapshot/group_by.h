/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* group_by.h - CPython's Snapshot._group_by(), shared by statistics()
 * (statistics.c) and compare_to() (compare_to.c): the groups of a snapshot's
 * traces by key, and the helpers both results are built with.
 */
#ifndef TM_GROUP_BY_H
#define TM_GROUP_BY_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"
#include "visibility.h"

/* A group, and a slot of the open-addressing table that collects them
 * (count == 0: empty slot). One-frame keys ('lineno', 'filename', and
 * one-frame 'traceback' keys) keep their frame by value, so a lookup reads
 * one 64-byte slot and nothing else: at a million distinct tracebacks the
 * cost of grouping is cache misses, and this is one per probe. Their
 * key.frames is set when the result is built. */
typedef struct group {
  tm_traceback_t key; /* frames: into the snapshot; NULL if nframe == 1 */
  tm_frame_t frame;   /* the frame of a one-frame key */
  uint64_t size;
  uint64_t count;
} group_t;

/* While grouping, items is a linear-probing table of cap slots (load <=
 * 3/4, 64-byte aligned); tm_grouping_compact then moves the n groups to
 * items[0..n). Not a ptr_map.h map: groups are keyed by content, and the
 * table is compacted in place into the result's order of items. */
typedef struct grouping {
  group_t *items;
  size_t n, cap;
  void *block; /* what to free */
} grouping_t;

/* CPython's argument checks of _group_by(), in its order. */
TM_HIDDEN tm_status_t tm_group_check_key(tm_key_t key, bool cumulative);

/* CPython's Snapshot._group_by(): g (zeroed) becomes the table of groups. */
TM_HIDDEN tm_status_t tm_group_by(const tm_snapshot_t *snap, tm_key_t kt,
                                  bool cumulative, grouping_t *g);

TM_HIDDEN void tm_grouping_free(grouping_t *g);

/* Move the groups to items[0..n) (the table is unusable afterwards). */
TM_HIDDEN void tm_grouping_compact(grouping_t *g);

/* The slot of the group equal to `key` (content) if *found, else the empty
 * slot where it would go. The table must not be empty. */
TM_HIDDEN group_t *tm_group_find(const grouping_t *g, const tm_traceback_t *key,
                                 bool *found);

/* Copy the keys into result-owned headers (items never move again); the
 * frames of one-frame keys move into the arena too. */
TM_HIDDEN tm_traceback_t *tm_group_own_keys(tm_arena_t *arena,
                                            const grouping_t *g);

/* Three-way comparison for the results' sort orders. */
static inline int tm_cmp_u64(uint64_t a, uint64_t b) {
  return (a > b) - (a < b);
}

#endif /* TM_GROUP_BY_H */
