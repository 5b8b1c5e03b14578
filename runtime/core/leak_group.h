/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_group.h - the leak scan's blocks (leak_scan.c) and their grouping
 * into a snapshot by traceback and class (leak_group.c).
 */
#ifndef TM_LEAK_GROUP_H
#define TM_LEAK_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "tracemalloc.h"
#include "visibility.h"

/* A block's state during the scan; unmarked blocks left at the end are
 * classified by the lost pass as direct or indirect. */
enum {
  TM_LEAK_ST_UNMARKED = 0,
  TM_LEAK_ST_REACHABLE,
  TM_LEAK_ST_DIRECT,
  TM_LEAK_ST_INDIRECT,
};

/* One live traced block of domain 0, as the scan sees it. */
typedef struct tm_leak_block {
  uintptr_t beg;
  uint64_t size;
  uint32_t tb; // interned traceback id
  uint32_t state;
} tm_leak_block_t;

/* The classification of blocks[0..n) (every state reachable, direct or
 * indirect) as a snapshot holding only leak records, one per (snapshot
 * traceback, class), tracebacks cut at `limit` frames. With the trace
 * table's locks held (the interned tracebacks are read). NULL when the
 * runtime's memory runs out. */
TM_HIDDEN tm_snapshot_t *tm_leak_group(const tm_leak_block_t *blocks, size_t n,
                                       int limit);

#endif /* TM_LEAK_GROUP_H */
