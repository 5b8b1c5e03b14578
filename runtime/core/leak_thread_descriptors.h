/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_thread_descriptors.h - the descriptors of the threads the program
 * created, kept so that the leak scan can read each one's pointer to its
 * TLS vector after the thread has ended (leak_thread_descriptors.c says
 * why).
 */
#ifndef TM_LEAK_THREAD_DESCRIPTORS_H
#define TM_LEAK_THREAD_DESCRIPTORS_H

#include <stdint.h>

#include "leak_roots.h"
#include "visibility.h"

/* At most this many distinct descriptors are remembered; the threads past
 * it are not, and their TLS vectors, once they have ended, count as lost. */
#define TM_THREAD_DESCRIPTORS_MAX 1024

/* A thread was created: `descriptor` is its pthread_t (glibc: the address of
 * its struct pthread). Lock-free and async-signal-safe. */
TM_HIDDEN void tm_thread_descriptor_note(uintptr_t descriptor);

/* Adds, for each remembered descriptor that lies in a readable mapping of
 * `maps`, the one word of it that points to the thread's TLS vector
 * (layout->dtv_offset bytes in; nothing when that offset is unknown). */
TM_HIDDEN void tm_roots_add_thread_descriptors(tm_roots_t *rs, const char *maps,
                                               const tm_tls_layout_t *layout);

#endif /* TM_LEAK_THREAD_DESCRIPTORS_H */
