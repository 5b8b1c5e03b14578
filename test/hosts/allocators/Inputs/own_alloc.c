/* own_alloc.c - a malloc family for the allocator tests, compiled into the
 * test programs as their own allocator (a separate file, as real programs
 * have it: calls in the file that defines malloc are not rewritten by the
 * pass, which only rewrites calls to a declared allocator). Every block lives in one mmap'ed region with
 * a 16-byte header {magic, size} right before it, so the allocator can tell
 * its own blocks from any other: a free (or realloc, or malloc_usable_size)
 * of a pointer it did not make aborts the program with "FOREIGN". It counts
 * the blocks it made and freed. OWN_FULL defines the aligned variants and
 * malloc_usable_size too; without it only malloc and free (a partial set).
 * Its functions call no allocator, so it works compiled with or without
 * the pass. own.h declares the queries. */
#include <errno.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define OWN_MAGIC 0x0a11c0ffee0a11c0ULL
#define OWN_FREED 0xdeadf4eedeadf4eeULL
#define OWN_REGION (256u << 20)

static unsigned char *own_base;
static _Atomic size_t own_top;
static _Atomic long own_made, own_freed;

static void own_die(const char *what) {
  write(2, what, strlen(what));
  abort();
}

int own_contains(const void *p) {
  return own_base != NULL && (const unsigned char *)p >= own_base &&
         (const unsigned char *)p < own_base + OWN_REGION;
}

long own_made_count(void) { return own_made; }
long own_freed_count(void) { return own_freed; }

static void *own_alloc(size_t align, size_t size) {
  if (own_base == NULL) {
    /* First call: single-threaded (the loader or libc start-up). */
    void *r = mmap(NULL, OWN_REGION, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
      own_die("own_alloc: mmap failed\n");
    own_base = r;
  }
  if (align < 16)
    align = 16;
  if (size > OWN_REGION / 2) {
    errno = ENOMEM;
    return NULL;
  }
  size_t old = own_top, start;
  do {
    start = (old + 16 + align - 1) & ~(align - 1);
    if (start + size > OWN_REGION) {
      errno = ENOMEM;
      return NULL;
    }
  } while (!atomic_compare_exchange_weak(&own_top, &old, start + size));
  uint64_t *h = (uint64_t *)(own_base + start) - 2;
  h[0] = OWN_MAGIC;
  h[1] = size;
  own_made++;
  return own_base + start;
}

/* The header of a block of ours; aborts on anything else. */
static uint64_t *own_header(void *p, const char *op) {
  uint64_t *h = (uint64_t *)p - 2;
  if (!own_contains(p) || h[0] != OWN_MAGIC) {
    own_die(op);
  }
  return h;
}

void *malloc(size_t size) { return own_alloc(16, size); }

void free(void *p) {
  if (p == NULL)
    return;
  uint64_t *h = own_header(p, "FOREIGN pointer passed to the program's free\n");
  h[0] = OWN_FREED;
  own_freed++;
}

#ifdef OWN_FULL
void *calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return own_alloc(16, total); /* fresh mmap'ed memory is zero */
}

void *realloc(void *p, size_t size) {
  if (p == NULL)
    return own_alloc(16, size);
  uint64_t *h = own_header(p, "FOREIGN pointer passed to the program's realloc\n");
  void *q = own_alloc(16, size);
  if (q == NULL)
    return NULL;
  memcpy(q, p, h[1] < size ? h[1] : size);
  free(p);
  return q;
}

void *memalign(size_t align, size_t size) { return own_alloc(align, size); }
void *aligned_alloc(size_t align, size_t size) { return own_alloc(align, size); }
int posix_memalign(void **out, size_t align, size_t size) {
  void *p = own_alloc(align, size);
  if (p == NULL)
    return ENOMEM;
  *out = p;
  return 0;
}
void *valloc(size_t size) { return own_alloc(4096, size); }
void *pvalloc(size_t size) { return own_alloc(4096, (size + 4095) & ~(size_t)4095); }
size_t malloc_usable_size(void *p) {
  if (p == NULL)
    return 0;
  return own_header(p, "FOREIGN pointer passed to the program's malloc_usable_size\n")[1];
}
#endif
