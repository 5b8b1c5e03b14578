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
 * Large blocks: mmap'ed individually, header included, unmapped on free.
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
static _Atomic size_t usage[TM_MEM_NCATEGORIES];
static _Atomic size_t limits[TM_MEM_NCATEGORIES];

static void lock(size_class_t *c) {
  while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire)) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

static void unlock(size_class_t *c) {
  atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

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

static void *alloc_small(unsigned k) {
  size_class_t *c = &classes[k];
  size_t bsize = class_sizes[k];
  void *block = NULL;
  lock(c);
  if (c->free_list) {
    block = c->free_list;
    c->free_list = c->free_list->next;
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
  }
  unlock(c);
  return block;
}

void *tm_raw_alloc(size_t size, tm_mem_category_t cat) {
  if (size > SIZE_MAX - CHUNK_SIZE)
    return NULL;
  size_t total = size + HEADER_SIZE;
  int k = class_of(total);
  header_t *h;
  if (k >= 0) {
    if (!charge(cat, class_sizes[k]))
      return NULL;
    h = alloc_small((unsigned)k);
    if (!h) {
      uncharge(cat, class_sizes[k]);
      return NULL;
    }
    h->klass = (uint16_t)k;
    h->size = class_sizes[k];
  } else {
    size_t ps = page_size();
    total = (total + ps - 1) & ~(ps - 1);
    if (!charge(cat, total))
      return NULL;
    h = map_pages(total);
    if (!h) {
      uncharge(cat, total);
      return NULL;
    }
    h->klass = LARGE_CLASS;
    h->size = total;
  }
  h->magic = HEADER_MAGIC;
  h->category = (uint32_t)cat;
  return (char *)h + HEADER_SIZE;
}

void *tm_raw_calloc(size_t size, tm_mem_category_t cat) {
  void *p = tm_raw_alloc(size, cat);
  if (p)
    memset(p, 0, size); /* recycled small blocks are dirty */
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
    munmap(h, size);
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
  void *p = map_pages(size);
  if (!p)
    uncharge(cat, size);
  return p;
}

void tm_raw_unmap(void *p, size_t size, tm_mem_category_t cat) {
  if (!p)
    return;
  size_t ps = page_size();
  size = (size + ps - 1) & ~(ps - 1);
  munmap(p, size);
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
}

void tm_raw_atfork_parent(void) {
  for (unsigned i = NCLASSES; i-- > 0;)
    unlock(&classes[i]);
}

void tm_raw_atfork_child(void) { tm_raw_atfork_parent(); }
