/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * pad_shim.so - what a per-block header or trailer costs by its size alone,
 * as an LD_PRELOAD library for an uninstrumented program: every block of the
 * malloc family is allocated PAD_SHIM_BYTES larger than asked, and nothing
 * else is done (no table, no traceback).
 *
 *   PAD_SHIM_BYTES=16 LD_PRELOAD=bench/shim/pad_shim.so prog ...
 *     16: the block is handed out 16 bytes in, as the runtime's header
 *         blocks are (docs/architecture.md, "The trace table"); the base is
 *         kept in the pad's last 8 bytes, for free
 *      8: the block is handed out as it is, with 8 bytes more at its end:
 *         the room an 8-byte trailer in the block's slack would take
 *      0: the same calls with nothing added (the shim's own cost)
 *   Any other value (or none) is 0, with a warning.
 *
 *   PAD_SHIM_WORK=N (0 to 4096, a multiple of 16; default 0) adds, at each
 *   malloc and calloc after glibc's and at each free before glibc's, N
 *   register-only instructions (four independent chains, no memory access)
 *   that depend on the block's own word before its pointer (glibc's chunk
 *   header; pad 16's base), as a tracer's bookkeeping depends on the state
 *   it keeps in the block. With PAD_SHIM_BYTES=8 it prices a trailer's
 *   footprint and N instructions of work, with no table, no bitmap and no
 *   traceback (bench/core/random_order.sh).
 *   PAD_SHIM_WORK_ON=pointer makes the same work depend on the pointer
 *   alone (work that need not wait for the block's line); `block` (the
 *   default) on the block's word.
 *
 * malloc_usable_size reports what the program may use (the pad excluded),
 * so that a program that sizes its writes by it stays inside its block.
 * Built by bench/real/whole.sh with the system compiler (variants pad0,
 * pad8, pad16). The real allocator is glibc's __libc_* entry points, so the
 * shim needs no dlsym for them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc_alloc.h"

/* The pad, fixed by the first call (getenv allocates nothing), so that a
 * block is always freed with the pad it was made with. */
static size_t pad_bytes = SIZE_MAX;

static size_t pad(void) {
  if (__builtin_expect(pad_bytes != SIZE_MAX, 1))
    return pad_bytes;
  const char *v = getenv("PAD_SHIM_BYTES");
  size_t p = 0;
  if (v && strcmp(v, "16") == 0)
    p = 16;
  else if (v && strcmp(v, "8") == 0)
    p = 8;
  else if (v && strcmp(v, "0") != 0) {
    static const char msg[] = "pad_shim: PAD_SHIM_BYTES must be 0, 8 or 16; "
                              "using 0\n";
    (void)!write(2, msg, sizeof msg - 1);
  }
  pad_bytes = p;
  return p;
}

/* PAD_SHIM_WORK's loop count (N / 16) and PAD_SHIM_WORK_ON, read once
 * like the pad. */
static unsigned work_rounds = UINT32_MAX;
static int work_on_block = 1;
static uint64_t work_sink;

static unsigned rounds(void) {
  if (__builtin_expect(work_rounds != UINT32_MAX, 1))
    return work_rounds;
  const char *v = getenv("PAD_SHIM_WORK");
  char *end = NULL;
  unsigned long n = v ? strtoul(v, &end, 10) : 0;
  if (v && (end == v || *end || n > 4096 || n % 16)) {
    static const char msg[] = "pad_shim: PAD_SHIM_WORK must be a multiple of "
                              "16 from 0 to 4096; using 0\n";
    (void)!write(2, msg, sizeof msg - 1);
    n = 0;
  }
  const char *on = getenv("PAD_SHIM_WORK_ON");
  if (on && strcmp(on, "pointer") == 0)
    work_on_block = 0;
  else if (on && strcmp(on, "block") != 0) {
    static const char msg[] = "pad_shim: PAD_SHIM_WORK_ON must be block or "
                              "pointer; using block\n";
    (void)!write(2, msg, sizeof msg - 1);
  }
  work_rounds = (unsigned)(n / 16);
  return work_rounds;
}

/* The work on block p (non-NULL): 16 instructions a round, each step's
 * values kept in registers by the empty asm so that the compiler can
 * neither fold the steps nor drop them (the loop adds 2 instructions a
 * round). */
static inline void work(const void *p) {
  unsigned k = rounds();
  if (k == 0)
    return;
  uint64_t w = work_on_block ? ((const uint64_t *)p)[-1] : (uintptr_t)p;
  uint64_t a = w, b = w + 1, c = w + 2, d = w + 3;
  for (unsigned i = 0; i < k; i++) {
#define STEP                                                                   \
  a += i, b ^= i, c += i, d ^= i;                                              \
  __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d))
    STEP;
    STEP;
    STEP;
    STEP;
#undef STEP
  }
  work_sink = a ^ b ^ c ^ d;
}

