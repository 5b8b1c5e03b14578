/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_format.c - CPython's Traceback.format(limit, most_recent_first)
 * with the source lines that linecache.getline would return.
 *
 * Design. Frame selection is Python's slicing on the OLDEST-first frame
 * list: limit > 0 keeps F[-limit:], limit <= 0 keeps F[:limit] (so a
 * negative limit drops the |limit| most recent frames and 0 gives nothing);
 * most_recent_first reverses after the cut. Each frame gives
 *   '  File "<filename>", line <lineno>'  and, when non-blank,
 *   '    <source line stripped like str.strip()>'.
 *
 * tm_traceback_format_ex(TM_FORMAT_FUNCTIONS) adds ", in FUNCTION" to a
 * frame that has a function name, as Python's traceback module prints a
 * FrameSummary: the human reports use it; CPython's tracemalloc has no
 * function names, so tm_traceback_format never shows them.
 *
 * Source lines come from a small process-wide cache (LRU, a few files,
 * guarded by a mutex) so that formatting many frames of one file reads it
 * once. An entry is revalidated by stat (device, inode, size, mtime) on each
 * lookup, which is cheaper than rereading and never serves a stale file. The
 * file is read with open/read (never stdio: fopen would call malloc, and the
 * runtime must not trace itself) and decoded the way Python's tokenize.open
 * does: UTF-8 by default, a UTF-8 BOM, or a PEP 263 coding cookie on line 1
 * or 2 (utf-8, latin-1/iso-8859-1 and ascii are supported; any other
 * declared encoding, or bytes that do not decode, give no source lines,
 * as a decoding error does in linecache). Newlines are universal (\n, \r\n,
 * lone \r). Names like "<unknown>" are never opened; relative names are
 * resolved against the current directory (there is no sys.path to search).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "utf8.h"

/* ------------------------------------------------------------------------ */
/* Growable output                                                           */
/* ------------------------------------------------------------------------ */

typedef struct sbuf {
  char *p;
  size_t len, cap;
  bool oom;
} sbuf_t;

