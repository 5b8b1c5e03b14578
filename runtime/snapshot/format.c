/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* format.c - CPython's text forms: _format_size and str() of Frame,
 * Traceback, Trace, Statistic and StatisticDiff (Lib/tracemalloc.py).
 *
 * Design. _format_size walks the units with a double exactly as Python does
 * (the unit is chosen BEFORE rounding, so 102399 B is "100.0 KiB") and lets
 * snprintf's correctly rounded "%.1f" / "%.0f" do the rounding, which is
 * ties-to-even on the exact binary value, as Python's "%" formatting is.
 * Python's formatting ignores the locale, snprintf does not, so whatever the
 * host program set as LC_NUMERIC decimal point is replaced by '.'.
 *
 * Every formatter has snprintf's contract: it writes what fits (always
 * NUL-terminated when buflen > 0) and returns the full length needed.
 *
 * One deliberate difference: str() of an EMPTY traceback (only possible in a
 * hand-made snapshot) raises IndexError in CPython; here it is "" so that a
 * formatter never fails.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snapshot.h"

/* ------------------------------------------------------------------------ */
/* Output with snprintf semantics                                            */
/* ------------------------------------------------------------------------ */

typedef struct out {
  char *buf;
  size_t cap;
  size_t len; /* length the full text needs so far */
} out_t;

static void out_init(out_t *o, char *buf, size_t cap) {
  o->buf = buf;
  o->cap = cap;
  o->len = 0;
  if (cap)
    buf[0] = '\0';
}

static void out_write(out_t *o, const char *s, size_t n) {
  if (o->len + 1 < o->cap) {
    size_t room = o->cap - 1 - o->len;
    size_t k = n < room ? n : room;
    memcpy(o->buf + o->len, s, k);
    o->buf[o->len + k] = '\0';
  }
  o->len += n;
}

static void out_puts(out_t *o, const char *s) { out_write(o, s, strlen(s)); }

static void out_printf(out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void out_printf(out_t *o, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0)
    out_write(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ------------------------------------------------------------------------ */
/* _format_size                                                              */
/* ------------------------------------------------------------------------ */

/* "%.*f" / "%+.*f" of v, with '.' as the decimal point whatever the locale:
 * the output is [sign]digits<point>digits, so the point is whatever sits
 * between the integer digits and the last `prec` digits. */
static void fixed(out_t *o, double v, int prec, bool sign) {
  char tmp[400];
  int n = snprintf(tmp, sizeof tmp, sign ? "%+.*f" : "%.*f", prec, v);
  if (n < 0 || (size_t)n >= sizeof tmp)
    return;
  if (prec == 0 || !isfinite(v)) { /* "inf", "nan": as Python prints them */
    out_write(o, tmp, (size_t)n);
    return;
  }
  size_t i = (tmp[0] == '+' || tmp[0] == '-') ? 1 : 0;
  while (tmp[i] >= '0' && tmp[i] <= '9')
    i++;
  out_write(o, tmp, i);
  out_write(o, ".", 1);
  out_write(o, tmp + (size_t)n - (size_t)prec, (size_t)prec);
}

static void format_size(out_t *o, double size, bool sign) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  for (int u = 0; u < 5; u++) {
    if (fabs(size) < 100 && u != 0) {
      fixed(o, size, 1, sign); /* 3 digits: xx.x UNIT */
      out_puts(o, " ");
      out_puts(o, units[u]);
      return;
    }
    if (fabs(size) < 10 * 1024 || u == 4) {
      fixed(o, size, 0, sign); /* 4 or 5 digits: xxxx UNIT */
      out_puts(o, " ");
      out_puts(o, units[u]);
      return;
    }
    size /= 1024;
  }
}

size_t tm_format_size(char *buf, size_t buflen, double size, bool sign) {
  out_t o;
  out_init(&o, buf, buflen);
  format_size(&o, size, sign);
  return o.len;
}

/* ------------------------------------------------------------------------ */
/* str() forms                                                               */
/* ------------------------------------------------------------------------ */

static void put_frame(out_t *o, const tm_frame_t *f) {
  out_puts(o, f->filename ? f->filename : "<unknown>");
  out_printf(o, ":%u", f->lineno);
}

/* str(Traceback) = str(self[0]): the OLDEST frame (CPython quirk). */
static void put_traceback(out_t *o, const tm_traceback_t *tb) {
  if (tb && tm_traceback_length(tb) > 0)
    put_frame(o, &tm_traceback_frames(tb)[tm_traceback_length(tb) - 1]);
}

size_t tm_format_frame(char *buf, size_t buflen, const tm_frame_t *frame) {
  out_t o;
  out_init(&o, buf, buflen);
  if (frame)
    put_frame(&o, frame);
  return o.len;
}

size_t tm_format_traceback_str(char *buf, size_t buflen,
                               const tm_traceback_t *tb) {
  out_t o;
  out_init(&o, buf, buflen);
  put_traceback(&o, tb);
  return o.len;
}

size_t tm_format_trace(char *buf, size_t buflen, const tm_trace_t *trace) {
  out_t o;
  out_init(&o, buf, buflen);
  if (!trace)
    return 0;
  put_traceback(&o, trace->traceback);
  out_puts(&o, ": ");
  format_size(&o, (double)trace->size, false);
  return o.len;
}

/* ", average=..." with Python's true division size / count. */
static void put_average(out_t *o, size_t size, size_t count) {
  if (count == 0)
    return;
  out_puts(o, ", average=");
  format_size(o, (double)size / (double)count, false);
}

size_t tm_format_statistic(char *buf, size_t buflen,
                           const tm_statistic_t *stat) {
  out_t o;
  out_init(&o, buf, buflen);
  if (!stat)
    return 0;
  put_traceback(&o, stat->traceback);
  out_puts(&o, ": size=");
  format_size(&o, (double)stat->size, false);
  out_printf(&o, ", count=%zu", stat->count);
  put_average(&o, stat->size, stat->count);
  return o.len;
}

size_t tm_format_statistic_diff(char *buf, size_t buflen,
                                const tm_statistic_diff_t *diff) {
  out_t o;
  out_init(&o, buf, buflen);
  if (!diff)
    return 0;
  put_traceback(&o, diff->traceback);
  out_puts(&o, ": size=");
  format_size(&o, (double)diff->size, false);
  out_puts(&o, " (");
  format_size(&o, (double)diff->size_diff, true);
  out_printf(&o, "), count=%zu (%+" PRId64 ")", diff->count, diff->count_diff);
  put_average(&o, diff->size, diff->count);
  return o.len;
}
