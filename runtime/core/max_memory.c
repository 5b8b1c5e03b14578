/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* max_memory.c - TRACEMALLOC_MAX_MEMORY: a bound on the runtime's tables.
 *
 * The value is a size in bytes, optionally followed by one binary suffix
 * K, M or G (1K = 1024; either case). It becomes raw_alloc's limit on
 * TM_MEM_TABLES, the traces, interned tracebacks, frames and file names:
 * once a record would take the tables past it, raw_alloc says no, and the
 * trace is dropped and counted (tm_get_dropped_traces, the dump's dropped
 * count) exactly as when the system itself refuses memory. The program's
 * own allocation has already succeeded by then, so it never fails because
 * of the limit; traces that fit (after frees give memory back) are recorded
 * again. The shadow stacks' pages and the snapshots a user takes are not
 * table memory and are not bounded by it.
 */
#include <stdint.h>

#include "core.h"
#include "raw_alloc.h"

long long tm_init_parse_size(const char *value) {
  if (!value)
    return 0;
  if (!*value)
    return 0;
  unsigned long long v = 0;
  const char *s = value;
  if (*s < '0' || *s > '9')
    return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (v > (unsigned long long)(INT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (unsigned)(*s - '0');
  }
  unsigned shift = 0;
  switch (*s) {
  case 'k':
  case 'K':
    shift = 10;
    s++;
    break;
  case 'm':
  case 'M':
    shift = 20;
    s++;
    break;
  case 'g':
  case 'G':
    shift = 30;
    s++;
    break;
  default:
    break;
  }
  if (*s != '\0' || v == 0 || v > ((unsigned long long)INT64_MAX >> shift))
    return -1;
  return (long long)(v << shift);
}

void tm_init_set_max_memory(size_t bytes) {
  tm_raw_set_limit(TM_MEM_TABLES, bytes);
}