/* pad 16: the base of the block whose user pointer is p. */
static void *base_of(void *p) { return ((void **)p)[-1]; }

static void *hand_out(char *b, size_t offset) {
  if (b == NULL)
    return NULL;
  char *p = b + offset;
  ((void **)p)[-1] = b;
  return p;
}

void *malloc(size_t n) {
  size_t k = pad();
  if (n > SIZE_MAX - k) {
    errno = ENOMEM;
    return NULL;
  }
  char *b = __libc_malloc(n + k);
  if (b)
    work(b);
  return k == 16 ? hand_out(b, 16) : b;
}

void free(void *p) {
  if (p == NULL)
    return;
  work(p);
  __libc_free(pad() == 16 ? base_of(p) : p);
}

void *calloc(size_t m, size_t n) {
  size_t t, k = pad();
  if (__builtin_mul_overflow(m, n, &t) || t > SIZE_MAX - k) {
    errno = ENOMEM;
    return NULL;
  }
  char *b = __libc_calloc(1, t + k);
  if (b)
    work(b);
  return k == 16 ? hand_out(b, 16) : b;
}

/* glibc's own malloc_usable_size (weak in libc: ours is the one the program
 * reaches). */
static size_t real_usable(void *b) {
  static size_t (*fn)(void *);
  if (fn == NULL)
    fn = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
  return fn ? fn(b) : 0;
}

size_t malloc_usable_size(void *p) {
  if (p == NULL)
    return 0;
  size_t k = pad();
  if (k == 16) {
    char *b = base_of(p);
    return real_usable(b) - (size_t)((char *)p - b);
  }
  size_t u = real_usable(p);
  return u >= k ? u - k : 0;
}

static void *aligned(size_t align, size_t n) {
  size_t k = pad();
  if (k != 16) {
    if (n > SIZE_MAX - k) {
      errno = ENOMEM;
      return NULL;
    }
    return __libc_memalign(align, n + k);
  }
  // The block starts `a` bytes in, a multiple of align with room for the
  // base before it.
  size_t a = align < 16 ? 16 : align;
  if (n > SIZE_MAX - a) {
    errno = ENOMEM;
    return NULL;
  }
  return hand_out(__libc_memalign(a, n + a), a);
}

void *realloc(void *p, size_t n) {
  if (p == NULL)
    return malloc(n);
  if (n == 0) {
    free(p);
    return NULL;
  }
  size_t k = pad();
  if (n > SIZE_MAX - 64) {
    errno = ENOMEM;
    return NULL;
  }
  if (k != 16)
    return __libc_realloc(p, n + k);
  char *b = base_of(p);
  if ((char *)p - b == 16) // made by malloc or calloc: moves as a whole
    return hand_out(__libc_realloc(b, n + 16), 16);
  // An aligned block: a new plain one, the data copied.
  size_t old = real_usable(b) - (size_t)((char *)p - b);
  void *q = malloc(n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, old < n ? old : n);
  free(p);
  return q;
}

void *memalign(size_t align, size_t n) { return aligned(align, n); }

void *aligned_alloc(size_t align, size_t n) { return aligned(align, n); }

int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *) || (align & (align - 1)) != 0)
    return EINVAL;
  void *p = aligned(align, n);
  if (p == NULL)
    return ENOMEM;
  *out = p;
  return 0;
}

void *valloc(size_t n) { return aligned((size_t)sysconf(_SC_PAGESIZE), n); }

void *pvalloc(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (n > SIZE_MAX - page) {
    errno = ENOMEM;
    return NULL;
  }
  return aligned(page, (n + page - 1) & ~(page - 1));
}
