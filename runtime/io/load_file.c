/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* load_file.c - where a snapshot is loaded from: tm_snapshot_load (a
 * path), tm_io_load_fd and tm_io_read_snapshot_fd (a descriptor: stdin, a
 * pipe, a device), and tm_snapshot_load_buffer, which tells a binary dump
 * (load.c) from JSON (json_read.c) by its first bytes.
 *
 * Separate from load.c: this reads files and picks a format; it decodes
 * nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load_reader.h"
#include "raw_alloc.h"

/* JSON if the first non-blank byte (after an optional UTF-8 BOM) is '{'. */
static bool looks_like_json(const unsigned char *d, size_t len) {
  size_t i = 0;
  if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
    i = 3;
  while (i < len &&
         (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
    i++;
  return i < len && d[i] == '{';
}

tm_status_t tm_snapshot_load_buffer(const void *data, size_t len,
                                    const char *name, tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!name)
    name = "<buffer>";
  if (!data && len)
    return tm_set_error(TM_EINVAL, "%s: data is NULL", name);
  const unsigned char *d = data;
  if (len == 0)
    return fail(name, TM_EFORMAT, "empty file, not a tracemalloc snapshot");
  size_t n = len < TM_DUMP_MAGIC_LEN ? len : TM_DUMP_MAGIC_LEN;
  if (memcmp(d, TM_DUMP_MAGIC, n) == 0)
    return tm_io_load_binary(d, len, name, out);
  if (looks_like_json(d, len))
    return tm_io_load_json(d, len, name, out);
  return fail(name, TM_EFORMAT,
              "not a tracemalloc snapshot (bad magic; "
              "expected a binary dump or tracemalloc-json)");
}

/* Reading a snapshot file. The format is recognised from the first bytes
 * before anything large is read: a file that is neither a binary dump nor
 * JSON (a device like /dev/zero, a log file, ...) is refused after at most
 * TM_SNIFF_MAX bytes. A binary dump then says its own length in its header,
 * and a regular file's size is known; only JSON read from a pipe or a device
 * has no announced size, so it is read in growing chunks up to
 * TM_STREAM_MAX. Memory grows with the bytes actually read, never with a
 * length the input claims. */
#define TM_SNIFF_MAX ((size_t)64 * 1024)
#define TM_STREAM_MAX ((size_t)1 << 30)

typedef struct file_in {
  int fd;
  const char *name;
  unsigned char *buf;
  size_t len, cap;
  bool eof;
} file_in_t;

/* Read until at least `want` bytes are buffered or end of file. */
static tm_status_t fill(file_in_t *f, size_t want) {
  while (f->len < want && !f->eof) {
    if (f->len == f->cap) {
      size_t cap = f->cap ? f->cap * 2 : 4096;
      unsigned char *b = tm_raw_realloc(f->buf, cap, TM_MEM_OBJECTS);
      if (!b)
        return fail(f->name, TM_ENOMEM, "out of memory while reading");
      f->buf = b;
      f->cap = cap;
    }
    ssize_t got = read(f->fd, f->buf + f->len, f->cap - f->len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return fail(f->name, TM_EIO, "cannot read: %s", strerror(errno));
    if (got == 0)
      f->eof = true;
    f->len += (size_t)got;
  }
  return TM_OK;
}

/* Which format the buffered bytes start: 'b' binary, 'j' JSON, 0 neither,
 * '?' undecided (only blanks so far). */
static int sniff(const unsigned char *d, size_t len) {
  size_t n = len < TM_DUMP_MAGIC_LEN ? len : TM_DUMP_MAGIC_LEN;
  if (len && memcmp(d, TM_DUMP_MAGIC, n) == 0)
    return len >= TM_DUMP_MAGIC_LEN ? 'b' : '?';
  size_t i = 0;
  if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
    i = 3;
  else if (len < 3 && len && d[0] == 0xEF)
    return (len < 2 || d[1] == 0xBB) ? '?' : 0;
  while (i < len &&
         (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
    i++;
  if (i == len)
    return '?';
  return d[i] == '{' ? 'j' : 0;
}

tm_status_t tm_io_read_snapshot_fd(int fd, const char *name,
                                   unsigned char **data, size_t *len) {
  file_in_t f = {fd, name, NULL, 0, 0, false};
  struct stat sb;
  if (fstat(fd, &sb) != 0)
    return fail(name, TM_EIO, "cannot read: %s", strerror(errno));
  if (S_ISDIR(sb.st_mode))
    return fail(name, TM_EIO, "cannot read: %s", strerror(EISDIR));
  bool regular = S_ISREG(sb.st_mode);
  tm_status_t st = TM_OK;
  int kind = '?';
  // Sniff in small steps so that a foreign stream is refused early.
  for (size_t want = 64; kind == '?' && st == TM_OK; want *= 2) {
    st = fill(&f, want);
    if (st != TM_OK)
      break;
    kind = sniff(f.buf, f.len);
    if (kind == '?' && (f.eof || f.len >= TM_SNIFF_MAX))
      kind = f.len ? 0 : 'e';
  }
  if (st == TM_OK && kind == 'e')
    st = fail(name, TM_EFORMAT, "empty file, not a tracemalloc snapshot");
  else if (st == TM_OK && kind == 0)
    st = fail(name, TM_EFORMAT,
              "not a tracemalloc snapshot (bad magic; expected a binary "
              "dump or tracemalloc-json)");
  // A regular file's size is known (it is what we will read): allocate it
  // at once rather than doubling.
  if (st == TM_OK && kind && regular && (uint64_t)sb.st_size < SIZE_MAX / 2 &&
      (size_t)sb.st_size + 1 > f.cap) {
    unsigned char *b =
        tm_raw_realloc(f.buf, (size_t)sb.st_size + 1, TM_MEM_OBJECTS);
    if (!b)
      st = fail(name, TM_ENOMEM, "out of memory while reading");
    else
      f.buf = b, f.cap = (size_t)sb.st_size + 1;
  }
  if (st == TM_OK && kind == 'b') {
    // The header announces the payload: read exactly that much (and one
    // byte more, to report trailing garbage), whatever the file is.
    st = fill(&f, TM_DUMP_HEADER_LEN);
    if (st == TM_OK && regular) {
      st = fill(&f, (size_t)sb.st_size + 1);
    } else if (st == TM_OK && f.len >= TM_DUMP_HEADER_LEN) {
      uint64_t payload = get_le(f.buf + 16, 8);
      if (payload <= SIZE_MAX / 2)
        st = fill(&f, (size_t)payload + TM_DUMP_HEADER_LEN + 1);
    }
  } else if (st == TM_OK && kind == 'j') {
    // A regular file is read whole. Anything else (a pipe, a device, a /proc
    // file that reports size 0, a file that grows while we read) stops at
    // TM_STREAM_MAX or at the size it had.
    size_t max = TM_STREAM_MAX;
    if (regular && (uint64_t)sb.st_size > SIZE_MAX / 2)
      st = fail(name, TM_EFORMAT, "too large to load");
    else if (regular && (size_t)sb.st_size > max)
      max = (size_t)sb.st_size;
    if (st == TM_OK)
      st = fill(&f, max + 1);
    if (st == TM_OK && f.len > max)
      st = fail(name, TM_EFORMAT,
                "more than %zu MiB of JSON from a file that is not a "
                "regular file of that size; refusing to read further",
                max >> 20);
  }
  if (st != TM_OK) {
    tm_raw_free(f.buf);
    return st;
  }
  *data = f.buf;
  *len = f.len;
  return TM_OK;
}

tm_status_t tm_io_load_fd(int fd, const char *name, tm_snapshot_t **out) {
  *out = NULL;
  unsigned char *data = NULL;
  size_t len = 0;
  tm_status_t st = tm_io_read_snapshot_fd(fd, name, &data, &len);
  if (st != TM_OK)
    return st;
  st = tm_snapshot_load_buffer(data, len, name, out);
  tm_raw_free(data);
  return st;
}

tm_status_t tm_snapshot_load(const char *path, tm_snapshot_t **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!path)
    return tm_set_error(TM_EINVAL, "path must not be NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(path, TM_EIO, "cannot open: %s", strerror(errno));
  tm_status_t st = tm_io_load_fd(fd, path, out);
  close(fd);
  return st;
}
