/* spinlock.h - the small lock of the trace-table shards and intern tables.
 *
 * Design. A test-and-test-and-set lock: one atomic exchange when free (the
 * common case: 128 shards, held for a few dozen instructions), a short
 * pause loop, then sched_yield so that a preempted holder can run. No
 * allocation, no futex, safe to reset in a fork child (it is one int), and
 * usable inside malloc. Not recursive: the runtime raises tm_reentrant while
 * it holds one, so a signal handler's malloc on the same thread is not traced
 * and never tries to take it again.
 */
#ifndef TM_SPINLOCK_H
#define TM_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>

typedef struct tm_spinlock {
  _Atomic int v;
} tm_spinlock_t;

#define TM_SPINLOCK_INIT                                                       \
  { 0 }

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
  if (__builtin_expect(
          !atomic_exchange_explicit(&l->v, 1, memory_order_acquire), 1))
    return;
  tm_spin_lock_slow(l);
}

static inline void tm_spin_unlock(tm_spinlock_t *l) {
  atomic_store_explicit(&l->v, 0, memory_order_release);
}

/* fork child: whoever held the lock in the parent does not exist here. */
static inline void tm_spin_reset(tm_spinlock_t *l) {
  atomic_store_explicit(&l->v, 0, memory_order_relaxed);
}

#endif /* TM_SPINLOCK_H */
