/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* block_trailer.h - where a traced block keeps its trace: 8 bytes at the end
 * of what glibc's allocator gave it (trace_table.h, "Trailer mode").
 *
 * malloc(n) while tracing asks glibc for n + 8 bytes and hands the program
 * glibc's own pointer p. glibc rounds every request up (a chunk is a
 * multiple of 16 bytes), so p's usable size u is at least n + 8, and the
 * trace is stored in its last 8 bytes, at p + u - 8. The program's n
 * bytes, its alignment and its pointer are glibc's; the block is one glibc
 * size class larger only when n's slack holds less than 8 bytes (n of
 * 17-24, 33-40, ...: a header of 16 made every block one class larger).
 *
 * u is read from glibc's chunk header, the 8 bytes before p that glibc's own
 * free reads anyway: the chunk's size with its flag bits. So this layout is
 * only used when the real allocator is glibc's (hooks.h,
 * tm_hooks_trailer_mode), and only for ordinary chunks: a chunk glibc maps
 * on its own (flag 2, large blocks) is traced in the side table.
 *
 * The trace is {seal, traceback id}. The size is not stored: it is the
 * trailer's offset less `delta` (off - n), which glibc's rounding keeps
 * between 0 and 32 (trailer_delta_fits). The seal is its first 4 bytes:
 * byte 0 is 0x80 | delta, bytes 1-3 a hash of p and delta. The trailer is
 * in bytes the program was never given, but a program that writes past the
 * end of its block (an off-by-one) can overwrite it, so it is checked, never
 * trusted: any change of byte 0 alone breaks the seal for sure (an ASCII
 * byte, a string's 0 terminator among them, is never 0x80 | delta; another
 * delta changes bytes 1-3), any other change of the seal breaks it but
 * with a probability of 2^-24, and a contiguous overflow reaches the id
 * only through the seal. A trailer whose seal is broken is
 * counted out with its smallest possible size and the program is told
 * once (trailer_overwritten.c, tm_core_trl_overwritten).
 */
#ifndef TM_BLOCK_TRAILER_H
#define TM_BLOCK_TRAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_TRL_SIZE 8
/* A bound that keeps size + TM_TRL_SIZE from wrapping. */
#define TM_TRL_MAX_SIZE ((size_t)SIZE_MAX / 2)

typedef struct tm_trailer {
  /* First: an overflow from the block reaches the seal before the id. */
  uint32_t seal; /* 0x80 | delta, then 24 bits of p's hash */
  uint32_t tb;   /* traceback id */
} tm_trailer_t;
_Static_assert(sizeof(tm_trailer_t) == TM_TRL_SIZE, "trailer size");

/* glibc's chunk header flag of an mmapped chunk. */
#define TM_TRL_GLIBC_MMAPPED 2u
/* The largest off - n glibc's rounding gives an ordinary chunk: n + 8
 * rounded up to 16 with its 8-byte header puts the trailer at n rounded up
 * to 16 (16 for n = 0), and glibc hands out a free chunk whole when the
 * rest would be smaller than its minimum chunk of 32 (malloc from a bin,
 * realloc grown in place): 16 more. */
#define TM_TRL_MAX_DELTA 32u

static inline __attribute__((always_inline)) uint64_t
tm_trl_chunk_word(uintptr_t p) {
  return ((const uint64_t *)p)[-1];
}

/* Offset of p's trailer from p: u - 8, where u is glibc's usable size of
 * ordinary chunk p (its size minus 8, as glibc's malloc_usable_size says;
 * never an mmapped chunk, which has 8 bytes less and no trailer). */
static inline __attribute__((always_inline)) size_t
tm_trl_offset_of(uint64_t cw) {
  return (size_t)((cw & ~(uint64_t)7) - 16);
}

static inline __attribute__((always_inline)) size_t tm_trl_offset(uintptr_t p) {
  return tm_trl_offset_of(tm_trl_chunk_word(p));
}

/* Can a trailer at `off` record a block of `size` bytes? */
static inline __attribute__((always_inline)) bool
tm_trl_delta_fits(size_t off, size_t size) {
  return off - size <= TM_TRL_MAX_DELTA; /* size > off wraps: no */
}

/* The seal of block p with the trailer `delta` bytes past its end. The
 * hash covers delta too, so that a write over byte 0 alone cannot forge
 * another delta: for deltas up to 40 apart, the products differ by at
 * least 512, which changes bytes 1-3 (Fibonacci hashing's constant). */
static inline __attribute__((always_inline)) uint32_t
tm_trl_seal(uintptr_t p, size_t delta) {
  uint32_t h = ((uint32_t)(p >> 4) + (uint32_t)delta) * 0x9E3779B1u;
  return (h & ~(uint32_t)0xff) | 0x80u | (uint32_t)delta;
}

/* The trace of block p (ordinary chunk, trailer at `off`). */
static inline __attribute__((always_inline)) tm_trailer_t
tm_trl_make(uintptr_t p, size_t off, size_t size, uint32_t tb) {
  return (tm_trailer_t){tm_trl_seal(p, off - size), tb};
}

/* The trace of traced block p into *size and *tb: false if its seal is
 * broken (the program overwrote it; nothing in it is to be used). */
static inline __attribute__((always_inline)) bool
tm_trl_read(uintptr_t p, size_t off, size_t *size, uint32_t *tb) {
  const tm_trailer_t *t = (const tm_trailer_t *)(p + off);
  uint32_t seal = t->seal;
  size_t delta = seal & 0x7f;
  *size = off - delta;
  *tb = t->tb;
  // The seal says delta is one we wrote (at most TM_TRL_MAX_DELTA), but
  // for a forgery's 2^-24: never let that make a size wrap.
  return seal == tm_trl_seal(p, delta) && delta <= off;
}

static inline bool tm_trl_get(uintptr_t p, size_t *size, uint32_t *tb) {
  return tm_trl_read(p, tm_trl_offset(p), size, tb);
}

#endif /* TM_BLOCK_TRAILER_H */
