/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* raw_alloc.c - the runtime's own mmap-backed allocator (see raw_alloc.h).
 *
 * Small blocks: the request plus a 16-byte header is rounded up to one of
 * NCLASSES size classes. Each class has a free list and a bump region carved
 * from 64 KiB chunks obtained with mmap; a spinlock per class guards both
 * (held for a few instructions, never across a system call that could block
 * for long except the chunk mmap itself). Chunks are never returned to the
 * system: free blocks are recycled within their class.
 *
 * Large blocks: mmap'ed individually, header included. On free, a block of
 * at most CACHE_MAX_BLOCK bytes is kept in a small cache (the last
 * CACHE_SLOTS blocks, CACHE_MAX_BYTES in all) instead of being unmapped,
 * and the next large request it fits (without wasting more than half of
 * it) takes it.
 * The page mappings of tm_raw_map (regions, scan tables) go through the
 * same cache, reused only at their exact size (and cleared, since callers
 * count on zeroed pages).
 * Why: analysis code (statistics, grouping, the CLI) allocates and frees
 * tables of tens of KiB to a few MiB in bursts, and each munmap of a
 * process with more than one thread makes the kernel interrupt every CPU
 * that runs it to flush its TLB (under a hypervisor that is an exit per
 * CPU); an mmap'ed block is also faulted in page by page again. The fuzz
 * target of the report commands spent 51% of its time in those flushes.
 * Cached blocks are not counted in any category (they are not handed out).
 *
 * Zeroing: tm_raw_calloc clears only memory that may be dirty (a recycled
 * small block, a cached large block), never fresh pages, which the kernel
 * gives zeroed: clearing them would fault in every page for nothing.
 *
 * Accounting: usage[cat] is the sum of the block sizes handed out (header
 * and rounding included), updated atomically, so tm_raw_usage(TM_MEM_TABLES)
 * is exact at any instant.
 */
#include "raw_alloc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HEADER_SIZE 16u
#define CHUNK_SIZE (64u * 1024u)
#define LARGE_CLASS 0xFFFFu
#define HEADER_MAGIC 0x7a4du

typedef struct header {
  uint16_t magic;
  uint16_t klass; /* size class index, or LARGE_CLASS */
  uint32_t category;
  uint64_t size; /* total block size, header included */
} header_t;
_Static_assert(sizeof(header_t) == HEADER_SIZE, "header must be 16 bytes");

typedef struct free_block {
  struct free_block *next;
} free_block_t;

static const uint32_t class_sizes[] = {
    32,  48,  64,  80,   96,   128,  160,  192,  256,  320,  384,
    512, 640, 768, 1024, 1280, 1536, 2048, 2560, 3072, 4096, 4112};
#define NCLASSES (sizeof class_sizes / sizeof class_sizes[0])
_Static_assert(TM_RAW_MAX_SMALL + HEADER_SIZE == 4112,
               "the last class must fit the largest small request");

typedef struct size_class {
  atomic_flag lock;
  free_block_t *free_list;
  char *bump;
  char *bump_end;
} size_class_t;

static size_class_t classes[NCLASSES];

#define CACHE_SLOTS 8u
#define CACHE_MAX_BLOCK (4u << 20)
#define CACHE_MAX_BYTES (8u << 20)

/* Freed large blocks and page mappings kept for reuse (see the top
 * comment): the mapping and its size. */
typedef struct cached {
  void *p;
  size_t size;
} cached_t;

static struct {
  atomic_flag lock;
  unsigned n;
  size_t bytes;
  cached_t m[CACHE_SLOTS];
} cache;

static _Atomic size_t usage[TM_MEM_NCATEGORIES];
static _Atomic size_t limits[TM_MEM_NCATEGORIES];

