/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* history.c - the per-thread history blocks (history.h has the design):
 * making pages and blocks, the shared block of threads without state, the
 * sum over blocks for snapshots, clear, thread exit and fork.
 *
 * hist_lock guards the list of blocks, their `owned` flags and the shared
 * block's entries. Lock order: every trace-table lock, the intern lock,
 * hist_lock, raw_alloc's locks.
 */
#include "history.h"

#include <string.h>

#include "internal.h"
#include "raw_alloc.h"
#include "spinlock.h"
#include "tm_assert.h"

_Atomic uint64_t tm_hist_version = 1;

static tm_spinlock_t hist_lock = TM_SPINLOCK_INIT;
static tm_hist_block_t *blocks;       /* every block, under hist_lock */
static tm_hist_block_t *shared_block; /* threads without state */

/* The entry of tb in b, making its page; NULL when out of memory (the
 * update is lost: docs/semantics.md). Called by b's owner inside a
 * trace-table operation, or under hist_lock for the shared block. */
static tm_hist_entry_t *entry_make(tm_hist_block_t *b, uint32_t tb) {
  uint32_t i = tb >> TM_HIST_PAGE_SHIFT;
  if (i >= b->ndir) {
    uint32_t n = b->ndir ? b->ndir : 16;
    while (n <= i)
      n *= 2;
    tm_hist_entry_t **dir = tm_raw_calloc(n * sizeof *dir, TM_MEM_TABLES);
    if (!dir)
      return NULL;
    if (b->ndir)
      memcpy(dir, b->dir, b->ndir * sizeof *dir);
    tm_raw_free(b->dir);
    b->dir = dir;
    b->ndir = n;
  }
  if (!b->dir[i] &&
      !(b->dir[i] = tm_raw_calloc(TM_HIST_PAGE * sizeof(tm_hist_entry_t),
                                  TM_MEM_TABLES)))
    return NULL;
  return &b->dir[i][tb & (TM_HIST_PAGE - 1)];
}

/* A block for a new owner: one a thread left, or a new one (hist_lock
 * held). */
static tm_hist_block_t *block_take_locked(void) {
  for (tm_hist_block_t *b = blocks; b; b = b->next)
    if (!b->owned && b != shared_block) {
      b->owned = true;
      return b;
    }
  tm_hist_block_t *b = tm_raw_calloc(sizeof *b, TM_MEM_TABLES);
  if (b) {
    b->owned = true;
    b->next = blocks;
    blocks = b;
  }
  return b;
}

/* This thread's state with its block (made now if it has none), or NULL:
 * then the shared block, under hist_lock, is to be used. */
static tm_thread_t *own_thread(void) {
  tm_thread_t *t = tm_thread_self ? tm_thread_self : tm_thread_own;
  if (t && !t->hist) {
    tm_spin_lock(&hist_lock);
    t->hist = block_take_locked();
    tm_spin_unlock(&hist_lock);
    if (t->hist) {
      t->hist_dir = t->hist->dir;
      t->hist_ndir = t->hist->ndir;
      t->hist_last = 0;
    }
  }
  return t && t->hist ? t : NULL;
}

static tm_hist_block_t *shared_locked(void) {
  if (!shared_block &&
      (shared_block = tm_raw_calloc(sizeof *shared_block, TM_MEM_TABLES))) {
    shared_block->owned = true;
    shared_block->next = blocks;
    blocks = shared_block;
  }
  return shared_block;
}

typedef enum { H_ALLOC, H_FREE, H_UNFREE } hist_op_t;

/* The update on block b, whose owner's last allocation is *last. */
static void apply(tm_hist_block_t *b, uintptr_t *last, hist_op_t op,
                  uint32_t tb, size_t size, uintptr_t ptr) {
  tm_hist_entry_t *e = b ? entry_make(b, tb) : NULL;
  if (!e)
    return;
  tm_hist_sync(e);
  switch (op) {
  case H_ALLOC:
    e->calls++;
    e->allocated += size;
    *last = ptr;
    break;
  case H_FREE:
    e->frees++;
    e->freed += size;
    if (ptr && ptr == *last) {
      e->temporary++;
      *last = 0;
    }
    break;
  case H_UNFREE:
    e->frees--;
    e->freed -= size;
    break;
  }
}

