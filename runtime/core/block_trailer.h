/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* block_trailer.h - where a traced block keeps its trace: 8 bytes at the end
 * of what glibc's allocator gave it (trace_table.h, "Trailer mode").
 *
 * malloc(n) while tracing asks glibc for n + 8 bytes and hands the program
 * glibc's own pointer p. glibc rounds every request up (a chunk is a
 * multiple of 16 bytes), so p's usable size u is at least n + 8, and the
 * trace {size, traceback id} is stored in its last 8 bytes, at p + u - 8.
 * The program's n bytes, its alignment and its pointer are glibc's; the
 * block is one glibc size class larger only when n's slack holds less than
 * 8 bytes (a header of 16 made every block one class larger).
 *
 * u is read from glibc's chunk header, the 8 bytes before p that glibc's own
 * free reads anyway: the chunk's size with its flag bits; an mmapped chunk
 * (flag 2) has 8 bytes less of it usable (glibc's malloc_usable_size). So
 * this layout is only used when the real allocator is glibc's
 * (hooks.h, tm_hooks_trailer_mode).
 *
 * The trailer is in bytes the program was never given, but a program that
 * writes past the end of its block (an off-by-one) can overwrite it. So it
 * is checked, never trusted: the size must be what glibc's rounding of
 * size + 8 gives this chunk (within the chunk's slack), and the id must be
 * one the intern set handed out. A contiguous overflow that reaches the id
 * has first overwritten the size, which then fails its check with a
 * probability of about 1 - 2^-28. A trailer that fails is counted out
 * with its size estimated and the program is told once
 * (trailer_overwritten.c, tm_core_trl_overwritten).
 */
#ifndef TM_BLOCK_TRAILER_H
#define TM_BLOCK_TRAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_TRL_SIZE 8
/* Larger blocks (4 GiB and up) are traced in the side table. */
#define TM_TRL_MAX_SIZE ((size_t)UINT32_MAX - TM_TRL_SIZE)

typedef struct tm_trailer {
  /* First: an overflow from the block reaches the size before the id. */
  uint32_t size; /* what the program asked for */
  uint32_t tb;   /* traceback id */
} tm_trailer_t;
_Static_assert(sizeof(tm_trailer_t) == TM_TRL_SIZE, "trailer size");

/* glibc's chunk header flag of an mmapped chunk. */
#define TM_TRL_GLIBC_MMAPPED 2u

/* Offset of p's trailer from p: u - 8, where u is glibc's usable size of
 * chunk p (its size minus 8, minus 8 more if mmapped). */
static inline __attribute__((always_inline)) size_t tm_trl_offset(uintptr_t p) {
  uint64_t cw = ((const uint64_t *)p)[-1];
  return (size_t)((cw & ~(uint64_t)7) - 16 -
                  ((cw & TM_TRL_GLIBC_MMAPPED) << 2));
}

static inline __attribute__((always_inline)) tm_trailer_t *
tm_trl_at(uintptr_t p) {
  return (tm_trailer_t *)(p + tm_trl_offset(p));
}

/* Does the trailer at offset `off` of its block hold a size glibc can
 * have given this chunk? An ordinary chunk is n + 8 rounded up to 16 with
 * its 8-byte header (the trailer at n rounded up to 16, 16 for n = 0),
 * and glibc hands out a free chunk whole when the rest would be smaller
 * than its minimum chunk of 32 (malloc from a bin, realloc grown in
 * place): off - n is 0 to 32. An mmapped chunk is rounded to pages (up to
 * 2 MiB ones with glibc.malloc.hugetlb): off - n below 4 MiB. */
static inline __attribute__((always_inline)) bool
tm_trl_size_fits(uintptr_t p, size_t off, uint32_t size) {
  uint64_t cw = ((const uint64_t *)p)[-1];
  size_t slack = 32 + ((size_t)(cw & TM_TRL_GLIBC_MMAPPED) << 21);
  return off - size <= slack; /* size > off wraps: fails */
}

/* The trace of traced block p into *out: false if its trailer fails the
 * check (the program overwrote it; its id is not to be used). */
static inline bool tm_trl_get(uintptr_t p, tm_trailer_t *out) {
  size_t off = tm_trl_offset(p);
  *out = *(const tm_trailer_t *)(p + off);
  return tm_trl_size_fits(p, off, out->size);
}

#endif /* TM_BLOCK_TRAILER_H */
