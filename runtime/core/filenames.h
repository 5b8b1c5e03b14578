/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* filenames.h - interned copies of the filenames and function names of the
 * traced sites.
 *
 * Design. A site's strings live in the instrumented module, which dlclose
 * may unmap; the traces outlive it, so each distinct string is copied once
 * into a never-moving region and referenced by pointer from then on (CPython
 * keeps a strong reference to each filename in its `filenames` table).
 *
 * Locking: every function here runs under the intern lock (traceback.c),
 * except that the returned strings may be read by anyone until the next
 * tm_filenames_reset.
 */
#ifndef TM_FILENAMES_H
#define TM_FILENAMES_H

#include <stddef.h>

/* The interned copy of s (NULL s gives NULL); NULL on out-of-memory. */
const char *tm_filenames_intern(const char *s);

/* Forget every string (tm_clear_traces / tm_stop, all tables locked). */
void tm_filenames_reset(void);

#endif /* TM_FILENAMES_H */
