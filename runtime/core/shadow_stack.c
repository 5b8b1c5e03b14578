/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* shadow_stack.c - the per-thread shadow stack of tracemalloc_abi.h, and
 * the per-thread runtime state that shares its mapping (shadow_stack.h).
 *
 * Design. Instrumented code links its frame records from one initial-exec
 * TLS word, __tm_shadow_top (tracemalloc_abi.h section 2), with no call
 * into the runtime: a thread needs nothing from the runtime to run
 * instrumented code, and a thread the runtime has not set up simply has
 * its records counted as unknown frames. The runtime gives each thread one
 * mapping for what a capture needs: a header page (tm_thread_t: registry
 * links, traceback cache, record memo) and the gather arrays the walk
 * fills, mapped with MAP_NORESERVE so that only the pages a deep stack
 * really touches cost memory. The mapping is set up at thread start (the
 * pthread_create wrapper), for the main thread by the runtime constructor,
 * and lazily by the core on a thread's first traced allocation; it is
 * unmapped by a pthread key destructor at thread exit.
 *
 * Order. tm_thread_self != NULL implies that the thread's gather arrays
 * are set (traceback.h's inlined fast path reads them without checking):
 * setup fills the header before it sets tm_thread_self, teardown clears
 * tm_thread_self before it unmaps, each with a signal fence between the
 * two, so that not even a signal handler on the thread sees them the other
 * way round.
 *
 * Accounting. Live mappings are linked in a registry (a leaf spinlock), so
 * that tm_shadow_memory can add up their resident pages with mincore(); a
 * thread unlinks its mapping under that lock before unmapping it.
 *
 * Trailer-trace owners. Each mapping's blk_owner is the busy mark and the
 * count of that thread's trailer-block operations (trace_table.h).
 * Snapshots, clear and fork hold the threads lock and wait for every live
 * thread's mark to clear (tm_shadow_threads_wait_idle). Linking and
 * unlinking a mapping take the threads lock too (then the registry lock),
 * so the list cannot change while a snapshot has stopped its members: a
 * thread that exits waits for the snapshot before it unmaps its mark. The
 * threads lock is separate from the registry lock because a snapshot, with
 * every lock held, still asks tm_shadow_memory for the runtime's memory (which
 * takes the registry lock, a leaf). A thread is linked before it publishes
 * tm_thread_own (the hot path's way to its owner) and clears tm_thread_own
 * before it is unlinked, so every owner in use is in the list; a thread
 * without one uses trace_table.c's shared owner. An exiting thread's count
 * is added to retired_blk_count when it is unlinked (its frees and
 * allocations still count: the blocks outlive it).
 *
 * Reentrancy. pthread_setspecific may calloc its second-level array; the
 * call is bracketed by tm_reentrant so that allocation is not traced and
 * cannot come back here. The per-thread state also stops a destructor-time
 * allocation from mapping new state after the old one was freed.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "raw_alloc.h"
#include "rendezvous.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "stack_bounds.h"
#include "thread_registry.h"
#include "timeline.h"

#define TM_TLS_IE __attribute__((tls_model("initial-exec")))

TM_API __thread const struct tm_frame_record *__tm_shadow_top TM_TLS_IE;
__thread uintptr_t tm_stack_lo TM_TLS_IE;
__thread uintptr_t tm_stack_hi TM_TLS_IE;

/* Defined here, written by tracemalloc.c only: a definition that the same
 * file never reads, so that libtracemalloc.so's writes go through the GOT
 * and reach the executable's copy when it has one (a copy relocation). */
TM_API unsigned char __tm_tracing_flag;

__thread int tm_reentrant TM_TLS_IE;
__thread tm_thread_t *tm_thread_self TM_TLS_IE;
__thread tm_thread_t *tm_thread_own TM_TLS_IE;

enum { THREAD_NONE, THREAD_LIVE, THREAD_EXITED };
static __thread int thread_state TM_TLS_IE;

static pthread_key_t shadow_key;
static pthread_once_t shadow_once = PTHREAD_ONCE_INIT;

/* The gather arrays: sites, prefix counts, addresses, and the walk's
 * scratch sites and addresses (shadow_stack.h, tm_thread_t). */
#define GATHER_BYTES                                                           \
  ((size_t)TM_GATHER_SLOTS * (4 * sizeof(uintptr_t) + sizeof(uint32_t)))

static tm_spinlock_t threads_lock = TM_SPINLOCK_INIT;
static tm_spinlock_t registry_lock = TM_SPINLOCK_INIT;
/* Live mappings: changed with threads_lock and registry_lock held, read
 * under either. */
static tm_thread_t *registry;
/* The trailer counts of the threads unlinked since the last clear (under
 * threads_lock). */
static uint64_t retired_blk_count;

static size_t header_bytes(void) {
  size_t ps = tm_raw_page_size();
  return (TM_THREAD_BYTES + ps - 1) & ~(ps - 1);
}

static void registry_unlink(tm_thread_t *t) {
  if (t->prev)
    t->prev->next = t->next;
  else
    registry = t->next;
  if (t->next)
    t->next->prev = t->prev;
}

static void shadow_destroy(void *mem) {
  tm_thread_t *t = mem;
  // Handlers queue no more (they count drops instead); what they queued
  // is recorded before the queue goes.
  tm_thread_own = NULL;
  atomic_signal_fence(memory_order_seq_cst);
  tm_core_flush_queue(t);
  // Its last name, while the thread can still say it (prctl).
  tm_thread_registry_exit();
  // Its allocations not yet in the timeline's count.
  tm_timeline_thread_exit();
  // In this order (see Order above): no state, then unmap.
  tm_thread_self = NULL;
  atomic_signal_fence(memory_order_seq_cst);
  thread_state = THREAD_EXITED;
  tm_reentrant++; // a handler's malloc must not wait for threads_lock
  tm_spin_lock(&threads_lock);
  retired_blk_count += t->blk_owner.count;
  tm_spin_lock(&registry_lock);
  registry_unlink(t);
  tm_spin_unlock(&registry_lock);
  tm_spin_unlock(&threads_lock);
  tm_reentrant--;
  munmap(mem, t->map_bytes);
}

static void make_key(void) {
  if (pthread_key_create(&shadow_key, shadow_destroy) != 0)
    shadow_key = (pthread_key_t)-1;
}

/* This thread's stack, once (the capture reads records only inside it),
 * without malloc (stack_bounds.h). A context switched to before this keeps
 * its own bounds. */
static void stack_bounds_init(void) {
  if (tm_stack_hi != 0)
    return;
  uintptr_t lo, hi;
  if (tm_stack_bounds(&lo, &hi)) {
    tm_stack_lo = lo;
    tm_stack_hi = hi;
  }
}

static __attribute__((noinline)) void shadow_init_slow(void) {
  // A dormant copy sets up no thread: the active runtime keeps the threads'
  // state (and its __tm_shadow_top is the one instrumented code writes).
  if (tm_rendezvous_dormant())
    return;
  int saved_errno = errno;
  thread_state = THREAD_LIVE; // no recursion from here on
  pthread_once(&shadow_once, make_key);
  size_t hdr = header_bytes();
  // Not charged to TM_MEM_TABLES: counted by resident pages (shadow_stack.h).
  stack_bounds_init();
  void *mem = mmap(NULL, hdr + GATHER_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) {
    thread_state = THREAD_NONE; // try again on a later allocation
    errno = saved_errno;
    return;
  }
  tm_thread_t *t = mem;
  t->map_bytes = hdr + GATHER_BYTES;
  uintptr_t *g = (uintptr_t *)((char *)mem + hdr);
  t->gather = (const struct tm_site **)g;
  t->gather_addr = g + TM_GATHER_SLOTS;
  t->gather_scratch_site = (const struct tm_site **)(g + 2 * TM_GATHER_SLOTS);
  t->gather_scratch_addr = g + 3 * TM_GATHER_SLOTS;
  t->gather_cum = (uint32_t *)(g + 4 * TM_GATHER_SLOTS);
  tm_reentrant++; // a handler's malloc must not wait for threads_lock
  tm_spin_lock(&threads_lock);
  tm_spin_lock(&registry_lock);
  t->next = registry;
  if (registry)
    registry->prev = t;
  registry = t;
  tm_spin_unlock(&registry_lock);
  tm_spin_unlock(&threads_lock);
  tm_reentrant--;
  if (shadow_key != (pthread_key_t)-1) {
    tm_reentrant += TM_REENTRANT_IGNORE;
    pthread_setspecific(shadow_key, mem);
    tm_reentrant -= TM_REENTRANT_IGNORE;
  }
  // In this order (see Order above): the header, then the state.
  atomic_signal_fence(memory_order_seq_cst);
  tm_thread_own = t;
  tm_thread_self = t;
  errno = saved_errno;
}

void tm_shadow_thread_init(void) {
  if (TM_LIKELY(thread_state != THREAD_NONE))
    return;
  shadow_init_slow();
}

/* Resident bytes of [p, p + bytes), whole pages of size ps. */
static size_t resident_bytes(const void *p, size_t bytes, size_t ps) {
  uintptr_t start = (uintptr_t)p & ~(uintptr_t)(ps - 1);
  size_t pages = ((uintptr_t)p + bytes - start + ps - 1) / ps, total = 0;
  unsigned char vec[256];
  for (size_t off = 0; off < pages; off += sizeof vec) {
    size_t n = pages - off < sizeof vec ? pages - off : sizeof vec;
    if (mincore((void *)(start + off * ps), n * ps, vec) != 0)
      continue;
    for (size_t i = 0; i < n; i++)
      total += (vec[i] & 1) ? ps : 0;
  }
  return total;
}

/* The context mappings: a list through a word in front of the caller's
 * header, under registry_lock. */
struct context_map {
  struct context_map *next;
  size_t bytes;
};
static struct context_map *context_maps;

void *tm_shadow_context_map(size_t header) {
  size_t ps = tm_raw_page_size();
  size_t hdr = (sizeof(struct context_map) + header + ps - 1) & ~(ps - 1);
  void *mem = mmap(NULL, hdr, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return NULL;
  struct context_map *m = mem;
  m->bytes = hdr;
  tm_spin_lock(&registry_lock);
  m->next = context_maps;
  context_maps = m;
  tm_spin_unlock(&registry_lock);
  return m + 1;
}

size_t tm_shadow_memory(void) {
  size_t ps = tm_raw_page_size();
  size_t total = 0;
  tm_spin_lock(&registry_lock);
  for (tm_thread_t *t = registry; t; t = t->next)
    total += resident_bytes(t, t->map_bytes, ps);
  for (struct context_map *m = context_maps; m; m = m->next)
    total += resident_bytes(m, m->bytes, ps);
  tm_spin_unlock(&registry_lock);
  return total;
}

void tm_shadow_threads_lock(void) { tm_spin_lock(&threads_lock); }

void tm_shadow_threads_unlock(void) { tm_spin_unlock(&threads_lock); }

void tm_shadow_threads_wait_idle(void) {
  for (tm_thread_t *t = registry; t; t = t->next)
    for (unsigned n = 0;
         atomic_load_explicit(&t->blk_owner.busy, memory_order_acquire); n++)
      if (n < 64)
        tm_spin_pause();
      else
        sched_yield();
}

#ifdef TM_DEBUG
bool tm_shadow_threads_locked(void) { return tm_spin_held(&threads_lock); }

void tm_shadow_blk_count_debug_add_locked(int64_t delta) {
  tm_thread_t *t = tm_thread_own;
  *(t ? &t->blk_owner.count : &retired_blk_count) += (uint64_t)delta;
}
#endif

uint64_t tm_shadow_blk_count_locked(void) {
  uint64_t n = retired_blk_count;
  for (tm_thread_t *t = registry; t; t = t->next)
    n += t->blk_owner.count;
  return n;
}

void tm_shadow_blk_count_clear_locked(void) {
  retired_blk_count = 0;
  for (tm_thread_t *t = registry; t; t = t->next)
    t->blk_owner.count = 0;
}

void tm_shadow_atfork_prepare(void) { tm_spin_lock(&registry_lock); }
void tm_shadow_atfork_parent(void) { tm_spin_unlock(&registry_lock); }

void tm_shadow_atfork_child(void) {
  // Only this thread exists in the child: the other threads' mappings are
  // copies nobody will use (their key destructors never run here).
  tm_spin_reset(&registry_lock);
  tm_spin_reset(&threads_lock);
  // tm_thread_own: tm_thread_self is parked at NULL while a handler's
  // queue waits (shadow_stack.h), and the mapping is still this thread's.
  tm_thread_t *self = tm_thread_own ? tm_thread_own : tm_thread_self;
  for (tm_thread_t *t = registry, *next; t; t = next) {
    next = t->next;
    if (t == self)
      continue;
    // Its blocks are the child's too, and their trailer traces count.
    retired_blk_count += t->blk_owner.count;
    munmap(t, t->map_bytes);
  }
  registry = self;
  if (self)
    self->next = self->prev = NULL;
}
