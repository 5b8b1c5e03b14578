/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* stack_bounds.h - the bounds of the machine stack the calling thread runs
 * on, found without calling malloc (the runtime never does for itself:
 * pthread_getattr_np allocates its CPU set and, on the main thread, stdio's
 * buffers for /proc/self/maps, and those calls reach the program's
 * allocator).
 */
#ifndef TM_STACK_BOUNDS_H
#define TM_STACK_BOUNDS_H

#include <stdbool.h>
#include <stdint.h>

#include "visibility.h"

/* [*lo, *hi): the mapping of /proc/self/maps that holds the caller's frame;
 * on the main thread (its stack grows), extended down to RLIMIT_STACK below
 * its top, but not into the mapping below it, as glibc's
 * pthread_getattr_np does. false (nothing stored) when /proc is not
 * readable or no mapping holds the frame. Raw system calls and a buffer on
 * the stack only. */
TM_HIDDEN bool tm_stack_bounds(uintptr_t *lo, uintptr_t *hi);

#endif /* TM_STACK_BOUNDS_H */
