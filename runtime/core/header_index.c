/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* header_index.c - the trailer-block bitmap (header_index.h): leaf
 * creation, the address-ordered walk and the clear. */
#include "header_index.h"

#include "raw_alloc.h"
#include "spinlock.h"

tm_hdr_mid_t *_Atomic tm_hdr_root[TM_HDR_FANOUT];
_Atomic int tm_hdr_any;

/* Leaves and mid nodes are made under this lock (threads in different lock
 * regions may need the same leaf) and published with a release store, so
 * that the lock-free readers (tm_hdr_word) see them whole. */
static tm_spinlock_t make_lock = TM_SPINLOCK_INIT;

void tm_hdr_lock(void) { tm_spin_lock(&make_lock); }
void tm_hdr_unlock(void) { tm_spin_unlock(&make_lock); }
void tm_hdr_reset_lock(void) { tm_spin_reset(&make_lock); }

_Atomic uint64_t *tm_hdr_word_make(uintptr_t p) {
  _Atomic uint64_t *w = tm_hdr_word(p);
  if (w || (p >> TM_HDR_ADDR_BITS))
    return w;
  tm_spin_lock(&make_lock);
  tm_hdr_mid_t *_Atomic *mp = &tm_hdr_root[p >> TM_HDR_MID_SHIFT];
  tm_hdr_mid_t *m = atomic_load_explicit(mp, memory_order_relaxed);
  if (!m) {
    m = tm_raw_map(sizeof *m, TM_MEM_TABLES); // fresh mappings are zeroed
    if (m)
      atomic_store_explicit(mp, m, memory_order_release);
  }
  if (m) {
    tm_hdr_leaf_t *_Atomic *lp =
        &m->leaf[(p >> TM_HDR_LEAF_SHIFT) & (TM_HDR_FANOUT - 1)];
    tm_hdr_leaf_t *l = atomic_load_explicit(lp, memory_order_relaxed);
    if (!l) {
      l = tm_raw_map(sizeof *l, TM_MEM_TABLES);
      if (l) {
        atomic_store_explicit(lp, l, memory_order_release);
        atomic_store_explicit(&tm_hdr_any, 1, memory_order_relaxed);
      }
    }
  }
  tm_spin_unlock(&make_lock);
  return tm_hdr_word(p);
}

int tm_hdr_foreach(tm_hdr_fn fn, void *arg) {
  for (uintptr_t r = 0; r < TM_HDR_FANOUT; r++) {
    tm_hdr_mid_t *m =
        atomic_load_explicit(&tm_hdr_root[r], memory_order_acquire);
    if (!m)
      continue;
    for (uintptr_t i = 0; i < TM_HDR_FANOUT; i++) {
      tm_hdr_leaf_t *l =
          atomic_load_explicit(&m->leaf[i], memory_order_acquire);
      if (!l)
        continue;
      uintptr_t leaf_base = r << TM_HDR_MID_SHIFT | i << TM_HDR_LEAF_SHIFT;
      for (uintptr_t w = 0; w < TM_HDR_LEAF_WORDS; w++) {
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

void tm_hdr_clear_all(void) {
  for (uintptr_t r = 0; r < TM_HDR_FANOUT; r++) {
    tm_hdr_mid_t *m =
        atomic_load_explicit(&tm_hdr_root[r], memory_order_acquire);
    for (uintptr_t i = 0; m && i < TM_HDR_FANOUT; i++) {
      tm_hdr_leaf_t *l =
          atomic_load_explicit(&m->leaf[i], memory_order_acquire);
      // Only words with a bit: a store to an untouched page would map it.
      for (uintptr_t w = 0; l && w < TM_HDR_LEAF_WORDS; w++)
        if (atomic_load_explicit(&l->w[w], memory_order_relaxed))
          atomic_store_explicit(&l->w[w], 0, memory_order_relaxed);
    }
  }
}
