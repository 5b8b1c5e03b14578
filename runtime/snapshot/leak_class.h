/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_class.h - the leak classification a snapshot may carry: what the
 * reachability scan at exit (TRACEMALLOC_LEAKS=1, core/leak_scan.c) found
 * for the live blocks of domain 0, grouped by traceback and kind.
 *
 * A snapshot has a classification or not (tm_snapshot_leaks returns NULL):
 * only an exit dump written after the scan has one; a classification with
 * no record means the scan found no live block. Each (traceback, kind)
 * pair appears at most once. The binary dump stores it in an optional
 * section (io/dump.c, docs/cli.md); `tracemalloc leaks` shows it.
 */
#ifndef TM_LEAK_CLASS_H
#define TM_LEAK_CLASS_H

#include <stddef.h>
#include <stdint.h>

#include "tracemalloc.h"
#include "visibility.h"

/* Valgrind's and LeakSanitizer's classes. */
typedef enum tm_leak_kind {
  TM_LEAK_DIRECT = 1,    /* definitely lost: no pointer from a root or from
                            another lost block reaches it */
  TM_LEAK_INDIRECT = 2,  /* indirectly lost: reachable only from lost blocks */
  TM_LEAK_REACHABLE = 3, /* reachable from a root */
} tm_leak_kind_t;

typedef struct tm_leak_rec {
  const tm_traceback_t *tb; /* interned in the snapshot that holds it */
  uint32_t kind;            /* tm_leak_kind_t */
  uint64_t blocks;
  uint64_t bytes;
} tm_leak_rec_t;

/* Store a copy of recs[0..n) as snap's classification (replacing one). Each
 * tb must be interned in snap. TM_ENOMEM with the error message set. */
TM_HIDDEN tm_status_t tm_snapshot_set_leaks(tm_snapshot_t *snap,
                                            const tm_leak_rec_t *recs,
                                            size_t n);

/* snap's classification and its record count; NULL (and *n = 0) when it
 * has none. */
TM_HIDDEN const tm_leak_rec_t *tm_snapshot_leaks(const tm_snapshot_t *snap,
                                                 size_t *n);

/* The order leak reports list records in: by kind (definitely lost
 * first), then biggest first (bytes, then blocks), then by traceback. A
 * qsort comparator on tm_leak_rec_t (the runtime's report and the CLI's). */
TM_HIDDEN int tm_leak_rec_report_order(const void *a, const void *b);

#endif /* TM_LEAK_CLASS_H */
