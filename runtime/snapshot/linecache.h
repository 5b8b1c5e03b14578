/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* linecache.h - the source lines of Traceback.format (linecache.c).
 * tm_linecache_clear is declared in snapshot.h (tests call it).
 */
#ifndef TM_LINECACHE_H
#define TM_LINECACHE_H

#include <stddef.h>

#include "visibility.h"

/* Receives one line (its bytes, without the newline; valid UTF-8). */
typedef void (*tm_linecache_line_fn)(void *arg, const char *line, size_t n);

/* linecache.getline(name, lineno): calls fn(arg, line, n) with the line
 * when the file can be read and decoded and has that line; nothing
 * otherwise (names like "<unknown>", lineno 0). fn runs with the cache's
 * lock held: it must not call back into the cache. */
TM_HIDDEN void tm_linecache_getline(const char *name, unsigned int lineno,
                                    tm_linecache_line_fn fn, void *arg);

#endif /* TM_LINECACHE_H */
