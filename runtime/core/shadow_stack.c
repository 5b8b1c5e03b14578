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
 * Header-trace owners. Each mapping's hdr_owner is the busy mark and the
 * count of that thread's header-block operations (trace_table.h).
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
 * is added to retired_hdr_count when it is unlinked (its frees and
 * allocations still count: the blocks outlive it).
 *
 * Reentrancy. pthread_setspecific may calloc its second-level array; the
 * call is bracketed by tm_reentrant so that allocation is not traced and
 * cannot come back here. The per-thread state also stops a destructor-time
 * allocation from mapping new state after the old one was freed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "raw_alloc.h"
#include "rendezvous.h"
#include "shadow_stack.h"
#include "site_sections.h"
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
/* The header counts of the threads unlinked since the last clear (under
 * threads_lock). */
static uint64_t retired_hdr_count;

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
  retired_hdr_count += t->hdr_owner.count;
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

/* Dead records (below the capture's frame) are followed only this far
 * below it: the pages right under the stack pointer are mapped or, on the
 * main thread's growing stack, within the distance the kernel grows it
 * for. */
#define DEAD_WINDOW ((uintptr_t)64 << 10)

__thread int tm_shadow_replay TM_TLS_IE;

/* Memo. A walk of every record costs the stack's depth on every capture
 * (10,000 records in recursion.c's `linear`: 11 instructions each). So a
 * thread keeps the chain its last capture read (slots 1..memo_len: address,
 * site, prefix count of frames), and that capture tagged each of those
 * records by setting the low bit of its site field (sites are 8-aligned).
 * A frame that is entered anew stores a whole, untagged site before it
 * calls anything; after that it stores whole sites or moves to its next
 * site by adding the distance (`rec.site += d`, which keeps a tag and
 * changes the site; tracemalloc_abi.h section 3). So a tagged record with
 * a live callee has not been entered anew since a capture read it, and
 * holds what the memo holds when its site is the memo's: the walk stops
 * at the first tagged record that is at the memo's slot j for its address,
 * with the memo's site, whose prev is the memo's slot j-1 (or slot 1's
 * prev), and whose caller's record (slot j-1) is tagged with the memo's
 * site too. Slots 1..j are then the memo's, as they are, and only the
 * records above are read. The last check covers the one record that may
 * not have stored its site yet: a frame interrupted by a signal between
 * its entry and its first call, which still holds the site (maybe tagged)
 * of an earlier frame at its address; its caller stored a fresh, untagged
 * site before calling it, or added a distance to a tagged one (then the
 * site differs from the memo's, or is the memo's and the walk would read
 * the same), unless a later capture (which made the memo) tagged it. The
 * allocating function's own record
 * (TM_SITE_OWN_FRAME) is never read.
 * Only records of the stack the thread is on (tm_stack_lo/hi) are
 * memoised: the memo is dropped when that stack changes (swapcontext), a
 * handler's records on sigaltstack are read every time, a walk that ends
 * in an unknown frame (a record that fails the checks) or at the 65,535
 * cap memoises and tags nothing, and a replayed deferred allocation
 * (tm_shadow_replay: a handler's dead records) neither reads nor writes it.
 * Tags are written only into records that passed every check, and only over
 * a valid site pointer: program data never holds one. */

/* Slot j (1..memo_len) of the memo whose record is at a, or 0. Addresses
 * decrease from slot 1 (the bottom) up. */
