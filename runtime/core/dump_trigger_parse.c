/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_trigger_parse.c - the values of TRACEMALLOC_DUMP_SIGNAL and
 * TRACEMALLOC_DUMP_INTERVAL (dump_triggers.h). Pure string work, no
 * allocation, no locale: it runs during the initialisation.
 */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "dump_triggers.h"

/* Decimal digits only, at most 9 of them: the value, or -1. */
static long small_number(const char *s) {
  long v = 0;
  int n = 0;
  for (; *s; s++, n++) {
    if (*s < '0' || *s > '9' || n == 9)
      return -1;
    v = v * 10 + (*s - '0');
  }
  return n == 0 ? -1 : v;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (the prefix "SIG" removed). */
static int realtime(const char *s) {
  bool min = strncasecmp(s, "RTMIN", 5) == 0;
  if (!min && strncasecmp(s, "RTMAX", 5) != 0)
    return -1;
  int base = min ? SIGRTMIN : SIGRTMAX;
  if (s[5] == '\0')
    return base;
  if (s[5] != (min ? '+' : '-'))
    return -1;
  long off = small_number(s + 6);
  if (off < 0 || off > SIGRTMAX - SIGRTMIN)
    return -1;
  return min ? base + (int)off : base - (int)off;
}

static int by_name(const char *s) {
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  int rt = realtime(s);
  if (rt > 0)
    return rt;
  for (int sig = 1; sig < SIGRTMIN; sig++) {
    const char *name = sigabbrev_np(sig);
    if (name && strcasecmp(name, s) == 0)
      return sig;
  }
  return -1;
}

int tm_dump_parse_signal(const char *value) {
  if (!value || !*value)
    return 0;
  int sig;
  if (*value >= '0' && *value <= '9') {
    long n = small_number(value);
    if (n <= 0 || n > SIGRTMAX)
      return -1;
    sig = (int)n;
    // Between the classic signals and SIGRTMIN: glibc's own (cancellation,
    // setxid), which no program may take.
    if (sig > SIGSYS && sig < SIGRTMIN)
      return -2;
  } else {
    sig = by_name(value);
    if (sig < 0)
      return -1;
  }
  switch (sig) {
  case SIGKILL:
  case SIGSTOP:
  case SIGSEGV:
  case SIGBUS:
  case SIGILL:
  case SIGFPE:
  case SIGTRAP:
  case SIGSYS:
    return -2;
  default:
    return sig;
  }
}

long long tm_dump_parse_interval(const char *value) {
  if (!value || !*value)
    return 0;
  const long long max_seconds = 1000000000LL;
  long long seconds = 0, nanos = 0;
  const char *s = value;
  int digits = 0;
  for (; *s >= '0' && *s <= '9'; s++, digits++) {
    seconds = seconds * 10 + (*s - '0');
    if (seconds > max_seconds)
      return -1;
  }
  if (*s == '.') {
    s++;
    long long scale = 100000000LL;
    int frac = 0;
    for (; *s >= '0' && *s <= '9'; s++, frac++) {
      if (frac == 9)
        return -1;
      nanos += (*s - '0') * scale;
      scale /= 10;
    }
    digits += frac;
  }
  if (*s != '\0' || digits == 0)
    return -1;
  long long ns = seconds * 1000000000LL + nanos;
  if (ns < 1000000LL || ns > max_seconds * 1000000000LL)
    return -1;
  return ns;
}
