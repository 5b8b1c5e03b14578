/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* linecache.c - the source lines Traceback.format shows: what Python's
 * linecache.getline returns, from a small process-wide cache.
 *
 * The cache (LRU, a few files, guarded by a mutex) lets formatting many
 * frames of one file read it once. An entry is revalidated by stat (device,
 * inode, size, mtime) on each lookup, which is cheaper than rereading and
 * never serves a stale file. The file is read with open/read (never stdio:
 * fopen would call malloc, and the runtime must not trace itself) and
 * decoded as tokenize.open does (source_decode.c). Newlines are universal
 * (\n, \r\n, lone \r). Names like "<unknown>" are never opened; relative
 * names are resolved against the current directory (there is no sys.path to
 * search).
 *
 * Separate from traceback_format.c: it holds process-wide state (files,
 * a lock) that the formatting itself does not.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linecache.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "source_decode.h"

#define LC_ENTRIES 16
#define LC_MAX_FILE ((size_t)64 * 1024 * 1024) /* bigger: no source lines */

typedef struct lc_entry {
  char *name; /* NULL: free slot */
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  char *text;    /* decoded; NULL when the file does not decode */
  size_t *lines; /* 2 * nlines offsets: [start, end) of each line */
  size_t nlines;
  uint64_t used; /* LRU clock */
} lc_entry_t;

static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;
static lc_entry_t lc[LC_ENTRIES];
static uint64_t lc_clock;

static void lc_drop(lc_entry_t *e) {
  tm_raw_free(e->name);
  tm_raw_free(e->text);
  tm_raw_free(e->lines);
  memset(e, 0, sizeof *e);
}

/* Universal newlines: \n, \r\n and a lone \r end a line. */
static bool split_lines(lc_entry_t *e, size_t n) {
  size_t count = 0, cap = 64;
  size_t *l = tm_raw_alloc(cap * 2 * sizeof *l, TM_MEM_OBJECTS);
  for (size_t i = 0; l && i < n;) {
    size_t start = i;
    while (i < n && e->text[i] != '\n' && e->text[i] != '\r')
      i++;
    size_t end = i;
    if (i < n)
      i += (e->text[i] == '\r' && i + 1 < n && e->text[i + 1] == '\n') ? 2 : 1;
    if (count == cap) {
      cap *= 2;
      size_t *nl = tm_raw_realloc(l, cap * 2 * sizeof *l, TM_MEM_OBJECTS);
      if (!nl) {
        tm_raw_free(l);
        return false;
      }
      l = nl;
    }
    l[2 * count] = start;
    l[2 * count + 1] = end;
    count++;
  }
  e->lines = l;
  e->nlines = count;
  return l != NULL;
}

static char *read_all(int fd, size_t size, size_t *got) {
  char *buf = tm_raw_alloc(size + 1, TM_MEM_OBJECTS);
  size_t n = 0;
  while (buf && n < size) {
    ssize_t r = read(fd, buf + n, size - n);
    if (r < 0) {
      tm_raw_free(buf);
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  *got = n;
  return buf;
}

/* Fill e from the file (e->name set). On failure e->text stays NULL. */
static void lc_load(lc_entry_t *e, const char *name) {
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (size_t)st.st_size <= LC_MAX_FILE) {
    size_t n;
    char *raw = read_all(fd, (size_t)st.st_size, &n);
    if (raw) {
      size_t dn = 0;
      e->text = tm_source_decode(raw, n, &dn);
      tm_raw_free(raw);
      if (e->text && !split_lines(e, dn)) {
        tm_raw_free(e->text);
        e->text = NULL;
      }
    }
  }
  close(fd);
}

/* The cache entry for `name`, (re)loaded if the file changed; NULL when the
 * file cannot be stat'ed. Called with lc_lock held. */
static lc_entry_t *lc_get(const char *name) {
  struct stat st;
  if (stat(name, &st) != 0)
    return NULL;
  lc_entry_t *victim = &lc[0];
  for (int i = 0; i < LC_ENTRIES; i++) {
    lc_entry_t *e = &lc[i];
    if (e->name && !strcmp(e->name, name)) {
      if (e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
          e->mtime.tv_sec == st.st_mtim.tv_sec &&
          e->mtime.tv_nsec == st.st_mtim.tv_nsec) {
        e->used = ++lc_clock;
        return e;
      }
      victim = e;
      break;
    }
    if (!e->name || e->used < victim->used)
      victim = e;
  }
  lc_drop(victim);
  size_t len = strlen(name);
  victim->name = tm_raw_alloc(len + 1, TM_MEM_OBJECTS);
  if (!victim->name)
    return NULL;
  memcpy(victim->name, name, len + 1);
  victim->dev = st.st_dev;
  victim->ino = st.st_ino;
  victim->size = st.st_size;
  victim->mtime = st.st_mtim;
  victim->used = ++lc_clock;
  lc_load(victim, name);
  return victim;
}

void tm_linecache_clear(void) {
  pthread_mutex_lock(&lc_lock);
  for (int i = 0; i < LC_ENTRIES; i++)
    lc_drop(&lc[i]);
  pthread_mutex_unlock(&lc_lock);
}

/* The line `lineno` of `name` to fn, as linecache.getline would give it. */
void tm_linecache_getline(const char *name, unsigned int lineno,
                          tm_linecache_line_fn fn, void *arg) {
  size_t len = strlen(name);
  if (!len || (name[0] == '<' && name[len - 1] == '>') || lineno < 1)
    return;
  pthread_mutex_lock(&lc_lock);
  lc_entry_t *e = lc_get(name);
  if (e && e->text && lineno <= e->nlines) {
    const char *l = e->text + e->lines[2 * (lineno - 1)];
    size_t n = e->lines[2 * (lineno - 1) + 1] - e->lines[2 * (lineno - 1)];
    fn(arg, l, n);
  }
  pthread_mutex_unlock(&lc_lock);
}