static void sb_write(sbuf_t *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap * 2 : 256;
    while (ncap < b->len + n + 1)
      ncap *= 2;
    char *p = tm_raw_realloc(b->p, ncap, TM_MEM_OBJECTS);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = ncap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(sbuf_t *b, const char *s) { sb_write(b, s, strlen(s)); }

/* ------------------------------------------------------------------------ */
/* Decoding (tokenize.detect_encoding + strict decoders)                     */
/* ------------------------------------------------------------------------ */

static bool utf8_valid(const unsigned char *s, size_t n) {
  uint32_t cp;
  for (size_t i = 0; i < n;) {
    size_t k = tm_utf8_decode(s + i, n - i, &cp);
    if (!k)
      return false;
    i += k;
  }
  return true;
}

enum enc { ENC_UTF8, ENC_LATIN1, ENC_ASCII, ENC_BAD };

/* cookie_re: ^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+) on one line. */
static bool find_cookie(const char *l, size_t n, enum enc *out) {
  size_t i = 0;
  while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\f'))
    i++;
  if (i >= n || l[i] != '#')
    return false;
  for (; i + 7 <= n; i++) {
    if (memcmp(l + i, "coding", 6) || (l[i + 6] != ':' && l[i + 6] != '='))
      continue;
    size_t j = i + 7;
    while (j < n && (l[j] == ' ' || l[j] == '\t'))
      j++;
    char name[13];
    size_t k = 0, start = j;
    while (j < n && (l[j] == '-' || l[j] == '_' || l[j] == '.' ||
                     (l[j] >= '0' && l[j] <= '9') ||
                     ((l[j] | 0x20) >= 'a' && (l[j] | 0x20) <= 'z'))) {
      if (k < 12) /* _get_normal_name looks at 12 characters */
        name[k++] = (char)(l[j] == '_' ? '-' : (l[j] | 0x20));
      j++;
    }
    if (j == start)
      continue; /* ".*?" is lazy: a later "coding:" may still match */
    name[k] = '\0';
    if (!strcmp(name, "utf-8") || !strncmp(name, "utf-8-", 6) ||
        !strcmp(name, "utf8"))
      *out = ENC_UTF8;
    else if (!strcmp(name, "latin-1") || !strcmp(name, "iso-8859-1") ||
             !strcmp(name, "iso-latin-1") || !strncmp(name, "latin-1-", 8) ||
             !strncmp(name, "iso-8859-1-", 11) || !strcmp(name, "latin1"))
      *out = ENC_LATIN1;
    else if (!strcmp(name, "ascii") || !strcmp(name, "us-ascii"))
      *out = ENC_ASCII;
    else
      *out = ENC_BAD; /* a codec we do not carry: treat as undecodable */
    return true;
  }
  return false;
}

/* blank_re: ^[ \t\f]*(?:[#\r\n]|$) */
static bool blank_or_comment(const char *l, size_t n) {
  size_t i = 0;
  while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\f'))
    i++;
  return i == n || l[i] == '#' || l[i] == '\r' || l[i] == '\n';
}

static size_t bin_line(const char *s, size_t n) {
  const char *nl = memchr(s, '\n', n);
  return nl ? (size_t)(nl - s) + 1 : n;
}

/* tokenize.detect_encoding on the raw bytes; *skip gets the BOM length. */
static enum enc detect_encoding(const char *s, size_t n, size_t *skip) {
  bool bom = n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3);
  *skip = bom ? 3 : 0;
  s += *skip;
  n -= *skip;
  enum enc e = ENC_UTF8;
  size_t l1 = bin_line(s, n);
  if (!l1)
    return ENC_UTF8;
  for (int line = 0; line < 2; line++) {
    const char *l = line ? s + l1 : s;
    size_t ln = line ? bin_line(s + l1, n - l1) : l1;
    if (!ln)
      return ENC_UTF8;
    if (!utf8_valid((const unsigned char *)l, ln))
      return ENC_BAD; /* find_cookie raises SyntaxError */
    if (find_cookie(l, ln, &e))
      return (bom && e != ENC_UTF8) ? ENC_BAD : e;
    if (line == 0 && !blank_or_comment(l, ln))
      return ENC_UTF8;
  }
  return ENC_UTF8;
}

/* The file decoded to UTF-8 (latin-1 widened), NULL if it does not decode
 * or on out-of-memory. */
static char *decode(const char *raw, size_t n, size_t *outlen) {
  size_t skip;
  enum enc e = detect_encoding(raw, n, &skip);
  raw += skip;
  n -= skip;
  if (e == ENC_BAD)
    return NULL;
  const unsigned char *u = (const unsigned char *)raw;
  if (e == ENC_UTF8 && !utf8_valid(u, n))
    return NULL;
  size_t extra = 0;
  for (size_t i = 0; i < n; i++) {
    if (u[i] >= 0x80 && e == ENC_ASCII)
      return NULL;
    extra += e == ENC_LATIN1 && u[i] >= 0x80;
  }
  char *d = tm_raw_alloc(n + extra + 1, TM_MEM_OBJECTS);
  if (!d)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (e == ENC_LATIN1 && u[i] >= 0x80) {
      d[o++] = (char)(0xc0 | (u[i] >> 6));
      d[o++] = (char)(0x80 | (u[i] & 0x3f));
    } else {
      d[o++] = raw[i];
    }
  }
  d[o] = '\0';
  *outlen = o;
  return d;
}

/* ------------------------------------------------------------------------ */
/* The line cache                                                            */
/* ------------------------------------------------------------------------ */

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
      e->text = decode(raw, n, &dn);
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

/* ------------------------------------------------------------------------ */
/* str.strip() and the source line                                           */
/* ------------------------------------------------------------------------ */

static bool py_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 ||
         c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
         c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

