/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* boot_arena.h - the static arena that serves the allocations dlsym and
 * dladdr make while the real allocator is being resolved (real_alloc.c),
 * and the tests of whether a block came from it.
 */
#ifndef TM_BOOT_ARENA_H
#define TM_BOOT_ARENA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "visibility.h"

#define TM_BOOT_ARENA_SIZE 16384

TM_HIDDEN extern unsigned char tm_boot_arena[TM_BOOT_ARENA_SIZE];
/* Bytes handed out so far (grows only). */
TM_HIDDEN extern _Atomic size_t tm_boot_arena_used;

/* A block of `size` bytes aligned to `align` (at least 16, a power of two
 * up to 4096); NULL when it does not fit. Never freed. */
TM_HIDDEN void *tm_boot_arena_alloc(size_t align, size_t size);

/* Inline: free and realloc test every block once the arena-aware wrappers
 * are installed. */
static inline int tm_boot_arena_contains(const void *p) {
  return (uintptr_t)p >= (uintptr_t)tm_boot_arena &&
         (uintptr_t)p < (uintptr_t)tm_boot_arena + TM_BOOT_ARENA_SIZE;
}

static inline size_t tm_boot_arena_size(const void *p) {
  size_t n;
  memcpy(&n, (const unsigned char *)p - sizeof(size_t), sizeof n);
  return n;
}

#endif /* TM_BOOT_ARENA_H */
