/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* atomic_write.c - tm_io_write_atomic: a dump appears whole or not at all.
 *
 * Design. The bytes go to a temporary file in the target's directory (same
 * file system, so rename(2) is atomic), are fsync'ed, and only then renamed
 * over the target; the directory is fsync'ed so that the rename itself
 * survives a crash. Everything is relative to a descriptor of that
 * directory, so any path the kernel accepts (up to PATH_MAX) works.
 *
 * The temporary name (tm_io_temp_name) is short whatever the target's: a
 * dot, at most TEMP_PREFIX bytes of the target's name for people who look,
 * ".tmp-", a 64-bit hash of the whole target name, then "-<pid>-<n>". So it
 * fits NAME_MAX whenever the target does, it is hidden, it never ends in
 * ".tmd" or ".json" (a process killed while writing never leaves something
 * that looks like a dump; the loader rejects a truncated file anyway: the
 * header holds the payload length and its CRC), and it names its writer.
 * After each successful dump, the temporaries of the same target whose
 * writer no longer exists are removed: what a killed writer left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "io.h"
#include "raw_alloc.h"

#define TEMP_PREFIX 32

static atomic_uint tmp_counter;

static uint64_t name_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

/* ".<prefix>.tmp-<hash>-": what every temporary of `name` starts with. */
static int temp_stem(const char *name, char *out, size_t cap) {
  size_t n = strlen(name);
  return snprintf(out, cap, ".%.*s.tmp-%016llx-",
                  (int)(n < TEMP_PREFIX ? n : TEMP_PREFIX), name,
                  (unsigned long long)name_hash(name));
}

size_t tm_io_temp_name(const char *name, long pid, unsigned n, char *out,
                       size_t cap) {
  int stem = temp_stem(name, out, cap);
  if (stem < 0 || (size_t)stem >= cap)
    return 0;
  int rest = snprintf(out + stem, cap - (size_t)stem, "%ld-%u", pid, n);
  if (rest < 0 || (size_t)rest >= cap - (size_t)stem)
    return 0;
  return (size_t)stem + (size_t)rest;
}

/* Parse "<digits>" into *v; false unless s is exactly that. */
static bool parse_digits(const char *s, const char *end, long *v) {
  if (s == end || end - s > 18)
    return false;
  long x = 0;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9')
      return false;
    x = x * 10 + (*s - '0');
  }
  *v = x;
  return true;
}

long tm_io_temp_writer(const char *entry, const char *name) {
  char stem[TEMP_PREFIX + 48];
  int n = temp_stem(name, stem, sizeof stem);
  if (n < 0 || strncmp(entry, stem, (size_t)n) != 0)
    return -1;
  const char *pid = entry + n, *dash = strchr(pid, '-');
  long p, seq;
  if (!dash || !parse_digits(pid, dash, &p) ||
      !parse_digits(dash + 1, dash + 1 + strlen(dash + 1), &seq) || p <= 0)
    return -1;
  return p;
}

static int write_all(int fd, const unsigned char *p, size_t len) {
  while (len) {
    ssize_t n = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Remove the temporaries of `name` in dfd whose writer is gone (kill(2)
 * says no such process). Best effort: errors only leave files behind.
 * Reads the directory with getdents64 into tm_raw memory, because
 * opendir allocates with malloc. A process of another pid namespace
 * writing the same target would look gone: dumps are not shared that
 * way. */
static void remove_stale_temps(int dfd, const char *name) {
  enum { BUF = 32768 };
  char *buf = tm_raw_alloc(BUF, TM_MEM_OBJECTS);
  if (!buf)
    return;
  int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    tm_raw_free(buf);
    return;
  }
  long self = (long)getpid();
  for (;;) {
    long got = syscall(SYS_getdents64, fd, buf, BUF);
    if (got <= 0)
      break;
    for (long off = 0; off < got;) {
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name.
      unsigned short reclen;
      memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char *entry = buf + off + 19;
      off += reclen;
      long pid = tm_io_temp_writer(entry, name);
      if (pid > 0 && pid != self && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        unlinkat(fd, entry, 0);
    }
  }
  close(fd);
  tm_raw_free(buf);
}

/* Create a fresh temporary for `name` in dfd, exclusively; 0666 so the
 * umask applies as for any new file. Returns the fd or -1 (errno set). */
static int open_temp(int dfd, const char *name, char *tmp, size_t cap) {
  for (int attempt = 0; attempt < 100; attempt++) {
    if (!tm_io_temp_name(name, (long)getpid(),
                         atomic_fetch_add(&tmp_counter, 1), tmp, cap)) {
      errno = ENAMETOOLONG;
      return -1;
    }
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

/* The directory of path (into dir, NUL-terminated) and its last
 * component; NULL when path ends with '/' or does not fit. */
static const char *split_path(const char *path, char *dir, size_t cap) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t n = slash ? (size_t)(slash - path) : 0;
  if (!*name || n >= cap)
    return NULL;
  if (!slash)
    strcpy(dir, ".");
  else if (n == 0)
    strcpy(dir, "/");
  else {
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  return name;
}

tm_status_t tm_io_write_atomic(const char *path, const void *data, size_t len) {
  if (!path || !*path)
    return tm_set_error(TM_EINVAL, "the dump path must not be empty");
  size_t cap = strlen(path) + 2;
  char *dir = tm_raw_alloc(cap, TM_MEM_OBJECTS);
  if (!dir)
    return tm_set_error(TM_ENOMEM, "%s: out of memory", path);
  char tmp[NAME_MAX + 1];
  tm_status_t st = TM_OK;
  int dfd = -1, fd = -1;
  const char *name = split_path(path, dir, cap);
  if (!name) {
    st = tm_set_error(TM_EINVAL, "%s: the dump path names a directory", path);
    goto out;
  }
  if (strlen(name) > NAME_MAX) {
    st = tm_set_error(TM_EIO, "%s: cannot create temporary file: %s", path,
                      strerror(ENAMETOOLONG));
    goto out;
  }
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    fd = open_temp(dfd, name, tmp, sizeof tmp);
  if (fd < 0) {
    st = tm_set_error(TM_EIO, "%s: cannot create temporary file: %s", path,
                      strerror(errno));
    goto out;
  }
  const char *what = NULL;
  if (write_all(fd, data, len) != 0)
    what = "write";
  else if (fsync(fd) != 0)
    what = "fsync";
  int err = errno;
  if (close(fd) != 0 && !what) {
    what = "close";
    err = errno;
  }
  if (!what && renameat(dfd, tmp, dfd, name) != 0) {
    what = "rename";
    err = errno;
  }
  if (what) {
    unlinkat(dfd, tmp, 0);
    st = tm_set_error(TM_EIO, "%s: %s failed: %s", path, what, strerror(err));
    goto out;
  }
  remove_stale_temps(dfd, name);
  // Failure is ignored: some file systems refuse fsync on directories.
  fsync(dfd);
out:
  if (dfd >= 0)
    close(dfd);
  tm_raw_free(dir);
  return st;
}

tm_status_t tm_io_dump_with(const tm_snapshot_t *snap, const char *path,
                            tm_io_serializer_t serialize) {
  if (!snap || !path)
    return tm_set_error(TM_EINVAL, "snapshot and path must not be NULL");
  tm_buf_t buf;
  tm_status_t st = serialize(snap, &buf);
  if (st != TM_OK)
    return st;
  st = tm_io_write_atomic(path, buf.data, buf.len);
  tm_buf_free(&buf);
  return st;
}