/* Strip Python whitespace from both ends of s[0..n) (valid UTF-8). */
static void strip(const char **s, size_t *n) {
  const unsigned char *u = (const unsigned char *)*s;
  size_t b = 0, e = *n;
  uint32_t cp;
  while (b < e) {
    size_t k = tm_utf8_decode(u + b, e - b, &cp);
    if (!k || !py_space(cp))
      break;
    b += k;
  }
  while (e > b) {
    size_t k = 1;
    while (k < e - b && (u[e - k] & 0xc0) == 0x80 && k < 4)
      k++;
    if (tm_utf8_decode(u + e - k, k, &cp) != k || !py_space(cp))
      break;
    e -= k;
  }
  *s += b;
  *n = e - b;
}

/* Append '\n    <line>' when linecache would give a non-blank line. */
static void put_source(sbuf_t *b, const char *name, unsigned int lineno) {
  size_t len = strlen(name);
  if (!len || (name[0] == '<' && name[len - 1] == '>') || lineno < 1)
    return;
  pthread_mutex_lock(&lc_lock);
  lc_entry_t *e = lc_get(name);
  if (e && e->text && lineno <= e->nlines) {
    const char *l = e->text + e->lines[2 * (lineno - 1)];
    size_t n = e->lines[2 * (lineno - 1) + 1] - e->lines[2 * (lineno - 1)];
    strip(&l, &n);
    if (n) {
      sb_puts(b, "\n    ");
      sb_write(b, l, n);
    }
  }
  pthread_mutex_unlock(&lc_lock);
}

/* ------------------------------------------------------------------------ */
/* Traceback.format                                                          */
/* ------------------------------------------------------------------------ */

/* Traceback.format, and with TM_FORMAT_FUNCTIONS the "File ..., line N, in
 * FUNCTION" form of Python's traceback module (FrameSummary lines). */
static tm_status_t format_frames(const tm_traceback_t *tb, bool has_limit,
                                 int limit, bool most_recent_first,
                                 unsigned flags, char **out) {
  if (!out)
    return tm_set_error(TM_EINVAL, "out must not be NULL");
  *out = NULL;
  if (!tb)
    return tm_set_error(TM_EINVAL, "traceback must not be NULL");
  if (flags & ~(unsigned)TM_FORMAT_FUNCTIONS)
    return tm_set_error(TM_EINVAL, "unknown format flags 0x%x", flags);
  /* oldest-first index k is frames[n - 1 - k]; select F[lo:hi] */
  long n = (long)tb->nframe, lo = 0, hi = n;
  if (has_limit && limit > 0)
    lo = n - limit < 0 ? 0 : n - limit;
  else if (has_limit)
    hi = limit == 0 ? 0 : (n + limit < 0 ? 0 : n + limit);
  sbuf_t b = {0};
  sb_write(&b, "", 0);
  for (long i = 0; i < hi - lo; i++) {
    long k = most_recent_first ? hi - 1 - i : lo + i;
    const tm_frame_t *f = &tb->frames[n - 1 - k];
    char head[64];
    snprintf(head, sizeof head, "\", line %u", f->lineno);
    sb_puts(&b, i ? "\n  File \"" : "  File \"");
    sb_puts(&b, f->filename);
    sb_puts(&b, head);
    /* An empty name says nothing: the line stays CPython's. */
    if ((flags & TM_FORMAT_FUNCTIONS) && f->function && *f->function) {
      sb_puts(&b, ", in ");
      sb_puts(&b, f->function);
    }
    put_source(&b, f->filename, f->lineno);
  }
  if (b.oom) {
    tm_raw_free(b.p);
    return tm_set_error(TM_ENOMEM, "out of memory formatting a traceback");
  }
  *out = b.p;
  return TM_OK;
}

tm_status_t tm_traceback_format(const tm_traceback_t *tb, bool has_limit,
                                int limit, bool most_recent_first, char **out) {
  return format_frames(tb, has_limit, limit, most_recent_first, 0, out);
}

tm_status_t tm_traceback_format_ex(const tm_traceback_t *tb, bool has_limit,
                                   int limit, bool most_recent_first,
                                   unsigned flags, char **out) {
  return format_frames(tb, has_limit, limit, most_recent_first, flags, out);
}
