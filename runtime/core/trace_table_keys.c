/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_keys.c - where a key's trace lives and which lock guards it:
 * the domain-0 shards, the other domains' tables and their lock, and the
 * lookup of one key under its lock.
 *
 * Separate from the add/remove paths (trace_table.c) because readers
 * (get_object_traceback) need only this; lock_of and pair_of_locked are
 * inline (trace_table_internal.h) for those paths.
 */
#include "trace_table_internal.h"

#include "block_index.h"

/* The domain-0 shards and the counters are shared with the inlined hot
 * path (trace_table.h). */
tm_tt_shard_t tm_tt_shards[TM_TRACE_SHARDS];
tm_spinlock_t tm_tt_domains_lock = TM_SPINLOCK_INIT;
domain_tab_t *tm_tt_domains;
uint32_t tm_tt_ndomains, tm_tt_domains_cap;

/* The lock of the key's hash shard. For a trailer block it keeps the
 * traceback id valid (clear takes it) and orders the read against
 * tm_track of that block (trl_track takes it too); the block's malloc and
 * free are ordered against the query by the program, which must hold a
 * live block to ask about it. */
void tm_trace_table_lock_key(unsigned domain, uintptr_t ptr) {
  tm_spin_lock(lock_of(domain, ptr));
}

void tm_trace_table_unlock_key(unsigned domain, uintptr_t ptr) {
  tm_spin_unlock(lock_of(domain, ptr));
}

bool tm_trace_table_find_locked(unsigned domain, uintptr_t ptr, size_t *size,
                                uint32_t *tb) {
  TM_ASSERT(tm_spin_held(lock_of(domain, ptr)));
  if (domain == 0 && tm_blk_is((void *)ptr)) {
    // A trailer the program overwrote: nothing in it is trusted.
    return tm_trl_get(ptr, size, tb);
  }
  tm_tt_pair_t *p = pair_of_locked(domain, ptr, false);
  uint64_t *v = p ? tab_lookup(&p->main, ptr) : NULL;
  if (!v)
    return false;
  *size = pair_size(p, ptr, *v);
  *tb = (uint32_t)(*v >> 32);
  return true;
}
