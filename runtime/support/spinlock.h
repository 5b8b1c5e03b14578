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
#include <stdbool.h>

#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define TM_HAVE_SINGLE_THREADED 1
#endif
#endif

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
  atomic_store_explicit(&l->v, 0, memory_order_relaxed);
}

#endif /* TM_SPINLOCK_H */
