/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_validate.c - tm_intern_validate (traceback.h): the intern
 * set's invariants, checked by the unit tests (check_valid.h) and by the
 * debug build's callers: every record well formed, every id found again
 * from its key exactly once, the count equal to the occupied slots, and an
 * empty slot left so that lookups end.
 */
#include <stdbool.h>

#include "internal.h"
#include "traceback_set.h"

static bool same_record(const tm_tb_t *a, const tm_tb_t *b) {
  if (a->hash != b->hash || a->nframe != b->nframe ||
      a->total_nframe != b->total_nframe || a->thread != b->thread)
    return false;
  for (unsigned k = 0; k < a->nframe; k++)
    if (a->keys[k] != b->keys[k])
      return false;
  return true;
}

/* One record: sizes and frame ids in range. */
static const char *record_validate(const tm_tb_t *tb, uint32_t frame_bound) {
  if (tb->nframe == 0 || tb->total_nframe < tb->nframe)
    return "intern set: a record with nframe 0 or above total_nframe";
  const uint32_t *ids = tm_tb_frame_ids(tb);
  for (unsigned k = 0; k < tb->nframe; k++) {
    if (ids[k] >= frame_bound)
      return "intern set: a frame id never handed out";
    if ((ids[k] == TM_FRAME_UNKNOWN) != (tb->keys[k] == NULL))
      return "intern set: a frame id that does not match its site";
  }
  return NULL;
}

const char *tm_intern_validate(void) {
  tm_reentrant++;
  tm_spin_lock(&tm_intern_lock);
  const char *err = NULL;
  const tm_intern_table_t *set =
      atomic_load_explicit(&tm_intern_table, memory_order_relaxed);
  uint32_t bound = tm_intern_id_bound(), frame_bound = tm_intern_frame_bound();
  uint32_t occupied = 0, cap = set ? set->mask + 1 : 0;
  if (cap & (cap - 1))
    err = "intern set: capacity not a power of two";
  for (uint32_t i = 0; !err && i < cap; i++) {
    uint32_t id = atomic_load_explicit(&set->slots[i], memory_order_relaxed);
    if (!id)
      continue;
    occupied++;
    if (id >= bound) {
      err = "intern set: an id past the records";
      break;
    }
    const tm_tb_t *tb = tm_intern_get(id);
    err = record_validate(tb, frame_bound);
    // Found again by its key: lookup probes from the home slot of the
    // record's hash, stops at the first empty slot, and returns the first
    // record with the same content. So every slot from home to i is
    // occupied and none holds the same content (which also means no id is
    // in the set twice: the second copy would find the first).
    for (uint32_t j = tb->hash & set->mask; !err && j != i;
         j = (j + 1) & set->mask) {
      uint32_t other =
          atomic_load_explicit(&set->slots[j], memory_order_relaxed);
      if (!other)
        err = "intern set: a traceback not found again from its key";
      else if (other < bound && same_record(tm_intern_get(other), tb))
        err = "intern set: one traceback under two slots (ids not unique)";
    }
  }
  if (!err && occupied != tm_intern_count)
    err = "intern set: count differs from the occupied slots";
  if (!err && set && occupied >= cap)
    err = "intern set: no empty slot left (lookups would not end)";
  tm_spin_unlock(&tm_intern_lock);
  tm_reentrant--;
  return err;
}

#ifdef TM_DEBUG
void tm_intern_debug_corrupt_count(int32_t delta) {
  tm_spin_lock(&tm_intern_lock);
  tm_intern_count += (uint32_t)delta;
  tm_spin_unlock(&tm_intern_lock);
}
#endif
