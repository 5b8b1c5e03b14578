/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* history.c - the history's slow paths (history.h has the design): an
 * operation by a thread that must learn its registry index again, a
 * cross-thread free (under the entry's lock), the ids of thread 0 and the
 * threads without state; the walk over the ids for snapshots; fork.
 *
 * hist_lock guards the last traced allocation of the threads without
 * state (they share it, as they share nothing else to keep it in). Lock
 * order: every trace-table lock, the intern lock, hist_lock, an entry's
 * lock, raw_alloc's locks.
 */
#include "history.h"

#include <string.h>

#include "bench_without_history.h"
#include "internal.h"
#include "raw_alloc.h"
#include "spinlock.h"
#include "thread_registry.h"
#include "tm_assert.h"

_Atomic uint64_t tm_hist_version = 1;

static tm_spinlock_t hist_lock = TM_SPINLOCK_INIT;
static uintptr_t shared_last; /* threads without state, under hist_lock */

typedef enum { H_ALLOC, H_FREE, H_UNFREE } hist_op_t;

/* The update on the owner's part p; *last is the operating thread's last
 * allocation. */
static void apply(tm_hist_part_t *p, uintptr_t *last, hist_op_t op, size_t size,
                  uintptr_t ptr) {
  tm_hist_sync(p);
  switch (op) {
  case H_ALLOC:
    p->calls++;
    p->allocated += size;
    *last = ptr;
    break;
  case H_FREE:
    p->frees++;
    p->freed += size;
    if (ptr && ptr == *last) {
      p->temporary++;
      *last = 0;
    }
    break;
  case H_UNFREE:
    p->frees--;
    p->freed -= size;
    break;
  }
}

/* A free (or its undoing) by another thread than the owner, on x (its
 * lock held). Never temporary: the block was not this thread's
 * allocation. An allocation is always the owner's (history.h). */
static void apply_x(tm_hist_xpart_t *x, hist_op_t op, size_t size) {
  uint64_t v = atomic_load_explicit(&tm_hist_version, memory_order_relaxed);
  if (x->version != v) { // as tm_hist_sync: keep the value at the peak
    x->peak_frees = x->frees;
    x->peak_freed = x->freed;
    x->version = v;
  }
  TM_ASSERT(op != H_ALLOC);
  if (op == H_FREE) {
    x->frees++;
    x->freed += size;
  } else if (op == H_UNFREE) {
    x->frees--;
    x->freed -= size;
  }
}

static void update(hist_op_t op, uint32_t tb, size_t size, uintptr_t ptr) {
  if (!tb)
    return;
  tm_hist_entry_t *e = tm_hist_entry(tb);
  uint32_t owner = tm_intern_get(tb)->thread;
  tm_thread_t *t = tm_thread_self;
  uint32_t self = tm_thread_registry_self(); // we hold a trace-table lock
  if (t) { // the fast paths' test (history.h): only a non-zero index
    t->hist_self = self;
    t->hist_epoch =
        self ? atomic_load_explicit(&tm_tb_epoch, memory_order_relaxed) : 0;
  }
  // A thread without state keeps its last allocation in shared_last.
  uintptr_t *last = t ? &t->hist_last : &shared_last;
  if (!t)
    tm_spin_lock(&hist_lock);
  if (owner != 0 && owner == self) {
    apply(&e->own, last, op, size, ptr); // only this thread writes it
  } else {
    // Thread 0's ids have no owner: `own` under the lock. Another
    // thread's id (a cross-thread free): x.
    tm_spin_lock(&e->x.lock);
    if (owner == 0)
      apply(&e->own, last, op, size, ptr);
    else
      apply_x(&e->x, op, size);
    tm_spin_unlock(&e->x.lock);
  }
  if (!t)
    tm_spin_unlock(&hist_lock);
}

TM_COLD_CALL void tm_hist_alloc_slow(uint32_t tb, size_t size, uintptr_t ptr) {
  update(H_ALLOC, tb, size, ptr);
}

/* noinline: tm_hist_free_other calls it, and inlined there the ordinary
 * call of update() would make that function save every register. */
TM_COLD_CALL __attribute__((noinline)) void
tm_hist_free_slow(uint32_t tb, size_t size, uintptr_t ptr) {
  update(H_FREE, tb, size, ptr);
}

/* The wait for a cross-thread entry's lock, out of tm_hist_free_other's
 * way: with only TM_COLD_CALL calls left in it, that function saves just
 * the registers it uses (it runs on every cross-thread free). */
static TM_COLD_CALL __attribute__((noinline)) void
x_lock_wait(tm_spinlock_t *l) {
  tm_spin_lock(l);
}

TM_COLD_CALL void tm_hist_free_other(tm_hist_entry_t *e, uint32_t owner,
                                     uint32_t tb, size_t size, uintptr_t ptr) {
  if (owner == 0) { // no owner: the general path (temporaries too)
    tm_hist_free_slow(tb, size, ptr);
    return;
  }
  if (!tm_spin_trylock(&e->x.lock))
    x_lock_wait(&e->x.lock);
  apply_x(&e->x, H_FREE, size);
  tm_spin_unlock(&e->x.lock);
}

void tm_hist_unfree(uint32_t tb, size_t size) {
  if (!TM_HISTORY_ON_HOT_PATH)
    return; // tm_hist_on_free counted nothing
  update(H_UNFREE, tb, size, 0);
}

/* An entry's counters, its two parts summed; v the current version. */
static tm_hist_sum_t entry_sum(const tm_hist_entry_t *e, uint64_t v) {
  const tm_hist_part_t *p = &e->own;
  const tm_hist_xpart_t *x = &e->x;
  bool at_peak = p->version == v;   // else unchanged since the peak
  bool x_at_peak = x->version == v; // likewise
  uint64_t xfrees = x_at_peak ? x->peak_frees : x->frees;
  uint64_t xfreed = x_at_peak ? x->peak_freed : x->freed;
  return (tm_hist_sum_t){
      .calls = p->calls,
      .allocated = p->allocated,
      .frees = p->frees + x->frees,
      .temporary = p->temporary,
      .peak_size = (at_peak ? p->peak_bytes : p->allocated - p->freed) - xfreed,
      .peak_count = (at_peak ? p->peak_count : p->calls - p->frees) - xfrees,
  };
}

int tm_hist_foreach_locked(tm_hist_fn fn, void *arg) {
  uint32_t bound = tm_intern_id_bound();
  size_t words = bound / 64 + 1;
  uint64_t *bits = tm_raw_calloc(words * sizeof *bits, TM_MEM_OBJECTS);
  if (!bits)
    return -1;
  tm_intern_mark_ids(bits);
  uint64_t v = atomic_load_explicit(&tm_hist_version, memory_order_relaxed);
  int rc = 0;
  for (size_t w = 0; w < words && rc == 0; w++)
    for (uint64_t b = bits[w]; b && rc == 0; b &= b - 1) {
      uint32_t id = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(b));
      tm_hist_sum_t s = entry_sum(tm_hist_entry(id), v);
      if (s.calls | s.frees | s.peak_count)
        rc = fn(arg, id, &s);
    }
  tm_raw_free(bits);
  return rc;
}

void tm_hist_clear_locked(void) {
  // The entries went with the ids (tm_intern_reset, which every caller
  // runs first): only the last allocation of the threads without state
  // is left. A thread's own hist_last can only name a block of the ids
  // before, which can no longer be freed as traced.
  tm_spin_lock(&hist_lock);
  shared_last = 0;
  tm_spin_unlock(&hist_lock);
}

void tm_hist_atfork_prepare(void) { tm_spin_lock(&hist_lock); }
void tm_hist_atfork_parent(void) { tm_spin_unlock(&hist_lock); }
void tm_hist_atfork_child(void) { tm_spin_reset(&hist_lock); }
