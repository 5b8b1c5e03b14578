/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* warn.h - the runtime's one-line messages on stderr (a bad environment
 * value, a second runtime copy, a dump that could not be written).
 *
 * Written with one write(2) and no stdio: the runtime may warn from start-up
 * code, a fork child or a dump thread, where stdio's locks and buffers (and
 * the malloc they may call) are not safe to use.
 */
#ifndef TM_WARN_H
#define TM_WARN_H

#include <stddef.h>

#include "visibility.h"

/* printf-style; the line is cut at 510 bytes and gets its newline. */
TM_HIDDEN void tm_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* `s` as it may be shown on one line: printable ASCII (others become '?'),
 * at most 64 bytes then "...", in buf (len >= 5). Returns buf. */
TM_HIDDEN const char *tm_printable(const char *s, char *buf, size_t len);

#endif /* TM_WARN_H */
