/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_thread_descriptors.c - the TLS vectors of ended threads are not
 * leaks.
 *
 * glibc's pthread_create calloc()s each new thread's TLS vector (the DTV;
 * 280 bytes and up) through the program's malloc, so it is traced, at the
 * caller's pthread_create line. When the thread ends (joined, or detached
 * and returned), glibc keeps its stack, with the descriptor at its top, in
 * a cache for the next thread, and the descriptor keeps pointing to the
 * vector, which the next thread on that stack reuses. No live thread holds
 * it then, so the scan, which reads only live threads, called it a direct
 * leak of every program that joins a thread.
 *
 * LeakSanitizer ignores whatever pthread_create allocates. We keep the
 * reason instead: the wrapper of pthread_create notes each new thread's
 * descriptor here, and the scan reads, for each noted descriptor still in
 * a readable mapping, the one word that points to the vector (its offset
 * comes from libc's _thread_db_pthread_dtvp, as libthread_db reads it). So
 * the vector stays reachable exactly as long as a descriptor points to it,
 * and nothing else in the cached stack (an ended thread's stale locals)
 * counts as a root.
 *
 * The set is lock-free (a fork() in the middle of an insert leaves nothing
 * locked) and never shrinks: a descriptor's address is a stack slot glibc
 * reuses, so a program that creates threads without end still has few.
 */
#include "leak_thread_descriptors.h"

#include <stdatomic.h>
#include <stddef.h>

static _Atomic uintptr_t slots[TM_THREAD_DESCRIPTORS_MAX];

void tm_thread_descriptor_note(uintptr_t descriptor) {
  if (descriptor == 0)
    return;
  // Descriptors are page-aligned-ish addresses: mix the high bits in.
  uintptr_t h = (descriptor >> 6) ^ (descriptor >> 17);
  for (size_t i = 0; i < TM_THREAD_DESCRIPTORS_MAX; i++) {
    _Atomic uintptr_t *slot = &slots[(h + i) % TM_THREAD_DESCRIPTORS_MAX];
    uintptr_t seen = atomic_load_explicit(slot, memory_order_relaxed);
    if (seen == 0 && atomic_compare_exchange_strong_explicit(
                         slot, &seen, descriptor, memory_order_relaxed,
                         memory_order_relaxed))
      return;
    if (seen == descriptor)
      return;
  }
}

void tm_roots_add_thread_descriptors(tm_roots_t *rs, const char *maps,
                                     const tm_tls_layout_t *layout) {
  if (layout->dtv_offset == SIZE_MAX)
    return;
  for (size_t i = 0; i < TM_THREAD_DESCRIPTORS_MAX; i++) {
    uintptr_t d = atomic_load_explicit(&slots[i], memory_order_relaxed);
    if (d == 0 || d > UINTPTR_MAX - layout->dtv_offset - sizeof(void *))
      continue;
    uintptr_t word = d + layout->dtv_offset, b, e;
    // The stack may have been unmapped since (glibc trims its cache): read
    // only what is mapped now.
    if (word % sizeof(void *) == 0 && tm_roots_mapping_of(maps, word, &b, &e) &&
        word + sizeof(void *) <= e)
      tm_roots_add(rs, word, word + sizeof(void *));
  }
}
