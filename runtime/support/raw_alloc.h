/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* raw_alloc.h - the runtime's own memory: mmap-backed, never malloc.
 *
 * Everything the runtime keeps for itself comes from here, so that (1) it is
 * never traced, (2) it works inside the malloc hooks and under a sanitizer,
 * and (3) tm_get_tracemalloc_memory() can report it exactly: the sum of the
 * bytes handed out (size-class rounded) in the TM_MEM_TABLES category.
 *
 * Blocks up to TM_RAW_MAX_SMALL come from size classes carved out of 64 KiB
 * mmap'ed chunks and are recycled through per-class free lists (a short
 * spinlock per class); larger blocks are mmap'ed on their own. Every block
 * has a 16-byte header (class, category, size), so tm_raw_free needs no size.
 *
 * Thread-safe, async-signal-unsafe, fork-safe through tm_raw_atfork_*.
 */
#ifndef TM_RAW_ALLOC_H
#define TM_RAW_ALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef enum tm_mem_category {
  TM_MEM_TABLES = 0, /* traces, tracebacks, filenames: what
                        tm_get_tracemalloc_memory() reports, plus the
                        shadow stacks' resident pages (shadow_stack.h) */
  TM_MEM_OBJECTS,    /* snapshots, statistics, strings handed to the user */
  TM_MEM_NCATEGORIES
} tm_mem_category_t;

#define TM_RAW_MAX_SMALL 4096

/* Returns 16-byte aligned memory, or NULL when the system refuses (or the
 * test knob tm_raw_set_limit is exceeded). */
void *tm_raw_alloc(size_t size, tm_mem_category_t cat);
void *tm_raw_calloc(size_t size, tm_mem_category_t cat);
/* Keeps the category of `p`. NULL p behaves as tm_raw_alloc. */
void *tm_raw_realloc(void *p, size_t size, tm_mem_category_t cat);
void tm_raw_free(void *p);

/* Page-granular mappings for big tables (no header, not recycled through
 * the size classes); counted in `cat`. */
void *tm_raw_map(size_t size, tm_mem_category_t cat);
void tm_raw_unmap(void *p, size_t size, tm_mem_category_t cat);

/* The system page size. */
size_t tm_raw_page_size(void);

/* The whole pages of [p, p + size) are about to be written: back them with
 * huge pages where the kernel can (MADV_HUGEPAGE: fewer TLB misses on a
 * large array written once) and fault them in at once
 * (MADV_POPULATE_WRITE) instead of one fault per page, which costs
 * microseconds each on a virtual machine. Best effort: a kernel without
 * them (before 5.14) leaves the pages to fault as usual. */
void tm_raw_populate(void *p, size_t size);

/* Bytes currently handed out in a category (size-class rounded, headers and
 * mapping rounding included). */
size_t tm_raw_usage(tm_mem_category_t cat);

/* Test knob: make allocations fail once a category would exceed `limit`
 * bytes (0 = no limit). Used to force the memory-exhaustion path. */
void tm_raw_set_limit(tm_mem_category_t cat, size_t limit);

/* fork(): hold every internal lock across fork so the child sees consistent
 * free lists. */
void tm_raw_atfork_prepare(void);
void tm_raw_atfork_parent(void);
void tm_raw_atfork_child(void);

#endif /* TM_RAW_ALLOC_H */
