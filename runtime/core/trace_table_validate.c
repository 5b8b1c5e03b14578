/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* trace_table_validate.c - the trace table's validator
 * (tm_trace_table_validate, run by the unit tests) and, in TM_DEBUG builds,
 * the deliberate corruption that tests the validator.
 *
 * Separate because it is a checker of the other files' invariants, never
 * on a path the traced program takes.
 */
#include "trace_table_internal.h"

#include "internal.h"
#include "shadow_stack.h"
#include "traceback.h"

/* ---- Validation (trace_table.h: tm_trace_table_validate) --------------- */

/* One table: count, free slot, reachability, shard of each key. `shard`:
 * the index of the shard it belongs to, or -1 for another domain's. *big
 * counts the entries marked "size in the big table" (main tables). */
static const char *tab_validate(const tm_tt_table_t *t, int shard,
                                uint32_t *big) {
  if (!t->slots)
    return t->cap || t->count ? "trace table: count or capacity without slots"
                              : NULL;
  if (t->max_count != tm_tt_max_count(t->cap))
    return "trace table: max_count is not 4/5 of the capacity";
  uint32_t occupied = 0;
  for (uint32_t i = 0; i < t->cap; i++) {
    uint64_t k = t->slots[i].key;
    if (!k)
      continue;
    occupied++;
    if ((uint32_t)t->slots[i].val == TM_TT_BIG_SIZE)
      ++*big;
    if (shard >= 0 && tm_tt_shard_of(k) != &tm_tt_shards[shard])
      return "trace table: a key in a shard it does not hash to";
    // Linear probing finds k only if no empty slot lies between its home
    // slot and its slot.
    for (uint32_t j = tm_tt_home(k, t->cap); j != i;
         j = j + 1 == t->cap ? 0 : j + 1)
      if (!t->slots[j].key)
        return "trace table: a key not found again from its home slot";
  }
  if (occupied != t->count)
    return "trace table: count differs from the occupied slots";
  if (occupied >= t->cap)
    return "trace table: no empty slot left (probing would not end)";
  return NULL;
}

/* One domain's pair: both tables, the big entries, and the sizes and ids of
 * its traces (added to *sum). */
static const char *pair_validate(const tm_tt_pair_t *p, int shard,
                                 uint32_t id_bound, size_t *sum) {
  uint32_t marked = 0, unused = 0;
  const char *err = tab_validate(&p->main, shard, &marked);
  if (!err)
    err = tab_validate(&p->big, shard, &unused);
  if (err)
    return err;
  if (p->main.has_zero && (uint32_t)p->main.zero_val == TM_TT_BIG_SIZE)
    marked++;
  if (marked != p->big.count + (p->big.has_zero ? 1u : 0u))
    return "trace table: big-size marks differ from the big table's entries";
  // Each big entry must belong to a marked main entry (then, the counts
  // being equal, each marked entry has its big entry).
  for (uint32_t i = 0; i < p->big.cap; i++) {
    uint64_t k = p->big.slots[i].key;
    if (!k)
      continue;
    uint64_t *v = tab_lookup((tm_tt_table_t *)&p->main, k);
    if (!v || (uint32_t)*v != TM_TT_BIG_SIZE)
      return "trace table: a big entry with no marked main entry";
    if (p->big.slots[i].val < TM_TT_BIG_SIZE)
      return "trace table: a big entry below 4 GiB - 1";
  }
  if (p->big.has_zero &&
      !(p->main.has_zero && (uint32_t)p->main.zero_val == TM_TT_BIG_SIZE))
    return "trace table: a big entry with no marked main entry";
  if (p->main.has_zero) {
    uint32_t id = (uint32_t)(p->main.zero_val >> 32);
    if (id == 0 || id >= id_bound)
      return "trace table: a traceback id the intern set never handed out";
    *sum += pair_size((tm_tt_pair_t *)p, 0, p->main.zero_val);
  }
  for (uint32_t i = 0; i < p->main.cap; i++) {
    const tm_tt_entry_t *e = &p->main.slots[i];
    if (!e->key)
      continue;
    uint32_t id = (uint32_t)(e->val >> 32);
    if (id == 0 || id >= id_bound)
      return "trace table: a traceback id the intern set never handed out";
    *sum += pair_size((tm_tt_pair_t *)p, e->key, e->val);
  }
  return NULL;
}

/* Trailer blocks: each traced trailer's seal holds and it has a valid
 * id, and the owners' counts add up to the number of traced trailer
 * blocks. */
typedef struct trl_check {
  uint32_t id_bound;
  size_t sum;
  uint64_t count;
  const char *err;
} trl_check_t;

static int trl_check_one(void *arg, uintptr_t p) {
  trl_check_t *c = arg;
  size_t size;
  uint32_t tb;
  if (!tm_trl_get(p, &size, &tb))
    c->err = "trace table: a trailer whose seal is broken (overwritten)";
  else if (tb == 0 || tb >= c->id_bound)
    c->err = "trace table: a trailer with a traceback id the intern set "
             "never handed out";
  c->count++;
  c->sum += size;
  return c->err != NULL;
}

const char *tm_trace_table_validate(void) {
  tm_reentrant++; // a signal handler's malloc must not wait for our locks
  tm_trace_table_lock_all();
  uint32_t id_bound = tm_intern_id_bound();
  size_t sum = 0;
  const char *err = NULL;
  trl_check_t hc = {.id_bound = id_bound};
  if (tm_blk_maybe()) {
    tm_blk_foreach(trl_check_one, &hc);
    err = hc.err;
  }
  if (!err && hc.count != tm_shadow_blk_count_locked() + tm_tt_blk_shared.count)
    err = "trace table: the threads' trailer count differs from the traced "
          "trailer blocks";
  sum = hc.sum;
  for (int i = 0; !err && i < TM_TRACE_SHARDS; i++)
    err = pair_validate(&tm_tt_shards[i].t, i, id_bound, &sum);
  for (uint32_t i = 0; !err && i < tm_tt_ndomains; i++) {
    if (tm_tt_domains[i].domain == 0)
      err = "trace table: domain 0 among the other tm_tt_domains";
    for (uint32_t j = 0; !err && j < i; j++)
      if (tm_tt_domains[j].domain == tm_tt_domains[i].domain)
        err = "trace table: a domain with two tables";
    if (!err)
      err = pair_validate(&tm_tt_domains[i].t, -1, id_bound, &sum);
  }
  size_t current =
      atomic_load_explicit(&tm_traced_current, memory_order_relaxed);
  size_t peak = atomic_load_explicit(&tm_traced_peak, memory_order_relaxed);
  if (!err && tm_tt_ndomains > tm_tt_domains_cap)
    err = "trace table: more tm_tt_domains than room for them";
  if (!err && current != sum)
    err = "trace table: current differs from the sum of the traced sizes";
  if (!err && peak < current)
    err = "trace table: peak below current";
  tm_trace_table_unlock_all();
  tm_reentrant--;
  return err;
}

#ifdef TM_DEBUG
void tm_trace_table_debug_corrupt(tm_tt_corruption_t what, uintptr_t ptr,
                                  int64_t delta) {
  tm_trace_table_lock_all();
  if (what == TM_TT_CORRUPT_COUNT)
    tm_tt_shard_of(ptr)->t.main.count += (uint32_t)delta;
  else if (what == TM_TT_CORRUPT_BLK_COUNT)
    tm_shadow_blk_count_debug_add_locked(delta);
  else
    atomic_fetch_add_explicit(&tm_traced_current, (size_t)delta,
                              memory_order_relaxed);
  tm_trace_table_unlock_all();
}
#endif
