/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_lex.c - the strict JSON lexer (json_lex.h) under the
 * tracemalloc-json reader.
 *
 * Design: strict RFC 8259 over a byte buffer, bounds-checked at every step:
 * no comments, no trailing commas, no leading zeros, no NaN or Infinity,
 * the raw text must be valid UTF-8 and strings must not hold raw control
 * characters. Numbers are parsed exactly as the grammar says and only
 * integers that fit the caller's range are accepted. Strings are decoded
 * into one reusable buffer, limited to MAX_STRING bytes. \udc80..\udcff not
 * part of a surrogate pair decode to the single byte 0x80..0xff
 * (surrogateescape, see json_write.c); any other lone surrogate, and \u0000,
 * are errors. Errors carry LINE:COL, computed only when an error happens.
 */
#include "json_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "raw_alloc.h"

// (The name in parentheses: json_lex.h may define a macro of that name.)
tm_status_t(tm_json_fail)(jp_t *p, tm_status_t st, const char *fmt, ...) {
  size_t line = 1, col = 1;
  size_t end = p->pos < p->len ? p->pos : p->len;
  for (size_t i = 0; i < end; i++) {
    if (p->s[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tm_set_error(st, "%s:%zu:%zu: %s", p->name, line, col, msg);
}

void tm_json_skip_ws(jp_t *p) {
  while (p->pos < p->len) {
    unsigned char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return;
    p->pos++;
  }
}

/* The next significant byte, or 0 at end of input. */
int tm_json_peek(jp_t *p) {
  tm_json_skip_ws(p);
  return p->pos < p->len ? p->s[p->pos] : 0;
}

tm_status_t tm_json_expect(jp_t *p, char c, const char *context) {
  if (tm_json_peek(p) != c) {
    if (p->pos >= p->len)
      return jfail(p, "unexpected end of input, expected '%c' %s", c, context);
    return jfail(p, "expected '%c' %s", c, context);
  }
  p->pos++;
  return TM_OK;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static tm_status_t read_hex4(jp_t *p, unsigned *out) {
  if (p->len - p->pos < 4)
    return jfail(p, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p->s[p->pos + i]);
    if (h < 0)
      return jfail(p, "invalid \\u escape");
    v = v << 4 | (unsigned)h;
  }
  p->pos += 4;
  *out = v;
  return TM_OK;
}

static void put_utf8(tm_buf_t *b, unsigned cp) {
  unsigned char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (unsigned char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (unsigned char)(0xC0 | cp >> 6);
    u[1] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (unsigned char)(0xE0 | cp >> 12);
    u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (unsigned char)(0xF0 | cp >> 18);
    u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  tm_buf_append(b, u, n);
}

/* After "\u": one code point, a surrogate pair, or a surrogateescape byte. */
static tm_status_t read_u_escape(jp_t *p) {
  size_t at = p->pos - 2;
  unsigned cp;
  TRY(read_hex4(p, &cp));
  if (cp >= 0xD800 && cp <= 0xDBFF && p->len - p->pos >= 6 &&
      p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
    size_t save = p->pos;
    unsigned lo;
    p->pos += 2;
    TRY(read_hex4(p, &lo));
    if (lo >= 0xDC00 && lo <= 0xDFFF) {
      put_utf8(&p->str, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
      return TM_OK;
    }
    p->pos = save;
  }
  if (cp >= 0xDC80 && cp <= 0xDCFF) {
    tm_buf_putc(&p->str, (unsigned char)(cp & 0xFF)); // surrogateescape
    return TM_OK;
  }
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
    p->pos = at;
    return jfail(p,
                 cp == 0 ? "\\u0000 is not allowed in a string"
                         : "lone surrogate \\u%04x in a string",
                 cp);
  }
  put_utf8(&p->str, cp);
  return TM_OK;
}

static tm_status_t read_escape(jp_t *p) {
  if (p->pos >= p->len)
    return jfail(p, "unterminated string");
  unsigned char e = p->s[p->pos++];
  const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
  const char *hit = e ? strchr(from, e) : NULL;
  if (hit) {
    tm_buf_putc(&p->str, (unsigned char)to[hit - from]);
    return TM_OK;
  }
  if (e == 'u')
    return read_u_escape(p);
  p->pos -= 2;
  return jfail(p, "invalid escape sequence in a string");
}

/* A string into p->str (NUL-terminated; p->str.len excludes the NUL). */
tm_status_t tm_json_read_string(jp_t *p) {
  if (tm_json_peek(p) != '"')
    return jfail(p, "expected a string");
  size_t start = p->pos++;
  p->str.len = 0;
  for (;;) {
    if (p->pos >= p->len) {
      p->pos = start;
      return jfail(p, "unterminated string");
    }
    unsigned char c = p->s[p->pos];
    if (c == '"') {
      p->pos++;
      break;
    }
    if (c == '\\') {
      p->pos++;
      TRY(read_escape(p));
    } else if (c < 0x20) {
      return jfail(p, "control character 0x%02x in a string", c);
    } else if (c < 0x80) {
      tm_buf_putc(&p->str, c);
      p->pos++;
    } else {
      uint32_t cp;
      size_t n = tm_utf8_decode(p->s + p->pos, p->len - p->pos, &cp);
      if (!n)
        return jfail(p, "invalid UTF-8 in a string");
      tm_buf_append(&p->str, p->s + p->pos, n);
      p->pos += n;
    }
    if (p->str.len > MAX_STRING) {
      p->pos = start;
      return jfail(p, "string longer than %d bytes", MAX_STRING);
    }
  }
  tm_buf_putc(&p->str, 0);
  if (p->str.failed)
    return tm_json_fail(p, TM_ENOMEM, "out of memory");
  p->str.len--;
  return TM_OK;
}

/* A JSON number, strictly by the grammar. Integers that fit in 64 bits come
 * back in *mag with *neg; fractions, exponents and huge values set *exact =
 * false (still valid JSON, but never a valid count or size here). */
static tm_status_t read_number(jp_t *p, bool *neg, uint64_t *mag, bool *exact) {
  size_t start = p->pos;
  const unsigned char *s = p->s;
  *neg = false;
  *mag = 0;
  *exact = true;
  if (p->pos < p->len && s[p->pos] == '-') {
    *neg = true;
    p->pos++;
  }
  if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
    p->pos = start;
    return jfail(p, "invalid number");
  }
  if (s[p->pos] == '0' && p->pos + 1 < p->len && s[p->pos + 1] >= '0' &&
      s[p->pos + 1] <= '9')
    return jfail(p, "leading zeros are not allowed in a number");
  for (; p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9'; p->pos++) {
    unsigned d = s[p->pos] - '0';
    if (*mag > (UINT64_MAX - d) / 10)
      *exact = false;
    else
      *mag = *mag * 10 + d;
  }
  if (p->pos < p->len && s[p->pos] == '.') {
    *exact = false;
    p->pos++;
    if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
      return jfail(p, "invalid number: digits expected after '.'");
    while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
      p->pos++;
  }
  if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
    *exact = false;
    p->pos++;
    if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
      p->pos++;
    if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
      return jfail(p, "invalid number: digits expected in the exponent");
    while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
      p->pos++;
  }
  return TM_OK;
}

/* An integer in [min, max] for the member `what`. */
tm_status_t tm_json_read_int(jp_t *p, const char *what, int64_t min,
                             uint64_t max, int64_t *sv, uint64_t *uv) {
  int c = tm_json_peek(p);
  if (c != '-' && (c < '0' || c > '9'))
    return jfail(p, "%s: expected an integer", what);
  size_t at = p->pos;
  bool neg, exact;
  uint64_t mag;
  TRY(read_number(p, &neg, &mag, &exact));
  bool ok = exact &&
            (neg ? (min < 0 && mag <= (uint64_t)-(min + 1) + 1) : mag <= max);
  if (!ok) {
    p->pos = at;
    if (!exact && p->s[p->pos] != '-')
      return jfail(p, "%s: expected an integer in range [%lld; %llu]", what,
                   (long long)min, (unsigned long long)max);
    return jfail(p, "%s: integer out of range [%lld; %llu]", what,
                 (long long)min, (unsigned long long)max);
  }
  if (uv)
    *uv = mag;
  if (sv)
    *sv = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return TM_OK;
}

tm_status_t tm_json_read_literal(jp_t *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return jfail(p, "invalid literal");
  p->pos += n;
  return TM_OK;
}

static tm_status_t skip_container(jp_t *p, int depth, char close) {
  if (depth >= MAX_DEPTH)
    return jfail(p, "nesting deeper than %d levels", MAX_DEPTH);
  p->pos++;
  if (tm_json_peek(p) == close) {
    p->pos++;
    return TM_OK;
  }
  for (;;) {
    if (close == '}') {
      TRY(tm_json_read_string(p));
      TRY(tm_json_expect(p, ':', "after an object key"));
    }
    TRY(tm_json_skip_value(p, depth + 1));
    int c = tm_json_peek(p);
    if (c == close) {
      p->pos++;
      return TM_OK;
    }
    if (c != ',')
      return c ? jfail(p, "expected ',' or '%c'", close)
               : jfail(p, "unexpected end of input, expected '%c'", close);
    p->pos++;
  }
}

/* Skip any value (unknown members), checking its syntax. */
tm_status_t tm_json_skip_value(jp_t *p, int depth) {
  int c = tm_json_peek(p);
  bool neg, exact;
  uint64_t mag;
  switch (c) {
  case '{':
  case '[':
    return skip_container(p, depth, c == '{' ? '}' : ']');
  case '"':
    return tm_json_read_string(p);
  case 't':
    return tm_json_read_literal(p, "true");
  case 'f':
    return tm_json_read_literal(p, "false");
  case 'n':
    return tm_json_read_literal(p, "null");
  case 0:
    return jfail(p, "unexpected end of input, expected a value");
  default:
    if (c == '-' || (c >= '0' && c <= '9'))
      return read_number(p, &neg, &mag, &exact);
    return jfail(p, "expected a value");
  }
}

/* Iterate over an object's members: call with *first = true; returns with
 * p->str holding the key and the position at the value, or *done. */
tm_status_t tm_json_next_member(jp_t *p, bool *first, bool *done,
                                const char *context) {
  int c = tm_json_peek(p);
  *done = false;
  if (*first) {
    *first = false;
    if (c == '}') {
      p->pos++;
      *done = true;
      return TM_OK;
    }
  } else if (c == '}') {
    p->pos++;
    *done = true;
    return TM_OK;
  } else if (c == ',') {
    p->pos++;
    if (tm_json_peek(p) != '"')
      return jfail(p, "expected a key string %s", context);
  } else {
    return c ? jfail(p, "expected ',' or '}' %s", context)
             : jfail(p, "unexpected end of input %s", context);
  }
  if (tm_json_peek(p) == 0)
    return jfail(p, "unexpected end of input %s", context);
  if (tm_json_peek(p) != '"')
    return jfail(p, "expected a key string %s", context);
  p->key_pos = p->pos;
  TRY(tm_json_read_string(p));
  return tm_json_expect(p, ':', "after an object key");
}

/* Duplicate-key detection for the members we know: one bit each. */
tm_status_t tm_json_mark_key(jp_t *p, unsigned *seen, unsigned bit) {
  if (*seen & bit) {
    p->pos = p->key_pos;
    return jfail(p, "duplicate key \"%s\"", (const char *)p->str.data);
  }
  *seen |= bit;
  return TM_OK;
}

bool tm_json_key_is(const jp_t *p, const char *k) {
  return strcmp((const char *)p->str.data, k) == 0;
}

tm_status_t tm_json_read_thread_index(jp_t *p, uint64_t *thread) {
  size_t at = (tm_json_skip_ws(p), p->pos);
  TRY(tm_json_read_int(p, "thread", 0, UINT32_MAX - 2, NULL, thread));
  ++*thread; // the snapshot numbers threads from 1 (0: none)
  if (*thread > p->thread_max) {
    p->thread_max = *thread;
    p->thread_max_pos = at;
  }
  return TM_OK;
}
