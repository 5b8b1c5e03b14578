/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* key_type.c - the key_type names of Snapshot.statistics() and compare_to():
 * tm_key_name, and tm_key_parse with CPython's error message for an unknown
 * name (a Python repr() of it).
 *
 * Separate from the grouping: the CLI and the loaders name and parse keys
 * without grouping anything, and the repr() is its own small piece of
 * CPython's behaviour.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "snapshot.h"

static const char *const key_names[] = {"filename", "lineno", "traceback"};

const char *tm_key_name(tm_key_t key) {
  if ((unsigned)key > TM_KEY_TRACEBACK)
    return NULL;
  return key_names[key];
}

/* Python's repr() of a str, enough for the error message: quote choice,
 * backslash escapes, \xNN for control characters and undecodable bytes. */
static void py_repr(char *out, size_t outlen, const char *s) {
  bool sq = strchr(s, '\'') != NULL, dq = strchr(s, '"') != NULL;
  char q = (sq && !dq) ? '"' : '\'';
  size_t o = 0;
#define PUT(c) (o + 1 < outlen ? (void)(out[o++] = (char)(c)) : (void)0)
  PUT(q);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned c = *p;
    const char *esc = c == '\\'   ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                                  : NULL;
    char hex[8];
    if (!esc && c == (unsigned char)q) {
      hex[0] = '\\', hex[1] = (char)q, hex[2] = '\0';
      esc = hex;
    } else if (!esc && (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xc2) ||
                        (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0xa0))) {
      if (c == 0xc2)
        c = *++p; /* U+0080..U+00A0 are not printable in Python */
      snprintf(hex, sizeof hex, "\\x%02x", c);
      esc = hex;
    }
    if (esc)
      for (; *esc; esc++)
        PUT(*esc);
    else
      PUT(c);
  }
  PUT(q);
#undef PUT
  out[o < outlen ? o : outlen - 1] = '\0';
}

static tm_status_t unknown_key(const char *name) {
  char r[256];
  if (!name)
    snprintf(r, sizeof r, "None");
  else
    py_repr(r, sizeof r, name);
  return tm_set_error(TM_EINVAL, "unknown key_type: %s", r);
}

tm_status_t tm_key_parse(const char *name, tm_key_t *out) {
  for (unsigned k = 0; name && k <= TM_KEY_TRACEBACK; k++) {
    if (strcmp(name, key_names[k]) == 0) {
      if (out)
        *out = (tm_key_t)k;
      return TM_OK;
    }
  }
  return unknown_key(name);
}
