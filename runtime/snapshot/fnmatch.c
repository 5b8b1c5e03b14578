/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fnmatch.c - Python 3.11's fnmatch.fnmatch on POSIX, without a regex
 * engine: what tracemalloc.Filter matches filenames with.
 *
 * Design. Python translates the pattern into a regular expression; we
 * reproduce that translation step by step (including its odd corners: a ']'
 * right after '[' or '[!' is literal, an unclosed '[' is literal, '[^' is
 * NOT negation, no backslash escapes, the hyphen-chunk algorithm that turns
 * "a-c-e" into a range plus literals and silently deletes reversed ranges,
 * "[!]"-style sets that end up as "match anything") and compile into a flat
 * token list: literal code point, any code point, star, or a character set.
 * Matching is the classic iterative two-pointer glob algorithm that
 * backtracks only to the last '*', which is exact when every other token
 * consumes exactly one character, and is linear in practice.
 *
 * Characters are code points: both sides are decoded as UTF-8, an invalid
 * byte becoming one "character" U+DC80..U+DCFF, which is what Python's
 * surrogateescape file-name decoding produces, so '?' matches 'é' whole.
 */
#include <string.h>

#include "raw_alloc.h"
#include "snapshot.h"
#include "utf8.h"

enum { TOK_LIT, TOK_ANY, TOK_STAR, TOK_SET };

typedef struct tok {
  uint32_t kind;
  uint32_t cp;      /* TOK_LIT */
  uint32_t set_off; /* TOK_SET: ranges[set_off .. set_off + set_n) */
  uint32_t set_n;
  uint32_t negate;
} tok_t;

typedef struct crange {
  uint32_t lo, hi;
} crange_t;

struct tm_glob {
  tok_t *toks;
  size_t ntok;
  crange_t *ranges;
  size_t nranges;
};

/* One code point of s[0..len), its byte length in *adv: a byte that does
 * not start a valid sequence is one character U+DC80..U+DCFF. */
static inline uint32_t utf8_next(const unsigned char *s, size_t len,
                                 size_t *adv) {
  uint32_t cp;
  size_t n = tm_utf8_decode(s, len, &cp);
  if (n) {
    *adv = n;
    return cp;
  }
  *adv = 1;
  return 0xdc00 + s[0]; /* surrogateescape */
}

static size_t pyc_len(const char *s, size_t len, bool pyc) {
  if (pyc && len >= 4 && memcmp(s + len - 4, ".pyc", 4) == 0)
    return len - 1;
  return len;
}

/* ---- compilation */

typedef struct compiler {
  const uint32_t *p; /* pattern code points */
  size_t n;
  tm_glob_t *g;
} compiler_t;

