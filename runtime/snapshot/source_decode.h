/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* source_decode.h - a source file's bytes to UTF-8 the way Python's
 * tokenize.open reads them (source_decode.c), for the line cache.
 */
#ifndef TM_SOURCE_DECODE_H
#define TM_SOURCE_DECODE_H

#include <stddef.h>

#include "visibility.h"

/* The file decoded to UTF-8 (latin-1 widened), NULL if it does not decode
 * or on out-of-memory. Released with tm_raw_free. */
TM_HIDDEN char *tm_source_decode(const char *raw, size_t n, size_t *outlen);

#endif /* TM_SOURCE_DECODE_H */
