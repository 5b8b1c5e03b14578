/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* spinlock.h - the small lock of the trace-table shards and intern tables.
 *
 * Design. A test-and-test-and-set lock: one atomic exchange when free (the
 * common case: 128 shards, held for a few dozen instructions), a short
 * pause loop, then sched_yield so that a preempted holder can run. No
 * allocation, no futex, safe to reset in a fork child (it is one int), and
 * usable inside malloc. Not recursive: the runtime raises tm_reentrant while
 * it holds one, so a signal handler's malloc on the same thread is not traced
 * and never tries to take it again.
 *
 * Debug builds (TM_DEBUG) also record the holder (pthread_self), so that
 * code that needs a lock can assert it holds it (tm_spin_held), and taking
 * a lock twice or releasing another thread's lock fails at once instead of
 * deadlocking or corrupting a table. Release builds keep the one int.
 */
#ifndef TM_SPINLOCK_H
#define TM_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tm_assert.h"

#ifdef TM_DEBUG
#include <pthread.h>
#endif

#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define TM_HAVE_SINGLE_THREADED 1
#endif
#endif

typedef struct tm_spinlock {
  _Atomic int v;
#ifdef TM_DEBUG
  /* (uintptr_t)pthread_self() of the holder; 0 when free. Written only by
   * the holder, read by anyone (relaxed: only the holder's own reads
   * decide anything, and it wrote the value itself). */
  _Atomic uintptr_t owner;
#endif
} tm_spinlock_t;

#ifdef TM_DEBUG
static inline uintptr_t tm_spin_self(void) { return (uintptr_t)pthread_self(); }

/* Does the calling thread hold l? */
static inline bool tm_spin_held(const tm_spinlock_t *l) {
  return atomic_load_explicit(&l->owner, memory_order_relaxed) ==
         tm_spin_self();
}
#else
/* Release builds do not record the holder: declared only so that a
 * TM_ASSERT (which does not evaluate its condition there) can name it. Any
 * other use fails to link. */
bool tm_spin_held(const tm_spinlock_t *l);
#endif

#define TM_SPINLOCK_INIT {0}

static inline void tm_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static __attribute__((noinline, unused)) void
tm_spin_lock_slow(tm_spinlock_t *l) {
  for (unsigned n = 0;; n++) {
    if (atomic_load_explicit(&l->v, memory_order_relaxed) == 0 &&
        !atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
      return;
    if (n < 64)
      tm_spin_pause();
    else
      sched_yield();
  }
}

static inline void tm_spin_lock(tm_spinlock_t *l) {
#ifdef TM_DEBUG
  // Not recursive: taking it again would spin forever.
  TM_ASSERT(!tm_spin_held(l));
  if (atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
    tm_spin_lock_slow(l);
  atomic_store_explicit(&l->owner, tm_spin_self(), memory_order_relaxed);
#else
  if (__builtin_expect(
          !atomic_exchange_explicit(&l->v, 1, memory_order_acquire), 1))
    return;
  tm_spin_lock_slow(l);
#endif
}

/* Take l if it is free, without waiting: true when taken. */
static inline bool tm_spin_trylock(tm_spinlock_t *l) {
#ifdef TM_DEBUG
  TM_ASSERT(!tm_spin_held(l));
#endif
  if (atomic_load_explicit(&l->v, memory_order_relaxed) ||
      atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
    return false;
#ifdef TM_DEBUG
  atomic_store_explicit(&l->owner, tm_spin_self(), memory_order_relaxed);
#endif
  return true;
}

static inline void tm_spin_unlock(tm_spinlock_t *l) {
#ifdef TM_DEBUG
  TM_ASSERT(tm_spin_held(l));
  atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
#endif
  atomic_store_explicit(&l->v, 0, memory_order_release);
}

/* True while the process certainly has one thread (glibc >= 2.32's
 * __libc_single_threaded; elsewhere always false). While it is true the
 * trace table skips its shard locks and updates its counters with plain
 * (relaxed) loads and stores instead of read-modify-writes; see the
 * argument in trace_table.c ("Single-threaded fast path"). */
static inline bool tm_single_threaded(void) {
#ifdef TM_HAVE_SINGLE_THREADED
  return __libc_single_threaded != 0;
#else
  return false;
#endif
}

/* fork child: whoever held the lock in the parent does not exist here. */
static inline void tm_spin_reset(tm_spinlock_t *l) {
#ifdef TM_DEBUG
  atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
#endif
  atomic_store_explicit(&l->v, 0, memory_order_relaxed);
}

#endif /* TM_SPINLOCK_H */
