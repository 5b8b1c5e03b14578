/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* source_decode.c - a source file's bytes to UTF-8 the way Python's
 * tokenize.open reads them: tokenize.detect_encoding (a UTF-8 BOM, or a
 * PEP 263 coding cookie on line 1 or 2) and strict decoders. UTF-8 is the
 * default; utf-8, latin-1/iso-8859-1 and ascii are supported; any other
 * declared encoding, or bytes that do not decode, give no text, as a
 * decoding error gives no lines in linecache.
 *
 * Separate from the line cache (linecache.c): this is CPython's encoding
 * rules on a buffer, with no files, locks or cache in it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "raw_alloc.h"
#include "source_decode.h"
#include "utf8.h"

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
char *tm_source_decode(const char *raw, size_t n, size_t *outlen) {
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
