/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* block_index.h - which blocks carry their trace in them: one bit per
 * 16-byte granule of address space, in a radix tree that follows the
 * heap's layout.
 *
 * A trailer block (trace_table.h, "Trailer mode"; block_trailer.h) is a
 * block glibc returned at p, with its trace in the last 8 bytes of its
 * usable size. The bit of p is set exactly while p is such a block and
 * traced in the current session: it says that the trailer is ours, which
 * only an exact record can say (a magic number in the block could be the
 * program's data). tm_clear_traces and tm_stop clear every bit.
 *
 * Layout: a static root of 2^13 pointers (2^35 bytes, 32 GiB, each) to mid
 * nodes of 2^13 pointers to leaves; a leaf covers 4 MiB of address space
 * with 2^18 bits (32 KiB). Mid nodes and leaves are mapped on first use
 * from the runtime's own allocator (tm_raw_map: counted, limited) and never
 * freed. Addresses at or above 2^48 have no leaf (their blocks use the
 * side table). The bits are 1/128 of the heap they describe and laid out
 * like it, so a program that works on a cache-resident part of its heap
 * finds the bits of that part cache-resident too.
 *
 * Concurrency: a bitmap word covers 1 KiB of address space, so two threads
 * may change bits of one word at once: a multi-threaded process updates it
 * with atomic read-modify-writes, under the operating thread's own lock
 * (trace_table.h). Readers that only test the bit of a block they own
 * (free, realloc, malloc_usable_size of p) need no lock: that bit changes
 * only by operations on p, which the program orders, and by a clear of
 * every bit, which the operation re-checks under its lock. Words, mid and
 * leaf pointers are atomics, read relaxed / acquire, so such a reader
 * never sees a torn or half-published value.
 */
#ifndef TM_BLOCK_INDEX_H
#define TM_BLOCK_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "visibility.h"

#define TM_BLK_ADDR_BITS 48
#define TM_BLK_LEAF_SHIFT 22 /* 4 MiB of address space per leaf */
#define TM_BLK_MID_SHIFT 35  /* 32 GiB per mid node */
#define TM_BLK_FANOUT 8192   /* root and mid node entries */
#define TM_BLK_LEAF_WORDS ((1u << (TM_BLK_LEAF_SHIFT - 4)) / 64)

_Static_assert((1ull << (TM_BLK_MID_SHIFT - TM_BLK_LEAF_SHIFT)) ==
                   TM_BLK_FANOUT,
               "mid node fanout");
_Static_assert((1ull << (TM_BLK_ADDR_BITS - TM_BLK_MID_SHIFT)) == TM_BLK_FANOUT,
               "root fanout");

typedef struct tm_blk_leaf {
  _Atomic uint64_t w[TM_BLK_LEAF_WORDS];
} tm_blk_leaf_t;

typedef struct tm_blk_mid {
  tm_blk_leaf_t *_Atomic leaf[TM_BLK_FANOUT];
} tm_blk_mid_t;

TM_HIDDEN extern tm_blk_mid_t *_Atomic tm_blk_root[TM_BLK_FANOUT];
/* Set (for good) when the first leaf is made: from then on, a free must
 * look for a bit while any may be set (hooks.h,
 * tm_hooks_tracing_or_trailers). */
TM_HIDDEN extern _Atomic int tm_blk_any;

static inline int tm_blk_maybe(void) {
  return atomic_load_explicit(&tm_blk_any, memory_order_relaxed);
}

/* The word holding the bit of p, or NULL if its leaf does not exist. */
static inline _Atomic uint64_t *tm_blk_word(uintptr_t p) {
  if (p >> TM_BLK_ADDR_BITS)
    return NULL;
  tm_blk_mid_t *m = atomic_load_explicit(&tm_blk_root[p >> TM_BLK_MID_SHIFT],
                                         memory_order_acquire);
  if (!m)
    return NULL;
  tm_blk_leaf_t *l = atomic_load_explicit(
      &m->leaf[(p >> TM_BLK_LEAF_SHIFT) & (TM_BLK_FANOUT - 1)],
      memory_order_acquire);
  if (!l)
    return NULL;
  return &l->w[(p >> 10) & (TM_BLK_LEAF_WORDS - 1)];
}

static inline uint64_t tm_blk_bit(uintptr_t p) {
  return 1ull << ((p >> 4) & 63);
}

/* Is p a traced trailer block? (p need not be one of ours at all.) */
static inline bool tm_blk_is(const void *ptr) {
  uintptr_t p = (uintptr_t)ptr;
  if (p & 15)
    return false;
  _Atomic uint64_t *w = tm_blk_word(p);
  return w && (atomic_load_explicit(w, memory_order_relaxed) & tm_blk_bit(p));
}

/* The word holding p's bit if p is a trailer block, else NULL: tm_blk_is
 * that also hands the word to the free (one lookup of the radix tree per
 * operation, not two: the compiler does not merge the acquire loads). */
static inline _Atomic uint64_t *tm_blk_block_word(const void *ptr) {
  uintptr_t p = (uintptr_t)ptr;
  if (p & 15)
    return NULL;
  _Atomic uint64_t *w = tm_blk_word(p);
  return w && (atomic_load_explicit(w, memory_order_relaxed) & tm_blk_bit(p))
             ? w
             : NULL;
}

/* The word of p, its leaf made if needed; NULL when it cannot be (address
 * beyond 2^48, or the runtime out of memory). */
TM_HIDDEN _Atomic uint64_t *tm_blk_word_make(uintptr_t p);

/* The lock that serialises leaf creation (lock order: after the trace
 * table's shard locks, before raw_alloc's). For lock_all / fork. */
TM_HIDDEN void tm_blk_lock(void);
TM_HIDDEN void tm_blk_unlock(void);
TM_HIDDEN void tm_blk_reset_lock(void);

/* Every trailer block, in address order: fn(arg, p); non-zero stops the
 * walk and is returned. With every trace-table lock held. */
typedef int (*tm_blk_fn)(void *arg, uintptr_t p);
TM_HIDDEN int tm_blk_foreach(tm_blk_fn fn, void *arg);

/* Clear every bit (tm_clear_traces, tm_stop). With every trace-table lock
 * held. */
TM_HIDDEN void tm_blk_clear_all(void);

#endif /* TM_BLOCK_INDEX_H */
