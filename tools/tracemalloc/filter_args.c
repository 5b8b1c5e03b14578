/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* filter_args.c - parsing of the FILTERS options (see filter_args.h).
 *
 * Design: pure string handling with no I/O, so that it can be fuzzed; every
 * rejection is a one-line reason the caller prints as a usage error. Numbers
 * are ASCII digits only (no sign, no spaces, no 0x) and range-checked without
 * overflow: LINE fits an int (tm_filter_t.lineno), D an unsigned 32-bit
 * domain. The one exception is cli_filters_warn_unmatched, which runs the
 * filters on a loaded snapshot and writes its warnings to a stream.
 */
#include "filter_args.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse all-digit s into *out <= max; false if empty, non-digit or too big. */
static bool parse_digits(const char *s, size_t n, uint64_t max, uint64_t *out) {
  if (n == 0)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
    if (v > max)
      return false;
  }
  *out = v;
  return true;
}

static bool all_digits(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

bool cli_filter_option_takes_value(const char *option) {
  return strcmp(option, "--include") == 0 || strcmp(option, "--exclude") == 0 ||
         strcmp(option, "--include-domain") == 0 ||
         strcmp(option, "--exclude-domain") == 0 ||
         strcmp(option, "--thread") == 0;
}

static tm_filter_t *push(cli_filters_t *f) {
  if (f->count == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    tm_filter_t *p = realloc(f->items, cap * sizeof *p);
    if (!p)
      return NULL;
    f->items = p;
    f->cap = cap;
  }
  tm_filter_t *t = &f->items[f->count++];
  memset(t, 0, sizeof *t);
  return t;
}

static int add_glob(cli_filters_t *f, bool inclusive, const char *value,
                    char *err, size_t errlen) {
  const char *colon = strrchr(value, ':');
  size_t plen = strlen(value);
  int lineno = TM_LINENO_ANY;
  if (colon && all_digits(colon + 1)) {
    uint64_t v;
    if (!parse_digits(colon + 1, strlen(colon + 1), INT_MAX, &v)) {
      snprintf(err, errlen, "line number out of range in '%s' (at most %d)",
               value, INT_MAX);
      return -1;
    }
    lineno = (int)v;
    plen = (size_t)(colon - value);
  }
  char *pattern = malloc(plen + 1);
  tm_filter_t *t = pattern ? push(f) : NULL;
  if (!t) {
    free(pattern);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(pattern, value, plen);
  pattern[plen] = '\0';
  t->kind = TM_FILTER_FILENAME;
  t->inclusive = inclusive;
  t->filename_pattern = pattern;
  t->lineno = lineno;
  return 0;
}

static int add_domain(cli_filters_t *f, bool inclusive, const char *value,
                      char *err, size_t errlen) {
  uint64_t v;
  if (!parse_digits(value, strlen(value), UINT32_MAX, &v)) {
    snprintf(err, errlen,
             "invalid domain '%s': expected an integer in "
             "[0; %u]",
             value, (unsigned)UINT32_MAX);
    return -1;
  }
  tm_filter_t *t = push(f);
  if (!t) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  t->kind = TM_FILTER_DOMAIN;
  t->inclusive = inclusive;
  t->domain = (unsigned int)v;
  t->lineno = TM_LINENO_ANY;
  return 0;
}

/* --thread ID|NAME: a thread filter (TM_FILTER_THREAD), inclusive. */
static int add_thread(cli_filters_t *f, const char *value, char *err,
                      size_t errlen) {
  if (!*value) {
    snprintf(err, errlen, "needs a thread id or name");
    return -1;
  }
  uint64_t v = 0;
  bool by_id = all_digits(value);
  if (by_id && !parse_digits(value, strlen(value), INT64_MAX, &v)) {
    snprintf(err, errlen, "thread id '%s' out of range", value);
    return -1;
  }
  size_t len = strlen(value);
  char *name = by_id ? NULL : malloc(len + 1);
  if (name)
    memcpy(name, value, len + 1);
  tm_filter_t *t = by_id || name ? push(f) : NULL;
  if (!t) {
    free(name);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  t->kind = TM_FILTER_THREAD;
  t->inclusive = true;
  t->lineno = TM_LINENO_ANY;
  t->thread_id = (int64_t)v;
  t->thread_name = name;
  return 0;
}

int cli_filters_add(cli_filters_t *f, const char *option, const char *value,
                    char *err, size_t errlen) {
  if (strcmp(option, "--thread") == 0)
    return add_thread(f, value, err, errlen);
  if (strcmp(option, "--include") == 0)
    return add_glob(f, true, value, err, errlen);
  if (strcmp(option, "--exclude") == 0)
    return add_glob(f, false, value, err, errlen);
  if (strcmp(option, "--include-domain") == 0)
    return add_domain(f, true, value, err, errlen);
  if (strcmp(option, "--exclude-domain") == 0)
    return add_domain(f, false, value, err, errlen);
  snprintf(err, errlen, "unknown filter option '%s'", option);
  return -1;
}

void cli_filters_finish(cli_filters_t *f) {
  for (size_t i = 0; i < f->count; i++)
    if (f->items[i].kind == TM_FILTER_FILENAME)
      f->items[i].all_frames = f->all_frames;
}

void cli_filters_free(cli_filters_t *f) {
  for (size_t i = 0; i < f->count; i++) {
    free((char *)f->items[i].filename_pattern);
    free((char *)f->items[i].thread_name);
  }
  free(f->items);
  memset(f, 0, sizeof *f);
}

/* Does GLOB filter `flt` match at least one trace of snap (with `history`:
 * or one record of its allocation history, which history and peak report),
 * as an include filter would (same pattern, line, all_frames and domain)?
 * Run through the library's own filter_traces, so "match" means exactly
 * what filtering does. -1 when the library fails (out of memory). */
static int matches_any(const tm_filter_t *flt, const tm_snapshot_t *snap,
                       bool history) {
  tm_filter_t inc = *flt;
  inc.inclusive = true;
  tm_snapshot_t *kept = NULL;
  if (tm_snapshot_filter_traces(snap, &inc, 1, &kept) != TM_OK)
    return -1;
  size_t records = 0;
  if (history)
    tm_snapshot_history(kept, &records);
  int any = tm_snapshot_count(kept) > 0 || records > 0;
  tm_snapshot_free(kept);
  return any;
}

/* Does thread filter `flt` name a thread of snap's table? */
static bool names_a_thread(const tm_filter_t *flt, const tm_snapshot_t *snap) {
  size_t n;
  const tm_thread_info_t *th = tm_snapshot_threads(snap, &n);
  for (size_t i = 0; i < n; i++)
    if (flt->thread_name ? strcmp(th[i].name, flt->thread_name) == 0
                         : th[i].tid == flt->thread_id)
      return true;
  return false;
}

size_t cli_filters_warn_unmatched(const cli_filters_t *f,
                                  const tm_snapshot_t *const *snaps,
                                  size_t nsnaps, bool history, FILE *out) {
  size_t warned = 0, threads = 0, traces = 0;
  for (size_t k = 0; k < nsnaps; k++) {
    size_t n, records = 0;
    tm_snapshot_threads(snaps[k], &n);
    threads += n;
    traces += tm_snapshot_count(snaps[k]);
    if (history)
      tm_snapshot_history(snaps[k], &records);
    traces += records;
  }
  // A thread that is in no table is a typo, or snapshots without threads:
  // say so even when they have no trace.
  for (size_t i = 0; i < f->count; i++) {
    const tm_filter_t *t = &f->items[i];
    bool named = false;
    for (size_t k = 0; k < nsnaps && !named; k++)
      named = names_a_thread(t, snaps[k]);
    if (t->kind != TM_FILTER_THREAD || named)
      continue;
    if (t->thread_name)
      fprintf(out, "tracemalloc: warning: --thread '%s' names no thread",
              t->thread_name);
    else
      fprintf(out, "tracemalloc: warning: --thread %lld names no thread",
              (long long)t->thread_id);
    fprintf(out, threads ? " of the snapshot ('tracemalloc threads' lists "
                           "them)\n"
                         : " (the snapshot records no threads)\n");
    warned++;
  }
  // With no trace at all, every filter matches nothing: nothing to learn.
  if (traces == 0)
    return warned;
  for (size_t i = 0; i < f->count; i++) {
    const tm_filter_t *t = &f->items[i];
    if (t->kind != TM_FILTER_FILENAME)
      continue;
    int any = 0;
    for (size_t k = 0; k < nsnaps && any == 0; k++)
      any = matches_any(t, snaps[k], history);
    if (any != 0)
      continue;
    fprintf(out, "tracemalloc: warning: %s '%s",
            t->inclusive ? "--include" : "--exclude", t->filename_pattern);
    if (t->lineno != TM_LINENO_ANY)
      fprintf(out, ":%d", t->lineno);
    fprintf(out, "' matches no trace%s\n",
            t->all_frames ? " (in any frame)"
                          : " (in its most recent frame; "
                            "--all-frames looks at every frame)");
    warned++;
  }
  return warned;
}
