/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* short_name.c - a function's name as a flame graph box shows it.
 *
 * Demangled C++ names carry their parameter list, qualifiers, every
 * template argument and, for a function template, the return type:
 * "void std::vector<Tok, std::allocator<Tok> >::_M_realloc_insert<Tok
 * const&>(__gnu_cxx::__normal_iterator<...>, Tok const&)". Cut to a box's
 * width, that leaves the return type and the start of the first template
 * argument, and never the "(file.c:LINE)" the label ends with. The short
 * form keeps what tells boxes apart - the qualified name, with template
 * arguments as "<..>" - and drops the rest; the whole name stays in the
 * box's tooltip. A C name has none of these and is left as it is.
 */
#include <stdbool.h>
#include <string.h>

#include "cli.h"

static bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$';
}

/* The index just past the bracket that closes the one at s[i] (open/close
 * pair, nested), or the string's end when it is not closed. */
static size_t skip_group(const char *s, size_t i, char open, char close) {
  size_t depth = 0;
  for (; s[i]; i++) {
    if (s[i] == open)
      depth++;
    else if (s[i] == close && --depth == 0)
      return i + 1;
  }
  return i;
}

typedef struct out {
  char *buf;
  size_t cap, n;
} out_t;

static void put(out_t *o, const char *s, size_t len) {
  for (size_t k = 0; k < len && o->n + 1 < o->cap; k++)
    o->buf[o->n++] = s[k];
}

static bool ends_with_word(const out_t *o, const char *word) {
  size_t len = strlen(word);
  return o->n >= len && memcmp(o->buf + o->n - len, word, len) == 0 &&
         (o->n == len || !ident_char(o->buf[o->n - len - 1]));
}

void cli_short_function_name(const char *name, char *buf, size_t cap) {
  if (cap == 0)
    return;
  out_t o = {buf, cap, 0};
  static const char anon[] = "(anonymous namespace)";
  size_t i = 0;
  while (name[i]) {
    char c = name[i];
    if (c == '(' && strncmp(name + i, anon, sizeof anon - 1) == 0) {
      put(&o, anon, sizeof anon - 1);
      i += sizeof anon - 1;
    } else if (c == '(' && ends_with_word(&o, "decltype")) {
      size_t end = skip_group(name, i, '(', ')');
      put(&o, name + i, end - i);
      i = end;
    } else if (c == '(') {
      break; // the parameter list: the name ends here
    } else if (c == '<') {
      put(&o, "<..>", 4);
      i = skip_group(name, i, '<', '>');
    } else if (c == '{') { // {lambda(int)#1}, {unnamed type#1}
      size_t end = skip_group(name, i, '{', '}');
      put(&o, name + i, end - i);
      i = end;
    } else if (c == ' ') {
      // At this level a space ends a function template's return type
      // ("void ns::f<..>"): what came before is not the name.
      o.n = 0;
      i++;
    } else if (strncmp(name + i, "operator", 8) == 0 &&
               (i == 0 || !ident_char(name[i - 1])) &&
               !ident_char(name[i + 8])) {
      // The operator's own characters, which may be <, <<, (), " new[]"
      // or a conversion's type, up to its parameter list.
      size_t end = i + 8;
      if (strncmp(name + end, "()", 2) == 0)
        end += 2;
      while (name[end] && name[end] != '(')
        end++;
      put(&o, name + i, end - i);
      i = end;
    } else {
      put(&o, name + i, 1);
      i++;
    }
  }
  if (o.n == 0) { // nothing left (a malformed name): the name as it is
    put(&o, name, strlen(name));
  }
  buf[o.n] = '\0';
}
