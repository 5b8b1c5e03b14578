/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* utf8.h - the runtime's one UTF-8 decoder.
 *
 * Python's strict decoder: overlong forms, surrogates (U+D800..U+DFFF) and
 * code points above U+10FFFF are invalid, as is a sequence cut short by the
 * end of the input. What an invalid sequence becomes is the caller's
 * business, as in CPython: the JSON reader rejects it, the JSON writer
 * escapes the byte as a lone surrogate, glob matching and file names take
 * the byte as U+DC80..U+DCFF (surrogateescape), and the source-line reader
 * refuses to decode the file. Inline: glob matching decodes every code
 * point of every file name it tests.
 */
#ifndef TM_UTF8_H
#define TM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1..4) of the valid UTF-8 sequence at s (n > 0 bytes
 * available), its code point in *cp; 0 if it is invalid (*cp untouched). */
static inline size_t tm_utf8_decode(const unsigned char *s, size_t n,
                                    uint32_t *cp) {
  unsigned c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (!need || c > 0xf4 || need > n)
    return 0;
  uint32_t v = c & (0x3f >> (need - 1));
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    v = (v << 6) | (s[i] & 0x3f);
  }
  if ((need == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
      (need == 4 && (v < 0x10000 || v > 0x10ffff)))
    return 0;
  *cp = v;
  return need;
}

#endif /* TM_UTF8_H */
