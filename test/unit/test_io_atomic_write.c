/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_atomic_write.c - tm_io_write_atomic's paths and temporaries:
 * every last component up to NAME_MAX and every path up to PATH_MAX works;
 * the temporary name is short, hidden, names its target and writer, and
 * never looks like a dump; a successful write removes the temporaries of
 * its target left by dead writers, and nothing else. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "io.h"

static char dir[256];

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool has_content(const char *path, const char *want) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static int count_entries(const char *d) {
  DIR *dp = opendir(d);
  int n = 0;
  for (struct dirent *e; dp && (e = readdir(dp));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  if (dp)
    closedir(dp);
  return n;
}

static void test_temp_names(void) {
  char name[NAME_MAX + 1], tmp[NAME_MAX + 1];
  for (size_t len = 1; len <= NAME_MAX; len++) {
    memset(name, 'a', len);
    name[len] = '\0';
    if (len > 4)
      memcpy(name + len - 4, ".tmd", 4);
    size_t n = tm_io_temp_name(name, 2147483647, 4294967295u, tmp, sizeof tmp);
    CHECK(n > 0 && n <= 100 && n == strlen(tmp));
    CHECK(tmp[0] == '.');
    CHECK(!ends_with(tmp, ".tmd") && !ends_with(tmp, ".json"));
    CHECK_EQ_INT(tm_io_temp_writer(tmp, name), 2147483647);
  }
  CHECK(tm_io_temp_name("x.json", 17, 3, tmp, sizeof tmp) > 0);
  CHECK_EQ_INT(tm_io_temp_writer(tmp, "x.json"), 17);
  CHECK_EQ_INT(tm_io_temp_writer(tmp, "y.json"), -1);
  CHECK_EQ_INT(tm_io_temp_writer("x.json", "x.json"), -1);
  // Targets sharing the readable prefix are told apart by the hash.
  char a[80], b[80];
  memset(a, 'p', 60);
  strcpy(a + 60, "-1.tmd");
  memset(b, 'p', 60);
  strcpy(b + 60, "-2.tmd");
  CHECK(tm_io_temp_name(a, 17, 0, tmp, sizeof tmp) > 0);
  CHECK_EQ_INT(tm_io_temp_writer(tmp, a), 17);
  CHECK_EQ_INT(tm_io_temp_writer(tmp, b), -1);
  // Not a temporary: a suffix after the sequence number, no number.
  size_t n = tm_io_temp_name(a, 17, 0, tmp, sizeof tmp);
  strcpy(tmp + n, ".tmd");
  CHECK_EQ_INT(tm_io_temp_writer(tmp, a), -1);
  tmp[n - 1] = '\0';
  CHECK_EQ_INT(tm_io_temp_writer(tmp, a), -1);
  CHECK_EQ_INT(tm_io_temp_name(a, 17, 0, tmp, 20), 0); // does not fit
}

static void test_long_names(void) {
  char path[PATH_MAX + 16];
  for (size_t len = 230; len <= NAME_MAX; len++) {
    int n = snprintf(path, sizeof path, "%s/", dir);
    memset(path + n, 'L', len - 4);
    strcpy(path + n + len - 4, ".tmd");
    CHECK_EQ_INT(tm_io_write_atomic(path, "long", 4), TM_OK);
    CHECK(has_content(path, "long"));
    CHECK_EQ_INT(count_entries(dir), 1); // no temporary left
    unlink(path);
  }
  // One byte more than NAME_MAX: a clear error, nothing created.
  int n = snprintf(path, sizeof path, "%s/", dir);
  memset(path + n, 'L', NAME_MAX + 1);
  path[n + NAME_MAX + 1] = '\0';
  CHECK_EQ_INT(tm_io_write_atomic(path, "long", 4), TM_EIO);
  CHECK(strstr(tm_error_message(), ": cannot create temporary file: File "
                                   "name too long") != NULL);
  CHECK_EQ_INT(count_entries(dir), 0);
}

/* A path of exactly PATH_MAX - 1 bytes: nested directories of 200-byte
 * names, then a file name that fills the rest. */
static void test_path_max(void) {
  char path[PATH_MAX];
  size_t n = (size_t)snprintf(path, sizeof path, "%s", dir);
  int depth = 0;
  while (n + 1 + 200 + 1 + 50 < PATH_MAX - 1) {
    path[n++] = '/';
    memset(path + n, 'D', 200);
    n += 200;
    path[n] = '\0';
    CHECK_EQ_INT(mkdir(path, 0777), 0);
    depth++;
  }
  path[n++] = '/';
  size_t rest = PATH_MAX - 1 - n;
  CHECK(rest <= NAME_MAX);
  memset(path + n, 'F', rest - 4);
  strcpy(path + n + rest - 4, ".tmd");
  CHECK_EQ_INT(strlen(path), PATH_MAX - 1);
  CHECK_EQ_INT(tm_io_write_atomic(path, "deep", 4), TM_OK);
  CHECK(has_content(path, "deep"));
  unlink(path);
  for (; depth > 0; depth--) {
    *strrchr(path, '/') = '\0';
    CHECK_EQ_INT(rmdir(path), 0);
  }
}

static void touch(const char *name) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
  CHECK(fd >= 0);
  if (fd >= 0) {
    CHECK_EQ_INT(write(fd, "partial", 7), 7);
    close(fd);
  }
}