static void add_tok(compiler_t *c, uint32_t kind, uint32_t cp) {
  tok_t *t = &c->g->toks[c->g->ntok++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->cp = cp;
}

/* An atom of the regex set body: a literal code point, or a JOINT (the
 * unescaped '-' that Python puts between hyphen chunks, making a range of
 * the atoms on either side). */
#define JOINT UINT32_MAX

/* fnmatch.translate's hyphen-chunk algorithm over p[i..j) (i is just after
 * '['), written as atoms: chunks separated by JOINTs. Returns the count. */
static size_t set_atoms(const uint32_t *p, size_t i, size_t j, uint32_t *a) {
  size_t na = 0;
  bool has_dash = false;
  for (size_t x = i; x < j; x++)
    has_dash |= p[x] == '-';
  if (has_dash) {
    /* a '-' right after '[' or '[!' is a literal, and after a split the
     * search resumes 3 further on: "a-c-e" is range a-c, '-', 'e' */
    size_t k = p[i] == '!' ? i + 2 : i + 1;
    for (;;) {
      while (k < j && p[k] != '-')
        k++;
      if (k >= j)
        break;
      for (size_t x = i; x < k; x++)
        a[na++] = p[x];
      a[na++] = JOINT;
      i = k + 1;
      k = k + 3;
    }
  }
  for (size_t x = i; x < j; x++)
    a[na++] = p[x];
  /* an empty last chunk gives its '-' to the previous chunk */
  if (na && a[na - 1] == JOINT)
    a[na - 1] = '-';
  return na;
}

/* "Remove empty ranges": right to left, when the last atom of chunk k-1 is
 * greater than the first of chunk k, Python merges them as
 * chunks[k-1][:-1] + chunks[k][1:], i.e. drops (last, JOINT, first). */
static size_t drop_reversed_ranges(uint32_t *a, size_t na) {
  size_t pos = na;
  while (pos > 0) {
    size_t q = pos;
    while (q > 0 && a[q - 1] != JOINT)
      q--;
    if (q == 0)
      break;
    q--; /* a[q] is the joint */
    if (q >= 1 && q + 1 < na && a[q - 1] != JOINT && a[q + 1] != JOINT &&
        a[q - 1] > a[q + 1]) {
      memmove(a + q - 1, a + q + 2, (na - q - 2) * sizeof *a);
      na -= 3;
      pos = q - 1;
    } else {
      pos = q;
    }
  }
  return na;
}

/* The set body as Python's re parses it: atom JOINT atom is a range,
 * anything else a literal. A leading '!' negates; a body of just "!"
 * matches any character; an empty body never matches. */
static void emit_set(compiler_t *c, const uint32_t *body, size_t nb) {
  tm_glob_t *g = c->g;
  if (nb == 1 && body[0] == '!') {
    add_tok(c, TOK_ANY, 0);
    return;
  }
  add_tok(c, TOK_SET, 0);
  tok_t *t = &g->toks[g->ntok - 1];
  t->set_off = (uint32_t)g->nranges;
  size_t x = 0;
  if (nb && body[0] == '!') {
    t->negate = 1;
    x = 1;
  }
  for (; x < nb; x++) {
    uint32_t lo = body[x], hi = lo;
    if (lo == JOINT) /* not produced by the algorithm; be safe */
      lo = hi = '-';
    else if (x + 2 < nb && body[x + 1] == JOINT && body[x + 2] != JOINT) {
      hi = body[x + 2];
      x += 2;
    }
    if (lo <= hi) /* a reversed range would be a re.error; keep it empty */
      g->ranges[g->nranges++] = (crange_t){lo, hi};
  }
  t->set_n = (uint32_t)(g->nranges - t->set_off);
}

/* p[i-1] is '['. Returns the index after the set, or i after emitting a
 * literal '[' when there is no closing ']'. */
static size_t compile_set(compiler_t *c, size_t i, uint32_t *scratch) {
  const uint32_t *p = c->p;
  size_t n = c->n, j = i;
  if (j < n && p[j] == '!')
    j++;
  if (j < n && p[j] == ']')
    j++;
  while (j < n && p[j] != ']')
    j++;
  if (j >= n) {
    add_tok(c, TOK_LIT, '[');
    return i;
  }
  size_t na = set_atoms(p, i, j, scratch);
  na = drop_reversed_ranges(scratch, na);
  emit_set(c, scratch, na);
  return j + 1;
}

static void compile_tokens(compiler_t *c, uint32_t *scratch) {
  const uint32_t *p = c->p;
  for (size_t i = 0; i < c->n;) {
    uint32_t ch = p[i++];
    if (ch == '*') {
      if (!c->g->ntok || c->g->toks[c->g->ntok - 1].kind != TOK_STAR)
        add_tok(c, TOK_STAR, 0);
    } else if (ch == '?') {
      add_tok(c, TOK_ANY, 0);
    } else if (ch == '[') {
      i = compile_set(c, i, scratch);
    } else {
      add_tok(c, TOK_LIT, ch);
    }
  }
}

tm_glob_t *tm_glob_compile(const char *pattern, bool pyc_normalize) {
  size_t n = pyc_len(pattern, strlen(pattern), pyc_normalize);
  /* code points <= bytes; tokens <= code points; ranges <= code points;
   * set scratch: atoms and joints <= 2 * code points */
  size_t bytes = sizeof(tm_glob_t) + n * sizeof(tok_t) +
                 (n + 1) * sizeof(crange_t) + (3 * n + 2) * sizeof(uint32_t);
  tm_glob_t *g = tm_raw_alloc(bytes, TM_MEM_OBJECTS);
  if (!g)
    return NULL;
  g->toks = (tok_t *)(g + 1);
  g->ranges = (crange_t *)(g->toks + n);
  uint32_t *cps = (uint32_t *)(g->ranges + n + 1);
  uint32_t *scratch = cps + n;
  g->ntok = g->nranges = 0;
  size_t ncp = 0;
  for (size_t i = 0, adv; i < n; i += adv)
    cps[ncp++] = utf8_next((const unsigned char *)pattern + i, n - i, &adv);
  compiler_t c = {cps, ncp, g};
  compile_tokens(&c, scratch);
  return g;
}

void tm_glob_free(tm_glob_t *g) { tm_raw_free(g); }

/* ---- matching */

static inline bool tok_match(const tm_glob_t *g, const tok_t *t, uint32_t cp) {
  switch (t->kind) {
  case TOK_LIT:
    return cp == t->cp;
  case TOK_ANY:
    return true; /* DOTALL: newlines too */
  default: {
    bool in = false;
    const crange_t *r = g->ranges + t->set_off;
    for (uint32_t k = 0; k < t->set_n && !in; k++)
      in = cp >= r[k].lo && cp <= r[k].hi;
    return in != (t->negate != 0);
  }
  }
}

bool tm_glob_match(const tm_glob_t *g, const char *name, size_t len,
                   bool pyc_normalize) {
  const unsigned char *s = (const unsigned char *)name;
  len = pyc_len(name, len, pyc_normalize);
  size_t t = 0, i = 0, star_t = SIZE_MAX, star_i = 0, adv;
  while (i < len) {
    if (t < g->ntok && g->toks[t].kind == TOK_STAR) {
      star_t = ++t;
      star_i = i;
      continue;
    }
    uint32_t cp = utf8_next(s + i, len - i, &adv);
    if (t < g->ntok && tok_match(g, &g->toks[t], cp)) {
      t++;
      i += adv;
      continue;
    }
    if (star_t == SIZE_MAX)
      return false;
    /* the last '*' swallows one more character; retry after it */
    utf8_next(s + star_i, len - star_i, &adv);
    star_i += adv;
    i = star_i;
    t = star_t;
  }
  while (t < g->ntok && g->toks[t].kind == TOK_STAR)
    t++;
  return t == g->ntok;
}
