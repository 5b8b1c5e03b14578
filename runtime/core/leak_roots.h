/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_roots.h - where the leak scan (leak_scan.c) looks for pointers: the
 * writable segments of every loaded module, and each thread's stack,
 * static TLS and thread descriptor, bounded by /proc/self/maps and by the
 * sizes ld.so and libc give. docs/semantics.md, "Leaks", has the rules.
 */
#ifndef TM_LEAK_ROOTS_H
#define TM_LEAK_ROOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "visibility.h"

typedef struct tm_range {
  uintptr_t beg, end;
} tm_range_t;

typedef struct tm_roots {
  tm_range_t *r;
  size_t n, max;       // ranges beyond max are dropped
  uintptr_t self_code; // an address in the runtime's code
} tm_roots_t;

/* The layout of a thread's static TLS and descriptor around its thread
 * pointer tp (x86-64: TLS below tp, the descriptor - glibc's struct
 * pthread - from tp up). */
typedef struct tm_tls_layout {
  size_t tls_size;        // static TLS below tp
  size_t descriptor_size; // the thread descriptor from tp
  size_t dtv_offset; // where a descriptor points to its TLS vector; SIZE_MAX
                     // when libc does not say (leak_thread_descriptors.c)
} tm_tls_layout_t;

/* Adds [beg, end) when it is not empty and there is room. */
TM_HIDDEN void tm_roots_add(tm_roots_t *rs, uintptr_t beg, uintptr_t end);

/* The writable PT_LOAD segments of every loaded module except the one
 * holding rs->self_code (libtracemalloc.so: the runtime's own state).
 * Takes the loader's lock: call it before stopping threads. */
TM_HIDDEN void tm_roots_add_modules(tm_roots_t *rs);

/* The sizes of this process's layout, from ld.so
 * (_dl_get_tls_static_info) and libc (_thread_db_sizeof_pthread), with
 * fixed fallbacks when they do not say (a static program). Uses dlsym:
 * call it before taking any lock. */
TM_HIDDEN tm_tls_layout_t tm_roots_tls_layout(void);

/* The current length of /proc/self/maps, and the whole file read into buf
 * (NUL-terminated; no stdio, no malloc). */
TM_HIDDEN size_t tm_roots_maps_size(void);
TM_HIDDEN size_t tm_roots_read_maps(char *buf, size_t max);

/* The mapping of `maps` (/proc/self/maps' text) holding addr: [*beg, *end).
 * False when none holds it or it is not readable. */
TM_HIDDEN bool tm_roots_mapping_of(const char *maps, uintptr_t addr,
                                   uintptr_t *beg, uintptr_t *end);

/* A thread's roots: its stack from sp less the red zone to the end of the
 * stack's mapping, and its static TLS and descriptor around tp. Both stop
 * at the descriptor's end when that lies in their mapping: the kernel
 * merges adjacent anonymous mappings, so the mapping may go on into
 * memory that is not the thread's (the runtime's own tables, which hold
 * the address of every traced block). */
TM_HIDDEN void tm_roots_add_thread(tm_roots_t *rs, const char *maps,
                                   uintptr_t sp, uintptr_t tp,
                                   const tm_tls_layout_t *layout);

#endif /* TM_LEAK_ROOTS_H */
