/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* libc_alloc.h - glibc's own allocator entry points, for the LD_PRELOAD
 * shims in this folder: they define malloc and friends themselves and reach
 * glibc's through these exported names, with no dlsym bootstrap. */
#ifndef TM_BENCH_LIBC_ALLOC_H
#define TM_BENCH_LIBC_ALLOC_H
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

#endif
