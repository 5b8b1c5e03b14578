/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* term_escape.c - keep names from a snapshot from driving the terminal.
 *
 * File names, function names and the program name in a snapshot are bytes
 * someone else chose: a name holding ESC [ ... could clear the screen, move
 * the cursor or retitle the window when printed raw. cli_escape_stdout()
 * puts a filter in front of stdout that escapes, in everything printed:
 *
 *   - C0 control characters other than '\n' and '\t', DEL, and the C1
 *     controls U+0080..U+009F: "\xNN", as Python's repr() writes them;
 *   - every byte that is not part of a valid UTF-8 sequence: "\udcNN", the
 *     surrogateescape form Python's os.fsdecode gives it and that our JSON
 *     export writes.
 *
 * Valid UTF-8 text without control characters, which is every ordinary
 * name, passes unchanged, and so does a backslash (so "\x1b" in the output
 * is ambiguous with a name spelling those four characters: escaping '\' too
 * would change ordinary Windows-looking names). The line structure is the
 * report's own, so '\n' stays a line break. Filtering the whole stream
 * rather than each name keeps every printer (and the library's formatters,
 * which return whole lines) unaware of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "utf8.h"

typedef struct escaper {
  FILE *out;             /* the real stdout */
  unsigned char pend[4]; /* a UTF-8 sequence cut by the end of a write */
  size_t npend;
} escaper_t;

static void put_hex(FILE *out, const char *prefix, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  fputs(prefix, out);
  fputc(hex[c >> 4], out);
  fputc(hex[c & 15], out);
}

/* Escape s[0..n); returns how many bytes were consumed: a trailing prefix of
 * a UTF-8 sequence is left for the next call unless `final`. */
static size_t escape(FILE *out, const unsigned char *s, size_t n, bool final) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        put_hex(out, "\\x", c);
      else
        fputc(c, out);
      i++;
      continue;
    }
    uint32_t cp;
    size_t len = tm_utf8_decode(s + i, n - i, &cp);
    if (len == 0 && !final) {
      // Could it be a sequence cut by the end of this write?
      size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      bool cut = need > n - i;
      for (size_t k = i + 1; cut && k < n; k++)
        cut = (s[k] & 0xC0) == 0x80;
      if (cut)
        return i;
    }
    if (len == 0) {
      put_hex(out, "\\udc", c);
      i++;
    } else if (cp < 0xA0) {
      put_hex(out, "\\x", (unsigned char)cp); // C1 control
      i += len;
    } else {
      fwrite(s + i, 1, len, out);
      i += len;
    }
  }
  return i;
}

static ssize_t esc_write(void *cookie, const char *buf, size_t size) {
  escaper_t *e = cookie;
  const unsigned char *s = (const unsigned char *)buf;
  size_t done = 0;
  // First complete a sequence cut by the end of the previous write.
  while (e->npend && done < size) {
    e->pend[e->npend++] = s[done++];
    size_t used = escape(e->out, e->pend, e->npend, e->npend == 4);
    memmove(e->pend, e->pend + used, e->npend - used);
    e->npend -= used;
  }
  if (done < size) {
    size_t used = escape(e->out, s + done, size - done, false);
    e->npend = size - done - used;
    memcpy(e->pend, s + done + used, e->npend);
  }
  // Flush now, so that a write error shows on this stream (ferror(stdout)).
  return fflush(e->out) != 0 || ferror(e->out) ? -1 : (ssize_t)size;
}

static int esc_close(void *cookie) {
  escaper_t *e = cookie;
  if (e->npend)
    escape(e->out, e->pend, e->npend, true);
  e->npend = 0;
  return fflush(e->out) == 0 && !ferror(e->out) ? 0 : EOF;
}

static escaper_t the_escaper;

void cli_escape_stdout(bool always) {
  // Once per process: a command run twice (the report fuzzer) must not
  // stack filters.
  if (the_escaper.out || (!always && !isatty(STDOUT_FILENO)))
    return;
  the_escaper.out = stdout;
  cookie_io_functions_t io = {NULL, esc_write, NULL, esc_close};
  FILE *f = fopencookie(&the_escaper, "w", io);
  if (f)
    stdout = f;
}
