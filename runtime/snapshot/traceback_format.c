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
 * Source lines come from linecache.c, decoded as Python's tokenize.open
 * does (source_decode.c).
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "linecache.h"
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

/* Append '\n    <line>' when the line linecache gives is not blank. */
static void put_source(void *arg, const char *l, size_t n) {
  sbuf_t *b = arg;
  strip(&l, &n);
  if (n) {
    sb_puts(b, "\n    ");
    sb_write(b, l, n);
  }
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
    tm_linecache_getline(f->filename, f->lineno, put_source, &b);
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