static bool exists(const char *name) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return access(p, F_OK) == 0;
}

static void test_stale_temporaries(void) {
  // A pid that is certainly dead: a child we have reaped.
  pid_t dead = fork();
  if (dead == 0)
    _exit(0);
  CHECK(dead > 0);
  waitpid(dead, NULL, 0);
  char stale[NAME_MAX + 1], live[NAME_MAX + 1], own[NAME_MAX + 1],
      other[NAME_MAX + 1];
  tm_io_temp_name("snap.tmd", dead, 0, stale, sizeof stale);
  tm_io_temp_name("snap.tmd", (long)getppid(), 0, live, sizeof live);
  tm_io_temp_name("snap.tmd", (long)getpid(), 900, own, sizeof own);
  tm_io_temp_name("other.tmd", dead, 0, other, sizeof other);
  touch(stale);
  touch(live);
  touch(own);
  touch(other);
  touch("snap.tmd.bak");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/snap.tmd", dir);
  CHECK_EQ_INT(tm_io_write_atomic(path, "whole", 5), TM_OK);
  CHECK(has_content(path, "whole"));
  CHECK(!exists(stale)); // its writer is dead: removed
  CHECK(exists(live));   // a live writer may still rename it
  CHECK(exists(own));    // another dump of this process may be writing it
  CHECK(exists(other));  // another target's: left to that target's dumps
  CHECK(exists("snap.tmd.bak"));
  CHECK_EQ_INT(count_entries(dir), 5);
  const char *all[] = {live, own, other, "snap.tmd.bak", "snap.tmd"};
  for (int i = 0; i < 5; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, all[i]);
    unlink(path);
  }
}

static void test_bad_paths(void) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/", dir);
  CHECK_EQ_INT(tm_io_write_atomic(path, "x", 1), TM_EINVAL);
  char want[PATH_MAX + 64];
  snprintf(want, sizeof want, "%s: the dump path names a directory", path);
  CHECK_EQ_STR(tm_error_message(), want);
  CHECK_EQ_INT(tm_io_write_atomic("", "x", 1), TM_EINVAL);
  CHECK_EQ_INT(count_entries(dir), 0);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s/tm-atomic-XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(dir))
    return 2;
  test_temp_names();
  test_long_names();
  test_path_max();
  test_stale_temporaries();
  test_bad_paths();
  rmdir(dir);
  return CHECK_DONE();
}
