/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_whole.c - operations on the whole trace table with every
 * lock held: lock_all/unlock_all (with the block-lock barrier), the locks'
 * reset in a fork child, clear, count and foreach.
 *
 * Separate from the per-key paths (trace_table.c) because these run only
 * for snapshots, clear, stop and fork, and walk every shard, domain and
 * trailer block.
 */
#include "trace_table_internal.h"

#include "history.h"
#include "internal.h"
#include "shadow_stack.h"
#include "traceback.h"

void tm_trace_table_lock_all(void) {
  tm_spin_lock(&tm_tt_domains_lock);
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    tm_spin_lock(&tm_tt_shards[i].lock);
  // Every thread's trailer-block operations: no thread set up or torn down, new
  // operations stopped, the ones under way finished.
  tm_shadow_threads_lock();
  atomic_fetch_or_explicit(&tm_tt_blk_stop, TM_TT_BLK_STOPPED,
                           memory_order_relaxed);
  tm_tt_blk_heavy_barrier();
  tm_shadow_threads_wait_idle();
  tm_tt_blk_shared_take();
  tm_blk_lock(); // no leaf half made (fork)
}

void tm_trace_table_unlock_all(void) {
  tm_blk_unlock();
  atomic_store_explicit(&tm_tt_blk_shared.busy, 0, memory_order_release);
  atomic_fetch_and_explicit(&tm_tt_blk_stop, ~TM_TT_BLK_STOPPED,
                            memory_order_release);
  tm_shadow_threads_unlock();
  for (unsigned i = TM_TRACE_SHARDS; i-- > 0;)
    tm_spin_unlock(&tm_tt_shards[i].lock);
  tm_spin_unlock(&tm_tt_domains_lock);
}

#ifdef TM_DEBUG
bool tm_trace_table_all_locked(void) {
  if (!tm_spin_held(&tm_tt_domains_lock) ||
      !atomic_load_explicit(&tm_tt_blk_shared.busy, memory_order_relaxed) ||
      !tm_shadow_threads_locked() ||
      !(atomic_load_explicit(&tm_tt_blk_stop, memory_order_relaxed) &
        TM_TT_BLK_STOPPED))
    return false;
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    if (!tm_spin_held(&tm_tt_shards[i].lock))
      return false;
  return true;
}
#endif

void tm_trace_table_reset_locks(void) {
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    tm_spin_reset(&tm_tt_shards[i].lock);
  tm_spin_reset(&tm_tt_domains_lock);
  // The threads lock: tm_shadow_atfork_child. The child's membarrier
  // registration is its own (a new mm): made again.
  atomic_store_explicit(&tm_tt_blk_shared.busy, 0, memory_order_relaxed);
  tm_trace_table_init_barrier(); // also clears the stop bit
  tm_blk_reset_lock();
}

static void pair_free(tm_tt_pair_t *p) {
  tm_tt_tab_free(&p->main);
  tm_tt_tab_free(&p->big);
}

void tm_trace_table_clear_locked(void) {
  TM_ASSERT(tm_trace_table_all_locked());
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    pair_free(&tm_tt_shards[i].t);
  tm_shadow_blk_count_clear_locked();
  tm_tt_blk_shared.count = 0;
  // Every trailer trace is forgotten; the blocks are glibc's, freed by any
  // free, and their trailers are dead bytes.
  tm_blk_clear_all();
  for (uint32_t i = 0; i < tm_tt_ndomains; i++)
    pair_free(&tm_tt_domains[i].t);
  tm_raw_free(tm_tt_domains);
  tm_tt_domains = NULL;
  tm_tt_ndomains = tm_tt_domains_cap = 0;
  tm_intern_reset();
  tm_hist_clear_locked();
  tm_tt_clear_generation++;
  atomic_store_explicit(&tm_traced_current, 0, memory_order_relaxed);
  atomic_store_explicit(&tm_traced_peak, 0, memory_order_relaxed);
  atomic_store_explicit(&tm_tt_dropped, 0, memory_order_relaxed);
}

static size_t pair_count(const tm_tt_pair_t *p) {
  return p->main.count + (p->main.has_zero ? 1 : 0);
}

size_t tm_trace_table_count_locked(void) {
  TM_ASSERT(tm_trace_table_all_locked());
  size_t n = tm_shadow_blk_count_locked() + tm_tt_blk_shared.count;
  for (unsigned i = 0; i < TM_TRACE_SHARDS; i++)
    n += pair_count(&tm_tt_shards[i].t);
  for (uint32_t i = 0; i < tm_tt_ndomains; i++)
    n += pair_count(&tm_tt_domains[i].t);
  return n;
}

static int pair_foreach(tm_tt_pair_t *p, unsigned domain, tm_trace_fn fn,
                        void *arg) {
  int rc = 0;
  if (p->main.has_zero)
    rc = fn(arg, domain, pair_size(p, 0, p->main.zero_val),
            (uint32_t)(p->main.zero_val >> 32));
  for (uint32_t i = 0; !rc && i < p->main.cap; i++) {
    tm_tt_entry_t *e = &p->main.slots[i];
    if (e->key)
      rc = fn(arg, domain, pair_size(p, e->key, e->val),
              (uint32_t)(e->val >> 32));
  }
  return rc;
}

typedef struct trl_walk {
  tm_trace_fn fn;
  void *arg;
} trl_walk_t;

/* A trailer the program overwrote is left out: its id is not trusted
 * (trailer_overwritten.c, tm_core_trl_overwritten, counts it out when
 * the block goes). */
static int trl_visit(void *arg, uintptr_t p) {
  trl_walk_t *wk = arg;
  size_t size;
  uint32_t tb;
  return tm_trl_get(p, &size, &tb) ? wk->fn(wk->arg, 0, size, tb) : 0;
}

int tm_trace_table_foreach_locked(tm_trace_fn fn, void *arg) {
  TM_ASSERT(tm_trace_table_all_locked());
  // Trailer blocks first, in address order (reading a trailer is safe:
  // with every lock held, every set bit is a live block), then the side
  // tables.
  trl_walk_t wk = {fn, arg};
  int rc = tm_blk_maybe() ? tm_blk_foreach(trl_visit, &wk) : 0;
  for (unsigned i = 0; !rc && i < TM_TRACE_SHARDS; i++)
    rc = pair_foreach(&tm_tt_shards[i].t, 0, fn, arg);
  for (uint32_t i = 0; !rc && i < tm_tt_ndomains; i++)
    rc = pair_foreach(&tm_tt_domains[i].t, tm_tt_domains[i].domain, fn, arg);
  return rc;
}
