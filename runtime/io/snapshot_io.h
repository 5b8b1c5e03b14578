/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* snapshot_io.h - what the CLI (tools/tracemalloc) uses from the runtime
 * beyond the public API: a growable byte buffer to build output in, the
 * in-memory serialisers (to write a snapshot to stdout), the atomic file
 * write, and loading a snapshot from a file descriptor (stdin).
 *
 * The CLI includes this header, include/tracemalloc.h, snapshot/snapshot.h
 * (the analysis layer's), support/utf8.h (the
 * one UTF-8 decoder) and support/ptr_map.h (the one pointer map) and nothing
 * else of runtime/: lint.cli-includes (scripts/check-cli-includes.sh)
 * checks it. Everything declared here
 * allocates with the runtime's own allocator, never malloc (the writers also
 * run inside traced programs, at exit).
 */
#ifndef TM_SNAPSHOT_IO_H
#define TM_SNAPSHOT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracemalloc.h"

/* A growable byte buffer. `failed` latches the first allocation failure so
 * that writers can append without checking every call. */
typedef struct tm_buf {
  unsigned char *data;
  size_t len;
  size_t cap;
  bool failed;
} tm_buf_t;

void tm_buf_reserve(tm_buf_t *b, size_t extra);
void tm_buf_append(tm_buf_t *b, const void *p, size_t n);
void tm_buf_putc(tm_buf_t *b, unsigned char c);
void tm_buf_puts(tm_buf_t *b, const char *s);
/* Unsigned LEB128: 7 bits per byte, low first, high bit = "more". */
void tm_buf_put_varint(tm_buf_t *b, uint64_t v);
void tm_buf_put_u64_decimal(tm_buf_t *b, uint64_t v);
void tm_buf_free(tm_buf_t *b);

/* Write len bytes to path atomically: a temporary file in the same
 * directory, fsync, rename over path, fsync of the directory. On any failure
 * the temporary file is removed and path is untouched. TM_EIO naming path.
 * On success, temporaries of the same path left by dead writers are
 * removed. Any path up to PATH_MAX whose last component fits NAME_MAX. */
tm_status_t tm_io_write_atomic(const char *path, const void *data, size_t len);

/* Serialise a snapshot in memory (the CLI writes these to stdout). The
 * buffer belongs to the caller (tm_buf_free). */
tm_status_t tm_io_serialize_binary(const tm_snapshot_t *snap, tm_buf_t *out);
tm_status_t tm_io_serialize_json(const tm_snapshot_t *snap, tm_buf_t *out);

/* Load a snapshot from fd (a file, a pipe, a terminal), as
 * tm_snapshot_load loads a file: the format is checked from the first
 * bytes before more is read (tm_io_read_snapshot_fd). Errors name `name`. */
tm_status_t tm_io_load_fd(int fd, const char *name, tm_snapshot_t **out);

#endif /* TM_SNAPSHOT_IO_H */
