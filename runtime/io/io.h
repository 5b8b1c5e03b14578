/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* io.h - shared pieces of the snapshot writers and loaders (dump.c, load.c,
 * json_write.c, json_read.c): a growable byte buffer on the runtime's own
 * allocator, LEB128 varints, CRC-32C, and the atomic file write.
 *
 * Everything here allocates with tm_raw_alloc(TM_MEM_OBJECTS) only: the
 * writers run at exit inside the traced program (TRACEMALLOC_DUMP), where
 * calling malloc would trace the runtime's own work. The part the CLI may
 * use is in snapshot_io.h (included here).
 */
#ifndef TM_IO_H
#define TM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptr_map.h"
#include "snapshot_io.h"
#include "tracemalloc.h"
#include "utf8.h"

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final xor
 * 0xFFFFFFFF): crc32c("123456789") == 0xE3069283. */
uint32_t tm_crc32c(const void *data, size_t len);

/* The temporary name (no directory) for dumping to the file `name` (a last
 * path component) by process pid, attempt n: hidden, at most 100 bytes
 * whatever name's length, never ending in ".tmd" or ".json". Its length, or
 * 0 if it does not fit cap. */
size_t tm_io_temp_name(const char *name, long pid, unsigned n, char *out,
                       size_t cap);
/* The writer pid of directory entry `entry` if it is a temporary of `name`
 * (as tm_io_temp_name makes them), else -1. */
long tm_io_temp_writer(const char *entry, const char *name);

/* Serialize `snap` with `serialize` and write it atomically to `path`: the
 * body of tm_snapshot_dump and tm_snapshot_dump_json. */
typedef tm_status_t (*tm_io_serializer_t)(const tm_snapshot_t *snap,
                                          tm_buf_t *out);
tm_status_t tm_io_dump_with(const tm_snapshot_t *snap, const char *path,
                            tm_io_serializer_t serialize);

/* The two loaders behind tm_snapshot_load_buffer (which picks one from the
 * first bytes). `name` prefixes every error message. */
tm_status_t tm_io_load_binary(const unsigned char *data, size_t len,
                              const char *name, tm_snapshot_t **out);
tm_status_t tm_io_load_json(const unsigned char *data, size_t len,
                            const char *name, tm_snapshot_t **out);

/* Read a snapshot file from fd into tm_raw memory (the caller frees *data),
 * checking the first bytes before reading more: anything that is not a
 * binary dump or tracemalloc-json is refused after at most 64 KiB, a binary
 * dump is read up to the length its header announces, JSON from a stream
 * that is not a regular file up to 1 GiB. Errors name `name`. */
tm_status_t tm_io_read_snapshot_fd(int fd, const char *name,
                                   unsigned char **data, size_t *len);

/* The loaders' shared rules for what a trace may hold.
 *
 * Sizes: the sizes of one snapshot must total at most TM_IO_MAX_TOTAL_SIZE
 * (INT64_MAX) bytes. Every sum the analysis makes (a group, a cumulative
 * group, a difference between two snapshots) then fits its integer type
 * exactly, as Python's integers would; a larger total cannot come from a
 * real process, so the file is refused rather than wrapped or saturated.
 *
 * An empty traceback is read as the single frame ("<unknown>", 0): what
 * CPython's tracemalloc records when it has no frame, so that grouping by
 * filename or lineno works on it as in CPython. */
#define TM_IO_MAX_TOTAL_SIZE ((uint64_t)INT64_MAX)
#define TM_IO_UNKNOWN_FILE "<unknown>"

/* The binary header, shared by the writer and the loader. */
#define TM_DUMP_MAGIC "\x89TMSNAP\n"
#define TM_DUMP_MAGIC_LEN 8
#define TM_DUMP_HEADER_LEN 24
#define TM_DUMP_FORMAT_VERSION 1
/* Header flag: a leak classification section follows the traces (dump.c).
 * Written only when the snapshot has one, so other dumps stay as before. */
#define TM_DUMP_FLAG_LEAKS 1
/* Header flag (bit 1): an allocation-history section follows (after the
 * leaks section, if any). Bit 2 is left unused (the peak is part of the
 * history records). */
#define TM_DUMP_FLAG_HISTORY 2
/* Header flag (bit 3): a thread section follows (dump.c). Written only
 * when the snapshot has a thread table. Optional sections follow the
 * traces in increasing flag-bit order. */
#define TM_DUMP_FLAG_THREADS 8
/* Header flag (bit 4): a timeline section follows (dump.c). */
#define TM_DUMP_FLAG_TIMELINE 16
/* Header flag (bit 5): each history record's thread follows, last
 * (dump.c). Set only with bits 1 and 3, and written only when some record
 * has a thread, so a dump of a history without threads (a file written
 * before the history carried them, loaded and dumped again) is as
 * before. */
#define TM_DUMP_FLAG_HISTORY_THREADS 32

#endif /* TM_IO_H */