static uintptr_t memo_find(tm_thread_t *t, uintptr_t a) {
  uintptr_t lo = 1, hi = t->memo_len;
  if (hi && t->gather_addr[hi] == a) // the common case: the same top
    return hi;
  // The next most common: the slot the last walk stopped at (an
  // interpreter's loop frame, whose callees come and go on every call).
  uintptr_t last = t->memo_last;
  if (last && last <= hi && t->gather_addr[last] == a)
    return last;
  while (lo <= hi) {
    uintptr_t mid = lo + (hi - lo) / 2;
    uintptr_t m = t->gather_addr[mid];
    if (m == a)
      return t->memo_last = mid;
    if (m > a)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return 0;
}

/* Frames a site expands to: itself and its inlined_at chain (an unknown
 * slot, NULL, is one frame), capped at TM_TOTAL_CAP. */
static inline uint32_t site_frames(const struct tm_site *s) {
  uint32_t n = 1;
  if (s)
    for (s = s->inlined_at; s && n < TM_TOTAL_CAP; s = s->inlined_at)
      n++;
  return n;
}

struct tm_shadow tm_shadow_gather(tm_thread_t *t, bool own) {
  const struct tm_frame_record *r = __tm_shadow_top;
  uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
  // The regions records may be in, in chain order: the stack the capture
  // runs on, and under a handler on the alternate stack, then the thread's.
  uintptr_t lo[2], hi[2];
  int nr = 0, mr = -1; // mr: the region of the thread's stack (memoised)
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  if (fa >= slo && fa < shi) {
    lo[0] = slo;
    hi[0] = shi;
    nr = 1;
    mr = 0;
  } else {
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
        fa >= (uintptr_t)ss.ss_sp && fa - (uintptr_t)ss.ss_sp < ss.ss_size) {
      lo[0] = (uintptr_t)ss.ss_sp;
      hi[0] = (uintptr_t)ss.ss_sp + ss.ss_size;
      nr = 1;
      if (shi > slo) {
        lo[1] = slo;
        hi[1] = shi;
        nr = 2;
        mr = 1;
      }
    }
  }
  bool memo = t && !tm_shadow_replay && shi != 0;
  if (t && (!memo || t->memo_hi != shi)) {
    t->memo_len = 0;
    t->memo_hi = memo ? shi : 0;
  }
  const struct tm_site **ss = t ? t->gather_scratch_site : NULL;
  uintptr_t *sa = t ? t->gather_scratch_addr : NULL;
  uintptr_t k = 0, prev = 0, top = 0, base = 0;
  // How many of the slots read last (the bottom ones) are memoisable: this
  // stack's records (sa[] nonzero), counted as the walk goes.
  uintptr_t run = 0;
  const struct tm_site *valid = NULL; // the last site found valid
  bool clean = false;                 // ended at the bottom, or on the memo
  // The registered section the last valid site was in, [vb, vb + vlen):
  // a site in it needs no search of the table (site_sections.h).
  uintptr_t vb = 0, vlen = 0;
  bool live = false; // past the dead records
  bool mine = memo && mr == 0;
  int ri = 0;
  if (nr) {
    // The dead window, within the region.
    uintptr_t w = fa - lo[0] > DEAD_WINDOW ? fa - DEAD_WINDOW : lo[0];
    prev = w - 1;
    top = hi[0] - sizeof *r; // the highest address a record can start at
  }
  while (k < TM_GATHER_SLOTS - 1) {
    // A run of live records with the site last found valid, untagged (a
    // recursion; a tagged record takes the general path below, for the
    // memo): read with the bounds check only (21 instructions a record
    // instead of 35 on x86-64; docs/performance.md, issue 15).
    if (live && t && valid) {
      uintptr_t sav = mine ? ~(uintptr_t)0 : 0, k0 = k;
      while (k < TM_GATHER_SLOTS - 1 && r) {
        uintptr_t a = (uintptr_t)r;
        if (a <= prev || a > top ||
            (a & (_Alignof(struct tm_frame_record) - 1)) || r->site != valid)
          break;
        ss[k] = valid;
        sa[k] = a & sav;
        k++;
        prev = a;
        r = r->prev;
      }
      if (k != k0)
        run = mine ? run + (k - k0) : 0;
      if (k >= TM_GATHER_SLOTS - 1)
        break;
    }
    if (!r) {
      clean = true;
      break;
    }
    uintptr_t a = (uintptr_t)r;
    if (TM_UNLIKELY(a <= prev || a > top ||
                    (a & (_Alignof(struct tm_frame_record) - 1)))) {
      if (ri + 1 < nr) {
        // The interrupted stack's chain, below a handler on sigaltstack.
        ri++;
        prev = lo[ri] - 1;
        top = hi[ri] - sizeof *r;
        mine = memo && mr == ri;
        continue;
      }
      if (t) { // the chain ends here, as one unknown frame
        ss[k] = NULL;
        sa[k] = 0;
      }
      k++;
      run = 0;
      break;
    }
    prev = a;
    const struct tm_frame_record *next = r->prev;
    if (TM_UNLIKELY(!live)) {
      if (ri == 0 && a <= fa) { // dead: skipped
        r = next;
        continue;
      }
      live = true;
      if (own) { // the allocating function's own record: not read
        if (t) {
          ss[k] = NULL;
          sa[k] = 0;
        }
        k++;
        run = 0;
        r = next;
        continue;
      }
    }
    uintptr_t sv = (uintptr_t)r->site;
    if (TM_UNLIKELY(sv & 1) && mine) {
      uintptr_t j = memo_find(t, a);
      if (j && (const struct tm_site *)(sv & ~(uintptr_t)1) == t->gather[j] &&
          (uintptr_t)next == (j > 1 ? t->gather_addr[j - 1] : t->memo_prev0) &&
          (j == 1 ||
           (t->gather[j - 1] &&
            (uintptr_t)((const struct tm_frame_record *)t->gather_addr[j - 1])
                    ->site == ((uintptr_t)t->gather[j - 1] | 1)))) {
        base = j;
        clean = true;
        break;
      }
    }
    const struct tm_site *s = (const struct tm_site *)(sv & ~(uintptr_t)1);
    // Recursion repeats one site: checked once per walk. Sections are
    // read once per walk, like the records (a site of a module unloaded
    // during the walk would be just as stale after a per-site check).
    if (s != valid) {
      uintptr_t off = (uintptr_t)s - vb;
      if ((off < vlen && off % sizeof(struct tm_site) == 0) ||
          tm_site_section_find(s, &vb, &vlen))
        valid = s;
      else
        s = NULL;
    }
    if (t) {
      ss[k] = s;
      sa[k] = mine ? a : 0;
    }
    k++;
    run = mine ? run + 1 : 0;
    r = next;
  }
  if (!t) {
    struct tm_shadow sh = {k, NULL};
    return sh;
  }
  // Place the records read above the memo's slots 1..base, bottom-up. The
  // memoisable ones (this stack's, from the bottom, on a clean walk) extend
  // the memo and are tagged.
  uintptr_t q = memo && clean ? run : 0;
  uintptr_t d = base;
  const struct tm_site *last = (const struct tm_site *)1;
  uint32_t frames = 0;
  // Locals: the tag stores below could alias the fields of *t.
  const struct tm_site **g = t->gather;
  uint32_t *cum = t->gather_cum;
  uintptr_t *ga = t->gather_addr;
  uint32_t c = cum[d];
  // Two loops, so that neither tests which part it is in: the memoisable
  // records (the q bottom ones) are recorded and tagged, the others only
  // recorded.
  uintptr_t x = k;
  for (; x > k - q; d++) {
    const struct tm_site *s = ss[--x];
    if (s != last) {
      last = s;
      frames = site_frames(s);
    }
    c += frames;
    c = c < TM_TOTAL_CAP ? c : TM_TOTAL_CAP;
    g[d + 1] = s;
    cum[d + 1] = c;
    uintptr_t a = sa[x];
    ga[d + 1] = a;
    if (s) // tag it (relaxed: only this thread and its handlers read it)
      __atomic_store_n(&((struct tm_frame_record *)a)->site,
                       (const struct tm_site *)((uintptr_t)s | 1),
                       __ATOMIC_RELAXED);
  }
  for (; x > 0; d++) {
    const struct tm_site *s = ss[--x];
    if (s != last) {
      last = s;
      frames = site_frames(s);
    }
    c += frames;
    c = c < TM_TOTAL_CAP ? c : TM_TOTAL_CAP;
    g[d + 1] = s;
    cum[d + 1] = c;
  }
  if (memo) {
    if (base == 0 && q)
      t->memo_prev0 =
          (uintptr_t)((const struct tm_frame_record *)sa[k - 1])->prev;
    t->memo_len = clean ? base + q : 0;
  }
  struct tm_shadow sh = {d, t->gather};
  return sh;
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
         atomic_load_explicit(&t->hdr_owner.busy, memory_order_acquire); n++)
      if (n < 64)
        tm_spin_pause();
      else
        sched_yield();
}

#ifdef TM_DEBUG
bool tm_shadow_threads_locked(void) { return tm_spin_held(&threads_lock); }

void tm_shadow_hdr_count_debug_add_locked(int64_t delta) {
  tm_thread_t *t = tm_thread_own;
  *(t ? &t->hdr_owner.count : &retired_hdr_count) += (uint64_t)delta;
}
#endif

uint64_t tm_shadow_hdr_count_locked(void) {
  uint64_t n = retired_hdr_count;
  for (tm_thread_t *t = registry; t; t = t->next)
    n += t->hdr_owner.count;
  return n;
}

void tm_shadow_hdr_count_clear_locked(void) {
  retired_hdr_count = 0;
  for (tm_thread_t *t = registry; t; t = t->next)
    t->hdr_owner.count = 0;
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
    // Its blocks are the child's too, and their header traces count.
    retired_hdr_count += t->hdr_owner.count;
    munmap(t, t->map_bytes);
  }
  registry = self;
  if (self)
    self->next = self->prev = NULL;
}
