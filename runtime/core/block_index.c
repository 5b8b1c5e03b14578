/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* block_index.c - the trailer-block bitmap (block_index.h): leaf
 * creation, the address-ordered walk and the clear. */
#include "block_index.h"

#include "raw_alloc.h"
#include "spinlock.h"

tm_blk_mid_t *_Atomic tm_blk_root[TM_BLK_FANOUT];
_Atomic int tm_blk_any;

/* Leaves and mid nodes are made under this lock (threads in different lock
 * regions may need the same leaf) and published with a release store, so
 * that the lock-free readers (tm_blk_word) see them whole. */
static tm_spinlock_t make_lock = TM_SPINLOCK_INIT;

void tm_blk_lock(void) { tm_spin_lock(&make_lock); }
void tm_blk_unlock(void) { tm_spin_unlock(&make_lock); }
void tm_blk_reset_lock(void) { tm_spin_reset(&make_lock); }

_Atomic uint64_t *tm_blk_word_make(uintptr_t p) {
  _Atomic uint64_t *w = tm_blk_word(p);
  if (w || (p >> TM_BLK_ADDR_BITS))
    return w;
  tm_spin_lock(&make_lock);
  tm_blk_mid_t *_Atomic *mp = &tm_blk_root[p >> TM_BLK_MID_SHIFT];
  tm_blk_mid_t *m = atomic_load_explicit(mp, memory_order_relaxed);
  if (!m) {
    m = tm_raw_map(sizeof *m, TM_MEM_TABLES); // fresh mappings are zeroed
    if (m)
      atomic_store_explicit(mp, m, memory_order_release);
  }
  if (m) {
    tm_blk_leaf_t *_Atomic *lp =
        &m->leaf[(p >> TM_BLK_LEAF_SHIFT) & (TM_BLK_FANOUT - 1)];
    tm_blk_leaf_t *l = atomic_load_explicit(lp, memory_order_relaxed);
    if (!l) {
      l = tm_raw_map(sizeof *l, TM_MEM_TABLES);
      if (l) {
        atomic_store_explicit(lp, l, memory_order_release);
        atomic_store_explicit(&tm_blk_any, 1, memory_order_relaxed);
      }
    }
  }
  tm_spin_unlock(&make_lock);
  return tm_blk_word(p);
}

int tm_blk_foreach(tm_blk_fn fn, void *arg) {
  for (uintptr_t r = 0; r < TM_BLK_FANOUT; r++) {
    tm_blk_mid_t *m =
        atomic_load_explicit(&tm_blk_root[r], memory_order_acquire);
    if (!m)
      continue;
    for (uintptr_t i = 0; i < TM_BLK_FANOUT; i++) {
      tm_blk_leaf_t *l =
          atomic_load_explicit(&m->leaf[i], memory_order_acquire);
      if (!l)
        continue;
      uintptr_t leaf_base = r << TM_BLK_MID_SHIFT | i << TM_BLK_LEAF_SHIFT;
      for (uintptr_t w = 0; w < TM_BLK_LEAF_WORDS; w++) {
        uint64_t bits = atomic_load_explicit(&l->w[w], memory_order_relaxed);
        while (bits) {
          unsigned b = (unsigned)__builtin_ctzll(bits);
          bits &= bits - 1;
          uintptr_t p = leaf_base | w << 10 | (uintptr_t)b << 4;
          int rc = fn(arg, p);
          if (rc)
            return rc;
        }
      }
    }
  }
  return 0;
}

void tm_blk_clear_all(void) {
  for (uintptr_t r = 0; r < TM_BLK_FANOUT; r++) {
    tm_blk_mid_t *m =
        atomic_load_explicit(&tm_blk_root[r], memory_order_acquire);
    for (uintptr_t i = 0; m && i < TM_BLK_FANOUT; i++) {
      tm_blk_leaf_t *l =
          atomic_load_explicit(&m->leaf[i], memory_order_acquire);
      // Only words with a bit: a store to an untouched page would map it.
      for (uintptr_t w = 0; l && w < TM_BLK_LEAF_WORDS; w++)
        if (atomic_load_explicit(&l->w[w], memory_order_relaxed))
          atomic_store_explicit(&l->w[w], 0, memory_order_relaxed);
    }
  }
}
