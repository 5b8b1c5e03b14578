/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* sanitizer_hooks.c - sanitizer mode: trace uninstrumented allocations
 * through the sanitizer allocator's malloc/free hooks.
 *
 * ASan, TSan, MSan and HWASan own malloc, so the runtime cannot interpose
 * it (interpose.c is empty in this mode). compiler-rt instead calls hooks
 * installed with __sanitizer_install_malloc_and_free_hooks: the malloc hook
 * right after a block is allocated (with the requested size), the free hook
 * right before it is released. Ours record the block with no site (the core
 * attributes it to the nearest instrumented caller) and forget it.
 *
 * A block is never counted twice: the __tm_* hooks raise tm_reentrant
 * around their real call (TM_REAL_BEGIN) and record the block themselves,
 * so these hooks skip it. The runtime's own memory is mmap'ed and never
 * reaches the sanitizer allocator.
 *
 * Installation: a constructor, and tm_hooks_install() for the core's init
 * (idempotent: the sanitizers keep at most 5 hook pairs).
 *
 * What the sanitizers let us see of uninstrumented code (instrumented code
 * goes through the __tm_* hooks and is exact in every mode):
 * - ASan: an uninstrumented realloc reaches us as "malloc new" then "free
 *   old", so the peak may count both blocks for a moment.
 * - TSan (LLVM 19): runs the hooks for malloc, calloc, realloc and free, but
 *   not for memalign, aligned_alloc, posix_memalign, valloc or pvalloc
 *   (those blocks are not traced); runs the free hook before realloc and
 *   reallocarray even when they fail (the still valid block loses its
 *   trace); and ignores every interceptor, hooks included, in the child of
 *   a multithreaded fork.
 */
#include "hooks.h"

#if TM_SANITIZER_MODE

#if defined(__has_include)
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#define TM_HAVE_ALLOCATOR_INTERFACE 1
#endif
#endif
#ifndef TM_HAVE_ALLOCATOR_INTERFACE
/* GCC does not ship this header; the function is in every sanitizer
 * runtime it supports. */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));
#endif

static void on_malloc(const volatile void *ptr, size_t size) {
  if (TM_LIKELY(!tm_hooks_tracing()) || ptr == NULL)
    return;
  tm_hooks_record_alloc((void *)ptr, size, NULL);
}

static void on_free(const volatile void *ptr) {
  if (TM_LIKELY(!tm_hooks_tracing()) || ptr == NULL)
    return;
  tm_hooks_record_free((void *)ptr);
}

static atomic_int installed;

void tm_hooks_install(void) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&installed, &expected, 1))
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}

/* Early (priority 101): blocks allocated by other constructors once tracing
 * has started are then seen too. */
__attribute__((constructor(101))) static void install_at_startup(void) {
  tm_hooks_install();
}

#else /* !TM_SANITIZER_MODE */

/* Interposition: glibc's fastbin limit follows the trailer blocks. */
void tm_hooks_install(void) { tm_fastbins_install(); }

#endif
