/* region.h - bump allocation in a reserved, never-moving address range.
 *
 * Design. The interned tracebacks, frames and strings are read without a
 * lock by other threads (lock-free intern lookups) and referenced by 32-bit
 * offsets, so their memory must never move. A region reserves a large range
 * of address space once (PROT_NONE, free), commits it in TM_REGION_STEP
 * steps as the bump pointer advances (charged to TM_MEM_TABLES through
 * raw_alloc), and gives every committed page back on reset.
 *
 * Locking: the caller serialises tm_region_alloc and tm_region_reset (the
 * intern lock); readers only read memory below the bump pointer they were
 * handed offsets for.
 */
#ifndef TM_REGION_H
#define TM_REGION_H

#include <stddef.h>
#include <stdint.h>

typedef struct tm_region {
  char *base;       /* NULL until the first allocation */
  size_t reserved;  /* bytes of address space */
  size_t committed; /* bytes readable/writable, charged */
  size_t used;      /* bump offset */
} tm_region_t;

#define TM_REGION_STEP ((size_t)64 * 1024)

/* `size` bytes aligned to 16, or NULL (out of address space, refused commit,
 * or raw_alloc's test limit). */
void *tm_region_alloc(tm_region_t *r, size_t size);
/* Undo the last allocation of `size` bytes (a failed insert). */
void tm_region_unalloc(tm_region_t *r, size_t size);
/* Forget everything; committed pages go back to the system and are
 * uncharged. The reservation is kept. */
void tm_region_reset(tm_region_t *r);

#endif /* TM_REGION_H */
