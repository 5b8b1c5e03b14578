/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_scan.c - TRACEMALLOC_LEAKS=1: at exit, classify every live traced
 * block of domain 0 as definitely lost, indirectly lost or reachable, with
 * a conservative reachability scan like LeakSanitizer's (lsan_common.cpp).
 *
 * Design.
 *  1. With every trace-table lock held (no block comes or goes), the live
 *     blocks are copied into one array sorted by address: trailer blocks
 *     come from the block index already in address order, side-table
 *     blocks from the shards; a radix sort orders the whole when there are
 *     side-table blocks. Every array comes from the runtime's mmap
 *     allocator, never malloc, and everything is allocated before step 2.
 *  2. The other threads are stopped (thread_stop.c), then the roots are
 *     scanned: the writable PT_LOAD segments of every loaded module
 *     (dl_iterate_phdr, read before the stop: it takes the loader's lock),
 *     except libtracemalloc.so's own; every thread's registers, its stack
 *     from its stack pointer to the end of the mapping that holds it
 *     (/proc/self/maps, read with plain system calls), and its static TLS
 *     and thread descriptor around its thread pointer, each bounded so as
 *     never to reach the runtime's own memory (leak_roots.c); this
 *     thread's from the scan's entry frame up; and the one word of each
 *     ended thread's cached descriptor that points to its TLS vector
 *     (leak_thread_descriptors.c). Each aligned word that
 *     points into a block (its start or inside it, as LSan counts interior
 *     pointers) marks that block reachable and pushes it on an explicit
 *     work stack; the stack is drained by scanning each block's contents
 *     the same way. The threads go on after that.
 *  3. The blocks left are lost. In address order, each one still unmarked
 *     becomes definitely lost and everything reachable from it that is not
 *     yet marked becomes indirectly lost; a definitely lost block found
 *     again from a later one becomes indirectly lost (it hangs under that
 *     one). So a block is definitely lost when no other lost block points
 *     to it, and a lost cycle with nothing outside pointing in has exactly
 *     one definitely lost block (its lowest address) - valgrind's rule; LSan
 *     reports such a cycle as indirect leaks only.
 *  4. The result is grouped by (traceback, class) into a small snapshot of
 *     its own (converted while the locks still hold the tracebacks), which
 *     the exit dump attaches (tm_leaks_attach) and the report prints
 *     (leak_report.c) after the dump.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "internal.h"
#include "leak_group.h"
#include "leak_roots.h"
#include "leak_thread_descriptors.h"
#include "leaks.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"
#include "thread_stop.h"
#include "trace_table.h"
#include "traceback.h"
#include "warn.h"

enum {
  MAX_THREADS = 4096,
  MAX_RANGES = 8192,
  BUCKETS_PER_BLOCK = 2,
  RED_ZONE = 128, // below the stack pointer (x86-64 SysV)
};

typedef struct scan {
  tm_leak_block_t *b;
  size_t n;
  uintptr_t lo, hi; // [lo, hi): the span of every block
  uint32_t *stack;  // work stack of block indices; each pushed at most once
  size_t top;
  // Buckets of 2^shift bytes of [lo, hi): bucket[k] is the first block
  // starting at or after lo + (k << shift), so a lookup searches a few
  // blocks instead of all of them. NULL when the span is too sparse for
  // a table of at most BUCKETS_PER_BLOCK entries per block: a binary
  // search over every block then.
  uint32_t *bucket;
  size_t nbuckets;
  unsigned shift;
} scan_t;

/* ---- the result -------------------------------------------------------- */

static tm_snapshot_t *result; // the classification, or NULL: no scan yet

const tm_snapshot_t *tm_leaks_result(void) { return result; }

/* ---- blocks ------------------------------------------------------------ */

typedef struct collect {
  tm_leak_block_t *b;
  size_t n, max;
} collect_t;

static int add_trl(void *arg, uintptr_t p) {
  collect_t *c = arg;
  size_t size;
  uint32_t tb;
  if (c->n == c->max || !tm_trl_get(p, &size, &tb))
    return 0;
  c->b[c->n++] = (tm_leak_block_t){p, size, tb, TM_LEAK_ST_UNMARKED};
  return 0;
}

/* The size of main-table entry (key, val) of pair p. */
static uint64_t side_size(const tm_tt_pair_t *p, uint64_t key, uint64_t val) {
  if ((uint32_t)val != TM_TT_BIG_SIZE)
    return (uint32_t)val;
  const tm_tt_table_t *big = &p->big;
  if (!big->count)
    return 0;
  for (uint32_t i = tm_tt_home(key, big->cap);;
       i = i + 1 == big->cap ? 0 : i + 1) {
    if (big->slots[i].key == key)
      return big->slots[i].val;
    if (!big->slots[i].key)
      return 0;
  }
}

static void add_side(collect_t *c) {
  for (unsigned s = 0; s < TM_TRACE_SHARDS; s++) {
    const tm_tt_pair_t *p = &tm_tt_shards[s].t;
    // The entry for address 0 (has_zero) cannot be pointed to: skipped.
    for (uint32_t i = 0; i < p->main.cap && c->n < c->max; i++) {
      const tm_tt_entry_t *e = &p->main.slots[i];
      if (e->key)
        c->b[c->n++] =
            (tm_leak_block_t){e->key, side_size(p, e->key, e->val),
                              (uint32_t)(e->val >> 32), TM_LEAK_ST_UNMARKED};
    }
  }
}

/* LSD radix sort on the address, 16 bits per pass over bits 0..63 that
 * vary (the pass is skipped when every key has the same digit). */
static bool sort_blocks(tm_leak_block_t *b, size_t n) {
  tm_leak_block_t *tmp = tm_raw_map(n * sizeof *tmp, TM_MEM_OBJECTS);
  size_t *count = tm_raw_map(65536 * sizeof *count, TM_MEM_OBJECTS);
  if (!tmp || !count) {
    if (tmp)
      tm_raw_unmap(tmp, n * sizeof *tmp, TM_MEM_OBJECTS);
    if (count)
      tm_raw_unmap(count, 65536 * sizeof *count, TM_MEM_OBJECTS);
    return false;
  }
  tm_leak_block_t *src = b, *dst = tmp;
  for (unsigned shift = 0; shift < 64; shift += 16) {
    memset(count, 0, 65536 * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[(src[i].beg >> shift) & 0xffff]++;
    if (count[(src[0].beg >> shift) & 0xffff] == n)
      continue;
    size_t sum = 0;
    for (size_t d = 0; d < 65536; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      dst[count[(src[i].beg >> shift) & 0xffff]++] = src[i];
    tm_leak_block_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != b)
    memcpy(b, src, n * sizeof *b);
  tm_raw_unmap(tmp, n * sizeof *tmp, TM_MEM_OBJECTS);
  tm_raw_unmap(count, 65536 * sizeof *count, TM_MEM_OBJECTS);
  return true;
}

/* ---- marking ----------------------------------------------------------- */

/* The block holding address p (its start or inside it), or -1. */
static inline ptrdiff_t find_block(const scan_t *s, uintptr_t p) {
  if (p < s->lo || p >= s->hi)
    return -1;
  size_t lo = 0, hi = s->n; // the last block with beg <= p
  if (s->bucket) {
    // Blocks that start in p's bucket, and the last one before it (it
    // may reach into the bucket).
    size_t k = (p - s->lo) >> s->shift;
    lo = s->bucket[k] ? s->bucket[k] - 1 : 0;
    hi = s->bucket[k + 1];
  }
  while (hi - lo > 1) { // b[lo].beg <= p (lo is 0 or a block before p)
    size_t mid = lo + (hi - lo) / 2;
    if (s->b[mid].beg <= p)
      lo = mid;
    else
      hi = mid;
  }
  const tm_leak_block_t *b = &s->b[lo];
  if (p < b->beg)
    return -1;
  // A zero-size block is pointed to by its address only.
  if (p - b->beg < b->size || p == b->beg)
    return (ptrdiff_t)lo;
  return -1;
}

/* Every aligned word of [beg, end): the blocks it points to, unmarked,
 * get `to` and are pushed. `self`: the block being scanned (a pointer to
 * itself changes nothing), or -1. `leader`: for the lost pass, the
 * definitely lost block at the root of this flood; another definitely lost
 * block found becomes indirect. */
static void scan_range(scan_t *s, uintptr_t beg, uintptr_t end, uint32_t to,
                       ptrdiff_t self, ptrdiff_t leader) {
  beg = (beg + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
  for (uintptr_t a = beg; a + sizeof(uintptr_t) <= end;
       a += sizeof(uintptr_t)) {
    uintptr_t p = *(const volatile uintptr_t *)a;
    if (p < s->lo || p >= s->hi)
      continue;
    ptrdiff_t i = find_block(s, p);
    if (i < 0 || i == self || i == leader)
      continue;
    tm_leak_block_t *b = &s->b[i];
    if (b->state == TM_LEAK_ST_UNMARKED) {
      b->state = to;
      s->stack[s->top++] = (uint32_t)i;
    } else if (to == TM_LEAK_ST_INDIRECT && b->state == TM_LEAK_ST_DIRECT) {
      b->state = TM_LEAK_ST_INDIRECT; // its flood is done: not pushed again
    }
  }
}

static void flood(scan_t *s, uint32_t to, ptrdiff_t leader) {
  while (s->top) {
    uint32_t i = s->stack[--s->top];
    const tm_leak_block_t *b = &s->b[i];
    scan_range(s, b->beg, b->beg + b->size, to, i, leader);
  }
}

/* The bucket table of s (scan_t), when the span allows one and the
 * runtime has the memory (else lookups search every block). */
static void make_buckets(scan_t *s) {
  if (s->n < 2)
    return;
  uintptr_t span = s->hi - s->lo;
  unsigned shift = 4; // blocks are at least 16-byte aligned apart
  while ((span >> shift) >= BUCKETS_PER_BLOCK * s->n && shift < 63)
    shift++;
  size_t nb = (size_t)(span >> shift) + 1;
  if (nb > BUCKETS_PER_BLOCK * s->n + 1)
    return;
  uint32_t *bucket = tm_raw_map((nb + 1) * sizeof *bucket, TM_MEM_OBJECTS);
  if (!bucket)
    return;
  size_t i = 0;
  for (size_t k = 0; k <= nb; k++) {
    uintptr_t start = s->lo + ((uintptr_t)k << shift);
    while (i < s->n && s->b[i].beg < start)
      i++;
    bucket[k] = (uint32_t)i;
  }
  s->bucket = bucket;
  s->nbuckets = nb;
  s->shift = shift;
}

/* ---- the scan ---------------------------------------------------------- */

static ucontext_t self_context; // this thread's registers (not on its stack)

/* Everything sized before the other threads stop (locks held). */
typedef struct scan_mem {
  tm_leak_block_t *b;
  size_t bmax;
  uint32_t *stack;
  tm_range_t *ranges;
  tm_stopped_t *threads;
  char *maps;
  size_t maps_max;
} scan_mem_t;

static void mem_free(scan_mem_t *m) {
  if (m->b)
    tm_raw_unmap(m->b, m->bmax * sizeof *m->b, TM_MEM_OBJECTS);
  if (m->stack)
    tm_raw_unmap(m->stack, m->bmax * sizeof *m->stack, TM_MEM_OBJECTS);
  if (m->ranges)
    tm_raw_unmap(m->ranges, MAX_RANGES * sizeof *m->ranges, TM_MEM_OBJECTS);
  if (m->threads)
    tm_raw_unmap(m->threads, MAX_THREADS * sizeof *m->threads, TM_MEM_OBJECTS);
  if (m->maps)
    tm_raw_unmap(m->maps, m->maps_max, TM_MEM_OBJECTS);
}

/* With every lock held. Returns the classification or NULL. */
static tm_snapshot_t *scan_locked(uintptr_t entry_frame,
                                  const tm_tls_layout_t *layout, tm_roots_t *rs,
                                  scan_mem_t *m) {
  collect_t c = {m->b, 0, m->bmax};
  if (tm_blk_maybe())
    tm_blk_foreach(add_trl, &c);
  size_t ntrl = c.n;
  add_side(&c);
  if (c.n > ntrl && !sort_blocks(c.b, c.n))
    return NULL;
  scan_t s = {.b = c.b, .n = c.n, .lo = UINTPTR_MAX, .stack = m->stack};
  if (s.n) {
    s.lo = s.b[0].beg;
    for (size_t i = 0; i < s.n; i++) {
      uintptr_t e = s.b[i].beg + (s.b[i].size ? s.b[i].size : 1);
      if (e > s.hi)
        s.hi = e;
    }
  }
  make_buckets(&s);
  size_t nthreads = tm_threads_stop(m->threads, MAX_THREADS);
  tm_roots_read_maps(m->maps, m->maps_max);
  // sp as if the red zone were above the entry frame: the range starts
  // at the entry frame.
  tm_roots_add_thread(rs, m->maps, entry_frame + RED_ZONE, tm_thread_pointer(),
                      layout);
  tm_roots_add(rs, (uintptr_t)&self_context.uc_mcontext,
               (uintptr_t)(&self_context.uc_mcontext + 1));
  for (size_t i = 0; i < nthreads; i++) {
    tm_stopped_t *t = &m->threads[i];
    if (!atomic_load_explicit(&t->stopped, memory_order_acquire))
      continue; // still running: nothing of it can be read safely
    tm_roots_add(rs, (uintptr_t)&t->regs, (uintptr_t)(&t->regs + 1));
    tm_roots_add_thread(rs, m->maps, t->sp, t->tp, layout);
  }
  tm_roots_add_thread_descriptors(rs, m->maps, layout);
  for (size_t i = 0; i < rs->n; i++) {
    scan_range(&s, rs->r[i].beg, rs->r[i].end, TM_LEAK_ST_REACHABLE, -1, -1);
    flood(&s, TM_LEAK_ST_REACHABLE, -1);
  }
  tm_threads_resume();
  // The lost ones, in address order (see the top comment).
  for (size_t i = 0; i < s.n; i++) {
    if (s.b[i].state != TM_LEAK_ST_UNMARKED)
      continue;
    s.b[i].state = TM_LEAK_ST_DIRECT;
    s.stack[s.top++] = (uint32_t)i;
    flood(&s, TM_LEAK_ST_INDIRECT, (ptrdiff_t)i);
  }
  tm_snapshot_t *snap = tm_leak_group(
      s.b, s.n, atomic_load_explicit(&tm_trace_limit, memory_order_relaxed));
  if (s.bucket)
    tm_raw_unmap(s.bucket, (s.nbuckets + 1) * sizeof *s.bucket, TM_MEM_OBJECTS);
  return snap;
}

/* The scan, given where this thread's stack roots start. */
static __attribute__((noinline)) void scan_from(uintptr_t entry_frame) {
  if (!tm_is_tracing()) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS=1: tracing is off at "
            "exit (%s), no leak check",
            tm_tracing_off_reason());
    return;
  }
  int saved_errno = errno;
  tm_core_flush_deferred();
  tm_reentrant += TM_REENTRANT_IGNORE;
  tm_tls_layout_t layout = tm_roots_tls_layout(); // dlsym: before any lock
  scan_mem_t m = {0};
  m.ranges = tm_raw_map(MAX_RANGES * sizeof *m.ranges, TM_MEM_OBJECTS);
  tm_roots_t rs = {m.ranges, 0, MAX_RANGES, (uintptr_t)&tm_leaks_scan};
  if (m.ranges)
    tm_roots_add_modules(&rs); // takes the loader's lock: not stopped
  tm_trace_table_lock_all();
  m.bmax = tm_trace_table_count_locked() + 1;
  if (m.bmax > UINT32_MAX) // block indices are 32-bit
    m.bmax = 0;
  m.maps_max = tm_roots_maps_size() * 2 + 65536;
  if (m.bmax) {
    m.b = tm_raw_map(m.bmax * sizeof *m.b, TM_MEM_OBJECTS);
    m.stack = tm_raw_map(m.bmax * sizeof *m.stack, TM_MEM_OBJECTS);
  }
  m.threads = tm_raw_map(MAX_THREADS * sizeof *m.threads, TM_MEM_OBJECTS);
  m.maps = tm_raw_map(m.maps_max, TM_MEM_OBJECTS);
  tm_snapshot_t *snap = NULL;
  if (m.bmax && m.b && m.stack && m.ranges && m.threads && m.maps)
    snap = scan_locked(entry_frame, &layout, &rs, &m);
  tm_trace_table_unlock_all();
  mem_free(&m);
  if (snap) {
    tm_snapshot_free(result);
    result = snap;
  } else {
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS=1: out of memory, no "
            "leak check");
  }
  tm_reentrant -= TM_REENTRANT_IGNORE;
  errno = saved_errno;
}

void tm_leaks_scan(void) {
  // The caller's callee-saved registers first, before any code of ours
  // could save one below this frame and reuse it; the roots of this
  // thread's stack start at this frame: the frames below it (scan_from's
  // and its callees') are the scan's own.
  getcontext(&self_context);
  scan_from((uintptr_t)__builtin_frame_address(0));
}
