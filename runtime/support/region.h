/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* region.h - bump allocation in never-moving memory, mapped as it fills.
 *
 * Design. The interned tracebacks, frames and strings are read without a
 * lock by other threads (lock-free intern lookups) and referenced by 32-bit
 * offsets, so their memory must never move. A region is a fixed directory
 * of chunks: chunk k holds TM_REGION_STEP << k bytes and covers the offsets
 * [TM_REGION_STEP * (2^k - 1), TM_REGION_STEP * (2^(k+1) - 1)). A chunk is
 * mapped (tm_raw_map, charged to TM_MEM_TABLES) only when the bump offset
 * reaches it, so a region takes address space as it needs it: at most twice
 * its used bytes plus one step, and nothing at all before its first
 * allocation. Nothing is reserved up front: under RLIMIT_AS (ulimit -v),
 * which counts reserved address space too, the runtime holds only what it
 * uses. An allocation never straddles two chunks: one that does not fit in
 * the rest of the current chunk starts the next one, and the tail it skips
 * is an offset nobody refers to.
 *
 * Locking: the caller serialises tm_region_alloc, _unalloc and _reset (the
 * intern lock); readers (tm_region_at) only use offsets they were handed,
 * whose chunk was mapped and stored before the offset was published.
 */
#ifndef TM_REGION_H
#define TM_REGION_H

#include <stddef.h>
#include <stdint.h>

#define TM_REGION_STEP ((size_t)64 * 1024)
/* 2^40 chunks' worth of offsets: far above any 32-bit id * record size. */
#define TM_REGION_CHUNKS 40

typedef struct tm_region {
  size_t reserved;  /* most bytes of offset space (the initializer's cap) */
  size_t used;      /* bump offset */
  size_t last;      /* offset of the last allocation */
  size_t prev_used; /* `used` before the last allocation (for unalloc) */
  unsigned nchunks; /* chunks mapped: 0 .. nchunks-1 */
  char *chunk[TM_REGION_CHUNKS];
  /* chunk[k] - tm_region_chunk_start(k), as an integer: the address of
   * offset `off` in chunk k is adj[k] + off (one load and one add after
   * finding k: tm_region_at is on the traceback-capture path). */
  uintptr_t adj[TM_REGION_CHUNKS];
} tm_region_t;

/* `size` bytes aligned to 16, or NULL (past `reserved`, the system refused
 * the mapping, or raw_alloc's limit). */
void *tm_region_alloc(tm_region_t *r, size_t size);
/* The offset of the block the last tm_region_alloc returned. */
static inline size_t tm_region_last(const tm_region_t *r) { return r->last; }
/* Undo the last allocation (a failed insert). */
void tm_region_unalloc(tm_region_t *r);
/* Forget everything; every chunk is unmapped and uncharged. */
void tm_region_reset(tm_region_t *r);

/* The chunk of offset `off`, and where it starts. */
static inline unsigned tm_region_chunk_of(size_t off) {
  return 63u - (unsigned)__builtin_clzll(off / TM_REGION_STEP + 1);
}
static inline size_t tm_region_chunk_start(unsigned k) {
  return TM_REGION_STEP * (((size_t)1 << k) - 1);
}

/* The memory at offset `off` (an offset tm_region_alloc handed out). */
static inline void *tm_region_at(const tm_region_t *r, size_t off) {
  return (void *)(r->adj[tm_region_chunk_of(off)] + off);
}

#endif /* TM_REGION_H */
