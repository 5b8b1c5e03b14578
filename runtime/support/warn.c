/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* warn.c - one line on stderr, without stdio (warn.h). */
#include "warn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void tm_warn(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}

const char *tm_printable(const char *s, char *buf, size_t len) {
  size_t i = 0;
  for (; s[i] && i + 4 < len && i < 64; i++)
    buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  strcpy(buf + i, s[i] ? "..." : "");
  return buf;
}
