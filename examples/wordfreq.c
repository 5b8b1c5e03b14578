/* wordfreq.c - the example program: count the words of some text files.
 *
 * An ordinary C program (a chained hash table, strdup'ed keys, a token array
 * grown with realloc, lines read with getline) plus a few calls of the
 * tracemalloc API, to show both ways of using it:
 *
 *   - from outside: TRACEMALLOC=25 TRACEMALLOC_DUMP=wordfreq.tmd ./wordfreq
 *     FILE..., then `tracemalloc top wordfreq.tmd`;
 *   - from inside: two snapshots around the counting phase and the top lines
 *     of their difference, printed exactly as CPython's
 *     snapshot.compare_to(old, 'lineno') would.
 *
 * It leaks on purpose: the "recent words" history is never freed, and the
 * at-exit dump shows where it was allocated.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracemalloc.h"

struct entry {
  char *word;
  long count;
  struct entry *next;
};

struct table {
  struct entry **buckets;
  size_t nbuckets;
  size_t nentries;
};

static unsigned long hash_word(const char *s) {
  unsigned long h = 5381;
  for (; *s; s++)
    h = h * 33 + (unsigned char)*s;
  return h;
}

static struct table *table_new(size_t nbuckets) {
  struct table *t = malloc(sizeof *t);
  if (!t)
    return NULL;
  t->buckets = calloc(nbuckets, sizeof *t->buckets);
  t->nbuckets = nbuckets;
  t->nentries = 0;
  return t;
}

static void table_grow(struct table *t) {
  size_t n = t->nbuckets * 2;
  struct entry **b = calloc(n, sizeof *b);
  if (!b)
    return;
  for (size_t i = 0; i < t->nbuckets; i++) {
    struct entry *e = t->buckets[i], *next;
    for (; e; e = next) {
      next = e->next;
      size_t k = hash_word(e->word) % n;
      e->next = b[k];
      b[k] = e;
    }
  }
  free(t->buckets);
  t->buckets = b;
  t->nbuckets = n;
}

static void table_add(struct table *t, const char *word) {
  size_t k = hash_word(word) % t->nbuckets;
  for (struct entry *e = t->buckets[k]; e; e = e->next) {
    if (strcmp(e->word, word) == 0) {
      e->count++;
      return;
    }
  }
  struct entry *e = malloc(sizeof *e);
  if (!e)
    return;
  e->word = strdup(word);
  e->count = 1;
  e->next = t->buckets[k];
  t->buckets[k] = e;
  if (++t->nentries > t->nbuckets * 2)
    table_grow(t);
}

static void table_free(struct table *t) {
  for (size_t i = 0; i < t->nbuckets; i++) {
    struct entry *e = t->buckets[i], *next;
    for (; e; e = next) {
      next = e->next;
      free(e->word);
      free(e);
    }
  }
  free(t->buckets);
  free(t);
}

/* Split a line into lower-case words; the array grows with realloc. */
static char **tokenize(const char *line, size_t *count) {
  size_t cap = 4, n = 0;
  char **words = malloc(cap * sizeof *words);
  const char *p = line;
  while (words && *p) {
    while (*p && !isalpha((unsigned char)*p))
      p++;
    const char *start = p;
    while (isalpha((unsigned char)*p))
      p++;
    if (p == start)
      break;
    if (n == cap) {
      cap *= 2;
      char **bigger = realloc(words, cap * sizeof *words);
      if (!bigger)
        break;
      words = bigger;
    }
    char *w = strndup(start, (size_t)(p - start));
    for (char *c = w; c && *c; c++)
      *c = (char)tolower((unsigned char)*c);
    words[n++] = w;
  }
  *count = n;
  return words;
}

/* The leak: every 64th word is remembered and never freed. */
static char **history;
static size_t history_len;

static void remember(const char *word) {
  char **h = realloc(history, (history_len + 1) * sizeof *h);
  if (!h)
    return;
  history = h;
  history[history_len++] = strdup(word);
}

static long count_file(struct table *t, FILE *f) {
  char *line = NULL; /* getline allocates inside libc: traced anyway */
  size_t cap = 0;
  long nwords = 0;
  while (getline(&line, &cap, f) >= 0) {
    size_t n;
    char **words = tokenize(line, &n);
    for (size_t i = 0; i < n; i++) {
      table_add(t, words[i]);
      if (++nwords % 64 == 0)
        remember(words[i]);
      free(words[i]);
    }
    free(words);
  }
  free(line);
  return nwords;
}

static int by_count(const void *a, const void *b) {
  const struct entry *x = *(struct entry *const *)a;
  const struct entry *y = *(struct entry *const *)b;
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

static void print_top_words(const struct table *t, size_t top) {
  struct entry **all = malloc(t->nentries * sizeof *all);
  size_t n = 0;
  for (size_t i = 0; all && i < t->nbuckets; i++)
    for (struct entry *e = t->buckets[i]; e; e = e->next)
      all[n++] = e;
  qsort(all, n, sizeof *all, by_count);
  for (size_t i = 0; i < n && i < top; i++)
    printf("%8ld %s\n", all[i]->count, all[i]->word);
  free(all);
}

/* What the counting phase allocated, CPython's compare_to(old, 'lineno'). */
static void print_growth(tm_snapshot_t *before, tm_snapshot_t *after) {
  tm_statistic_diffs_t *diffs;
  if (tm_snapshot_compare_to(after, before, TM_KEY_LINENO, false, &diffs)) {
    fprintf(stderr, "wordfreq: compare_to: %s\n", tm_error_message());
    return;
  }
  printf("\n[ Top 5 differences ]\n");
  const tm_statistic_diff_t *d = tm_statistic_diffs_items(diffs);
  for (size_t i = 0; i < tm_statistic_diffs_count(diffs) && i < 5; i++) {
    char line[1024];
    tm_format_statistic_diff(line, sizeof line, &d[i]);
    printf("%s\n", line);
  }
  tm_statistic_diffs_free(diffs);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  if (!tm_is_tracing())
    printf("(tracing is off: run with TRACEMALLOC=25 to see the report)\n");

  tm_snapshot_t *before = NULL, *after = NULL;
  if (tm_is_tracing())
    tm_take_snapshot(&before);

  struct table *t = table_new(64);
  long nwords = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    if (!f) {
      perror(argv[i]);
      return 1;
    }
    nwords += count_file(t, f);
    fclose(f);
  }
  printf("%ld words, %zu distinct\n", nwords, t->nentries);
  print_top_words(t, 5);

  if (tm_is_tracing()) {
    size_t current, peak;
    tm_get_traced_memory(&current, &peak);
    char cur[32], pk[32];
    tm_format_size(cur, sizeof cur, (double)current, false);
    tm_format_size(pk, sizeof pk, (double)peak, false);
    printf("\ntraced memory: current %s, peak %s\n", cur, pk);
    tm_take_snapshot(&after);
    if (before && after)
      print_growth(before, after);
    tm_snapshot_free(before);
    tm_snapshot_free(after);
  }
  table_free(t);
  return 0;
}
