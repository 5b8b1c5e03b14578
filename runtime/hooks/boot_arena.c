/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* boot_arena.c - a small static bump allocator for the allocations that
 * dlsym and dladdr make on the thread that is resolving the real allocator
 * (real_alloc.c): no allocator can serve them yet. Each block is preceded by
 * its size, so that realloc can copy it and malloc_usable_size report it;
 * blocks are never freed.
 *
 * Separate from real_alloc.c: it is a self-contained allocator with its own
 * storage, used by the resolution only through this interface.
 */
#include "boot_arena.h"
#include "hooks.h"

/* Under a sanitizer the sanitizer's malloc is the real allocator: nothing
 * to resolve (real_alloc.c is empty too). */
#if !TM_SANITIZER_MODE

_Alignas(64) unsigned char tm_boot_arena[TM_BOOT_ARENA_SIZE];
_Atomic size_t tm_boot_arena_used;

/* Header: the block size, so that realloc can copy an arena block. */
void *tm_boot_arena_alloc(size_t align, size_t size) {
  if (align < 16)
    align = 16;
  if ((align & (align - 1)) != 0 || size > TM_BOOT_ARENA_SIZE || align > 4096)
    return NULL;
  size_t old = atomic_load_explicit(&tm_boot_arena_used, memory_order_relaxed);
  for (;;) {
    size_t start = (old + sizeof(size_t) + align - 1) & ~(align - 1);
    if (start + size > TM_BOOT_ARENA_SIZE)
      return NULL;
    if (atomic_compare_exchange_weak(&tm_boot_arena_used, &old, start + size)) {
      memcpy(tm_boot_arena + start - sizeof(size_t), &size, sizeof size);
      return tm_boot_arena + start;
    }
  }
}

#endif /* !TM_SANITIZER_MODE */
