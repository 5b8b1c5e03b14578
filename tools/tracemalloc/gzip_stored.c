/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* gzip_stored.c - a gzip file without a compressor.
 *
 * pprof reads profile.proto gzipped. Linking zlib would add a dependency to
 * the CLI for a few kilobytes saved; a deflate stream made only of stored
 * blocks (RFC 1951 3.2.4: BTYPE 00, LEN, NLEN, then LEN raw bytes, at most
 * 65535 each) inside a gzip member (RFC 1952: 10-byte header, the stream,
 * CRC-32 and the length mod 2^32) is valid gzip that every reader accepts:
 * gzip -d, Python's gzip module, Go's compress/gzip in pprof. The cost is
 * 5 bytes per 64 KiB plus 18.
 */
#include <string.h>

#include "export.h"

uint32_t cli_crc32(const void *data, size_t len) {
  static uint32_t table[256];
  if (!table[1])
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  const unsigned char *p = data;
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

static void put_le32(tm_buf_t *b, uint32_t v) {
  unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                         (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  tm_buf_append(b, le, 4);
}

bool cli_gzip_stored(const void *data, size_t len, tm_buf_t *out) {
  memset(out, 0, sizeof *out);
  // ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0 (none), XFL=0, OS=255 (unknown)
  static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0,
                                           0,    0,    0, 0, 255};
  tm_buf_reserve(out, len + len / 65535 * 5 + 32);
  tm_buf_append(out, header, sizeof header);
  const unsigned char *p = data;
  size_t left = len;
  do {
    size_t n = left < 65535 ? left : 65535;
    bool final = n == left;
    // BFINAL in bit 0, BTYPE 00; the header's other bits pad to the byte.
    unsigned char block[5] = {final ? 1 : 0, (unsigned char)n,
                              (unsigned char)(n >> 8), (unsigned char)~n,
                              (unsigned char)(~n >> 8)};
    tm_buf_append(out, block, 5);
    tm_buf_append(out, p, n);
    p += n;
    left -= n;
  } while (left);
  put_le32(out, cli_crc32(data, len));
  put_le32(out, (uint32_t)len);
  if (out->failed) {
    tm_buf_free(out);
    return false;
  }
  return true;
}
