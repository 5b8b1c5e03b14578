/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * count_shim.so - the "one random table access per operation" floor of
 * issue #14, as an LD_PRELOAD library: malloc, calloc, realloc, free (and the
 * aligned allocators) go to glibc, and each also records or drops the block
 * in one open-addressing hash table (pointer -> size) under one global lock,
 * keeping current and peak bytes and blocks. No tracebacks, no call sites.
 *
 *   LD_PRELOAD=bench/shim/count_shim.so prog ...
 *   COUNT_SHIM_OUT=FILE   at exit, append one line to FILE:
 *     pid=N allocs=N reallocs=N frees=N peak_blocks=N peak_bytes=N live_blocks=N
 *   (the benchmarks read it for the "allocations / live at peak" columns;
 *   appended with the pid because every process that inherits LD_PRELOAD,
 *   a time(1) wrapper included, writes its own line).
 *
 * Built by bench/real/whole.sh with the system compiler; it never calls
 * malloc itself: the table lives in mmap'ed memory, the real allocator is
 * glibc's __libc_* entry points (so there is no dlsym bootstrap).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libc_alloc.h"

struct slot {
  uintptr_t key; /* 0 = empty */
  size_t size;
};

static struct slot *table;
static size_t cap; /* power of two */
static size_t used;
static size_t cur_bytes, peak_bytes, cur_blocks, peak_blocks;
static size_t n_allocs, n_reallocs, n_frees;
/* A test-and-set spinlock: one lock for everything, as in the shim.
 * (A pthread mutex would do as well; this keeps the shim free of libpthread
 * initialisation order questions.) */
static volatile int lock_word;

static void lock(void) {
  while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED))
      __builtin_ia32_pause();
}
static void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static size_t hash(uintptr_t p, size_t mask) {
  /* Fibonacci hashing of the address without its always-zero low bits. */
  return (size_t)(((p >> 4) * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static void insert_nolock(uintptr_t key, size_t size);

static void grow(void) {
  size_t ncap = cap ? cap * 2 : (size_t)1 << 16;
  struct slot *old = table;
  size_t ocap = cap;
  void *m = mmap(NULL, ncap * sizeof *table, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    static const char msg[] = "count_shim: out of memory for its table\n";
    (void)!write(2, msg, sizeof msg - 1);
    abort();
  }
  table = m;
  cap = ncap;
  used = 0;
  for (size_t i = 0; i < ocap; i++)
    if (old[i].key)
      insert_nolock(old[i].key, old[i].size);
  if (old)
    munmap(old, ocap * sizeof *table);
}

static void insert_nolock(uintptr_t key, size_t size) {
  if ((used + 1) * 2 > cap)
    grow();
  size_t mask = cap - 1;
  for (size_t i = hash(key, mask);; i = (i + 1) & mask) {
    if (!table[i].key || table[i].key == key) {
      if (!table[i].key)
        used++;
      table[i].key = key;
      table[i].size = size;
      return;
    }
  }
}

/* Removes key; returns its size, or (size_t)-1 if it was not in the table
 * (a block from before the shim was loaded). Backward-shift deletion keeps
 * linear probing free of tombstones. */
static size_t erase_nolock(uintptr_t key) {
  if (!cap)
    return (size_t)-1;
  size_t mask = cap - 1;
  size_t i = hash(key, mask);
  while (table[i].key != key) {
    if (!table[i].key)
      return (size_t)-1;
    i = (i + 1) & mask;
  }
  size_t size = table[i].size;
  for (size_t j = (i + 1) & mask; table[j].key; j = (j + 1) & mask) {
    size_t h = hash(table[j].key, mask);
    /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
    if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
      table[i] = table[j];
      i = j;
    }
  }
  table[i].key = 0;
  used--;
  return size;
}

static void record(void *p, size_t size) {
  insert_nolock((uintptr_t)p, size);
  cur_bytes += size;
  cur_blocks++;
  if (cur_bytes > peak_bytes)
    peak_bytes = cur_bytes;
  if (cur_blocks > peak_blocks)
    peak_blocks = cur_blocks;
}

static void drop(void *p) {
  size_t size = erase_nolock((uintptr_t)p);
  if (size != (size_t)-1) {
    cur_bytes -= size;
    cur_blocks--;
  }
}

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  if (p) {
    lock();
    n_allocs++;
    record(p, n);
    unlock();
  }
  return p;
}

void *calloc(size_t a, size_t b) {
  void *p = __libc_calloc(a, b);
  if (p) {
    lock();
    n_allocs++;
    record(p, a * b);
    unlock();
  }
  return p;
}

void *realloc(void *old, size_t n) {
  if (!old)
    return malloc(n);
  if (n == 0) {
    free(old);
    return NULL;
  }
  void *p = __libc_realloc(old, n);
  if (p) {
    lock();
    n_reallocs++;
    drop(old);
    record(p, n);
    unlock();
  }
  return p;
}

void free(void *p) {
  if (!p)
    return;
  lock();
  n_frees++;
  drop(p);
  unlock();
  __libc_free(p);
}

static void *aligned(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  if (p) {
    lock();
    n_allocs++;
    record(p, n);
    unlock();
  }
  return p;
}

int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *) || (align & (align - 1)))
    return EINVAL;
  void *p = aligned(align, n);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}
void *aligned_alloc(size_t align, size_t n) { return aligned(align, n); }
void *memalign(size_t align, size_t n) { return aligned(align, n); }
void *valloc(size_t n) { return aligned((size_t)sysconf(_SC_PAGESIZE), n); }

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("COUNT_SHIM_OUT");
  if (!path || !*path)
    return;
  char line[256];
  lock();
  int len = snprintf(line, sizeof line,
                     "pid=%ld allocs=%zu reallocs=%zu frees=%zu "
                     "peak_blocks=%zu peak_bytes=%zu live_blocks=%zu\n",
                     (long)getpid(), n_allocs, n_reallocs, n_frees, peak_blocks, peak_bytes,
                     cur_blocks);
  unlock();
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, line, (size_t)len);
    close(fd);
  }
}