static void lock_flag(atomic_flag *f) {
  while (atomic_flag_test_and_set_explicit(f, memory_order_acquire)) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

static void unlock_flag(atomic_flag *f) {
  atomic_flag_clear_explicit(f, memory_order_release);
}

static void lock(size_class_t *c) { lock_flag(&c->lock); }
static void unlock(size_class_t *c) { unlock_flag(&c->lock); }

static size_t page_size(void) {
  // Atomic only so that the first concurrent callers do not race (TSan).
  static _Atomic size_t cached;
  size_t ps = atomic_load_explicit(&cached, memory_order_relaxed);
  if (!ps) {
    ps = (size_t)sysconf(_SC_PAGESIZE);
    atomic_store_explicit(&cached, ps, memory_order_relaxed);
  }
  return ps;
}

void tm_raw_populate(void *p, size_t size) {
#ifdef MADV_POPULATE_WRITE
  // Only whole pages inside the range: those around it may not be ours.
  uintptr_t ps = tm_raw_page_size();
  uintptr_t b = ((uintptr_t)p + ps - 1) & ~(ps - 1);
  uintptr_t e = ((uintptr_t)p + size) & ~(ps - 1);
  if (e > b) {
    (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
    (void)madvise((void *)b, e - b, MADV_POPULATE_WRITE);
  }
#else
  (void)p;
  (void)size;
#endif
}

static void *map_pages(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* Reserve `size` bytes of budget in `cat`; false if the test limit says no. */
static bool charge(tm_mem_category_t cat, size_t size) {
  size_t limit = atomic_load_explicit(&limits[cat], memory_order_relaxed);
  size_t old =
      atomic_fetch_add_explicit(&usage[cat], size, memory_order_relaxed);
  if (limit && old + size > limit) {
    atomic_fetch_sub_explicit(&usage[cat], size, memory_order_relaxed);
    return false;
  }
  return true;
}

static void uncharge(tm_mem_category_t cat, size_t size) {
  atomic_fetch_sub_explicit(&usage[cat], size, memory_order_relaxed);
}

static int class_of(size_t total) {
  for (unsigned i = 0; i < NCLASSES; i++)
    if (total <= class_sizes[i])
      return (int)i;
  return -1;
}

/* *fresh: the block was never handed out (its chunk's pages are zero). */
static void *alloc_small(unsigned k, bool *fresh) {
  size_class_t *c = &classes[k];
  size_t bsize = class_sizes[k];
  void *block = NULL;
  lock(c);
  if (c->free_list) {
    block = c->free_list;
    c->free_list = c->free_list->next;
    *fresh = false;
  } else {
    if ((size_t)(c->bump_end - c->bump) < bsize) {
      char *chunk = map_pages(CHUNK_SIZE);
      if (!chunk) {
        unlock(c);
        return NULL;
      }
      c->bump = chunk;
      c->bump_end = chunk + CHUNK_SIZE;
    }
    block = c->bump;
    c->bump += bsize;
    *fresh = true;
  }
  unlock(c);
  return block;
}

/* The cached mapping that fits `size` best, or NULL: of exactly `size`
 * bytes when `exact` (tm_raw_unmap gets the size back from the caller),
 * else wasting at most half of it (a header block records its size).
 * *got: its size. */
static void *cache_take(size_t size, bool exact, size_t *got) {
  lock_flag(&cache.lock);
  unsigned best = CACHE_SLOTS;
  for (unsigned i = 0; i < cache.n; i++) {
    size_t sz = cache.m[i].size;
    bool fits = exact ? sz == size : sz >= size && sz / 2 <= size;
    if (fits && (best == CACHE_SLOTS || sz < cache.m[best].size))
      best = i;
  }
  void *p = NULL;
  if (best != CACHE_SLOTS) {
    p = cache.m[best].p;
    *got = cache.m[best].size;
    cache.bytes -= *got;
    memmove(&cache.m[best], &cache.m[best + 1],
            (--cache.n - best) * sizeof cache.m[0]);
  }
  unlock_flag(&cache.lock);
  return p;
}

/* Keeps a freed mapping, evicting the oldest ones to make room (the cache
 * is in order of age, so it holds what the last frees gave back: the
 * working set of a report that runs again). false: the caller unmaps it.
 * The evicted ones are unmapped after the lock is released. */
static bool cache_put(void *p, size_t size) {
  if (size > CACHE_MAX_BLOCK)
    return false;
  cached_t evicted[CACHE_SLOTS];
  unsigned nev = 0;
  lock_flag(&cache.lock);
  while (cache.n == CACHE_SLOTS || cache.bytes + size > CACHE_MAX_BYTES) {
    evicted[nev++] = cache.m[0];
    cache.bytes -= cache.m[0].size;
    memmove(&cache.m[0], &cache.m[1], --cache.n * sizeof cache.m[0]);
  }
  cache.m[cache.n++] = (cached_t){p, size};
  cache.bytes += size;
  unlock_flag(&cache.lock);
  for (unsigned i = 0; i < nev; i++)
    munmap(evicted[i].p, evicted[i].size);
  return true;
}

/* A mapping of `size` (page-rounded) bytes, cached or new. */
static void *get_pages(size_t size, bool exact, size_t *got, bool *fresh) {
  void *p = cache_take(size, exact, got);
  *fresh = p == NULL;
  if (!p) {
    p = map_pages(size);
    *got = size;
  }
  return p;
}

/* Gives back what get_pages returned, charged as `size`. */
static void put_pages(void *p, size_t size) {
  if (!cache_put(p, size))
    munmap(p, size);
}

/* tm_raw_alloc, and whether the memory is known to be zero (*fresh). */
static void *alloc_block(size_t size, tm_mem_category_t cat, bool *fresh) {
  if (size > SIZE_MAX - CHUNK_SIZE)
    return NULL;
  size_t total = size + HEADER_SIZE;
  int k = class_of(total);
  header_t *h;
  if (k >= 0) {
    if (!charge(cat, class_sizes[k]))
      return NULL;
    h = alloc_small((unsigned)k, fresh);
    if (!h) {
      uncharge(cat, class_sizes[k]);
      return NULL;
    }
    h->klass = (uint16_t)k;
    h->size = class_sizes[k];
  } else {
    size_t ps = page_size();
    total = (total + ps - 1) & ~(ps - 1);
    // Charged for the block it gets (a cached one may be larger); the
    // budget is checked against the request first.
    size_t got;
    if (!charge(cat, total))
      return NULL;
    h = get_pages(total, false, &got, fresh);
    if (!h) {
      uncharge(cat, total);
      return NULL;
    }
    if (got != total && !charge(cat, got - total)) {
      uncharge(cat, total);
      put_pages(h, got);
      return NULL;
    }
    h->size = got;
    h->klass = LARGE_CLASS;
  }
  h->magic = HEADER_MAGIC;
  h->category = (uint32_t)cat;
  return (char *)h + HEADER_SIZE;
}

void *tm_raw_alloc(size_t size, tm_mem_category_t cat) {
  bool fresh;
  return alloc_block(size, cat, &fresh);
}

void *tm_raw_calloc(size_t size, tm_mem_category_t cat) {
  bool fresh = false;
  void *p = alloc_block(size, cat, &fresh);
  if (p && !fresh)
    memset(p, 0, size);
  return p;
}

static header_t *header_of(void *p) {
  return (header_t *)((char *)p - HEADER_SIZE);
}

void tm_raw_free(void *p) {
  if (!p)
    return;
  header_t *h = header_of(p);
  tm_mem_category_t cat = (tm_mem_category_t)h->category;
  size_t size = h->size;
  h->magic = 0;
  if (h->klass == LARGE_CLASS) {
    put_pages(h, size);
  } else {
    size_class_t *c = &classes[h->klass];
    free_block_t *b = (free_block_t *)h;
    lock(c);
    b->next = c->free_list;
    c->free_list = b;
    unlock(c);
  }
  uncharge(cat, size);
}

void *tm_raw_realloc(void *p, size_t size, tm_mem_category_t cat) {
  if (!p)
    return tm_raw_alloc(size, cat);
  header_t *h = header_of(p);
  size_t usable = h->size - HEADER_SIZE;
  if (size <= usable)
    return p;
  void *q = tm_raw_alloc(size, (tm_mem_category_t)h->category);
  if (!q)
    return NULL;
  memcpy(q, p, usable);
  tm_raw_free(p);
  return q;
}

void *tm_raw_map(size_t size, tm_mem_category_t cat) {
  size_t ps = page_size();
  size = (size + ps - 1) & ~(ps - 1);
  if (!charge(cat, size))
    return NULL;
  size_t got;
  bool fresh;
  void *p = get_pages(size, true, &got, &fresh);
  if (!p)
    uncharge(cat, size);
  else if (!fresh)
    memset(p, 0, size); // callers count on zeroed pages, as mmap gives
  return p;
}

void tm_raw_unmap(void *p, size_t size, tm_mem_category_t cat) {
  if (!p)
    return;
  size_t ps = page_size();
  size = (size + ps - 1) & ~(ps - 1);
  put_pages(p, size);
  uncharge(cat, size);
}

size_t tm_raw_page_size(void) { return page_size(); }

size_t tm_raw_usage(tm_mem_category_t cat) {
  return atomic_load_explicit(&usage[cat], memory_order_relaxed);
}

void tm_raw_set_limit(tm_mem_category_t cat, size_t limit) {
  atomic_store_explicit(&limits[cat], limit, memory_order_relaxed);
}

void tm_raw_atfork_prepare(void) {
  for (unsigned i = 0; i < NCLASSES; i++)
    lock(&classes[i]);
  lock_flag(&cache.lock);
}

void tm_raw_atfork_parent(void) {
  unlock_flag(&cache.lock);
  for (unsigned i = NCLASSES; i-- > 0;)
    unlock(&classes[i]);
}

void tm_raw_atfork_child(void) { tm_raw_atfork_parent(); }