static void update(hist_op_t op, uint32_t tb, size_t size, uintptr_t ptr) {
  if (!tb)
    return;
  tm_thread_t *t = own_thread();
  if (t) {
    apply(t->hist, &t->hist_last, op, tb, size, ptr);
    // The directory may have grown: the hot path reads t's copy.
    t->hist_dir = t->hist->dir;
    t->hist_ndir = t->hist->ndir;
    return;
  }
  tm_spin_lock(&hist_lock);
  tm_hist_block_t *b = shared_locked();
  apply(b, b ? &b->last_alloc : NULL, op, tb, size, ptr);
  tm_spin_unlock(&hist_lock);
}

void tm_hist_alloc_slow(uint32_t tb, size_t size, uintptr_t ptr) {
  update(H_ALLOC, tb, size, ptr);
}

void tm_hist_free_slow(uint32_t tb, size_t size, uintptr_t ptr) {
  update(H_FREE, tb, size, ptr);
}

void tm_hist_unfree(uint32_t tb, size_t size) { update(H_UNFREE, tb, size, 0); }

int tm_hist_foreach_locked(tm_hist_fn fn, void *arg) {
  tm_spin_lock(&hist_lock);
  uint64_t v = atomic_load_explicit(&tm_hist_version, memory_order_relaxed);
  uint32_t npages = 0;
  for (tm_hist_block_t *b = blocks; b; b = b->next)
    if (b->ndir > npages)
      npages = b->ndir;
  int rc = 0;
  // One page of ids at a time, summed over the blocks: 3.5 KiB of stack
  // rather than a table as large as the id space.
  for (uint32_t p = 0; p < npages && rc == 0; p++) {
    tm_hist_sum_t sum[TM_HIST_PAGE];
    bool any = false;
    memset(sum, 0, sizeof sum);
    for (tm_hist_block_t *b = blocks; b; b = b->next) {
      if (p >= b->ndir || !b->dir[p])
        continue;
      any = true;
      for (uint32_t k = 0; k < TM_HIST_PAGE; k++) {
        const tm_hist_entry_t *e = &b->dir[p][k];
        tm_hist_sum_t *s = &sum[k];
        s->calls += e->calls;
        s->allocated += e->allocated;
        s->frees += e->frees;
        s->temporary += e->temporary;
        bool at_peak = e->version == v; // else unchanged since the peak
        s->peak_size += at_peak ? e->peak_bytes : e->allocated - e->freed;
        s->peak_count += at_peak ? e->peak_count : e->calls - e->frees;
      }
    }
    for (uint32_t k = 0; any && k < TM_HIST_PAGE && rc == 0; k++) {
      const tm_hist_sum_t *s = &sum[k];
      if (s->calls | s->frees | s->peak_count)
        rc = fn(arg, p << TM_HIST_PAGE_SHIFT | k, s);
    }
  }
  tm_spin_unlock(&hist_lock);
  return rc;
}

void tm_hist_clear_locked(void) {
  tm_spin_lock(&hist_lock);
  for (tm_hist_block_t *b = blocks; b; b = b->next) {
    for (uint32_t i = 0; i < b->ndir; i++)
      if (b->dir[i])
        memset(b->dir[i], 0, TM_HIST_PAGE * sizeof(tm_hist_entry_t));
    b->last_alloc = 0;
  }
  tm_spin_unlock(&hist_lock);
}

void tm_hist_thread_exit(tm_thread_t *t) {
  if (!t->hist)
    return;
  tm_spin_lock(&hist_lock);
  t->hist->owned = false;
  tm_spin_unlock(&hist_lock);
  t->hist = NULL;
  t->hist_dir = NULL;
  t->hist_ndir = 0;
}

void tm_hist_atfork_prepare(void) { tm_spin_lock(&hist_lock); }
void tm_hist_atfork_parent(void) { tm_spin_unlock(&hist_lock); }

void tm_hist_atfork_child(void) {
  tm_spin_reset(&hist_lock);
  // Only the forking thread exists in the child: every other thread's
  // block waits for the child's next new thread, counters kept.
  tm_hist_block_t *mine = tm_thread_own ? tm_thread_own->hist : NULL;
  for (tm_hist_block_t *b = blocks; b; b = b->next)
    if (b != mine && b != shared_block)
      b->owned = false;
}
