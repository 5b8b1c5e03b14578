/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* export.h - the formats of `tracemalloc export` beyond our own JSON and
 * binary dumps (docs/cli.md "Export formats"): each serialises a snapshot
 * into a fresh buffer and returns false on out-of-memory (the buffer is then
 * empty).
 *
 *   pickle     what CPython's Snapshot.dump writes (export_pickle.c)
 *   collapsed  Brendan Gregg's folded stacks (export_collapsed.c)
 *   pprof      gzipped profile.proto (export_pprof.c, gzip_stored.c)
 */
#ifndef TM_CLI_EXPORT_H
#define TM_CLI_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot_io.h"
#include "tracemalloc.h"

bool cli_export_pickle(const tm_snapshot_t *snap, tm_buf_t *out);
bool cli_export_collapsed(const tm_snapshot_t *snap, tm_buf_t *out);
bool cli_export_pprof(const tm_snapshot_t *snap, tm_buf_t *out);

/* A gzip member (RFC 1952) holding `len` bytes in stored deflate blocks
 * (RFC 1951 BTYPE 00): valid gzip that needs no compressor. */
bool cli_gzip_stored(const void *data, size_t len, tm_buf_t *out);
/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), gzip's checksum. */
uint32_t cli_crc32(const void *data, size_t len);

#endif /* TM_CLI_EXPORT_H */
