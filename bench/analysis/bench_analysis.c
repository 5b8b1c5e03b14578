/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_analysis.c - time statistics(), compare_to(), filter_traces() and
 * str() formatting on a large synthetic snapshot.
 *
 * The snapshot mimics a real one: N live traces (default 1,000,000) whose
 * tracebacks are drawn from T distinct ones (default 5,000) of depth 1..25
 * over F source files (default 300), with a skewed choice (a few allocation
 * sites hold most traces, as in real programs). The "old" snapshot for
 * compare_to shares most tracebacks and differs in sizes and in 10% of the
 * traces. Each operation runs R times (default 5); the table reports the
 * median and the minimum wall-clock time, and whether the median meets the
 * 0.5 s target for statistics and compare_to; the CPU-time column (this
 * thread's) is the steadier figure on a busy shared machine.
 *
 *   bench_analysis [--traces N] [--tracebacks T] [--files F] [--repeat R]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot_build.h"
#include "tracemalloc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static double clock_of(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double now(void) { return clock_of(CLOCK_MONOTONIC); }
/* CPU time of this thread: on a busy shared machine it shows the cost of
 * the work itself, where wall-clock time also shows the neighbours. */
static double cpu_now(void) { return clock_of(CLOCK_THREAD_CPUTIME_ID); }

typedef struct params {
  size_t traces, tracebacks, files;
  int repeat;
} params_t;

/* Frames of the T distinct tracebacks (most recent first), as plain
 * strings: each snapshot interns them on its own. */
typedef struct corpus {
  char **files;
  tm_frame_t **tb;
  size_t *depth;
} corpus_t;

static void make_corpus(const params_t *p, corpus_t *c) {
  c->files = calloc(p->files, sizeof *c->files);
  for (size_t i = 0; i < p->files; i++) {
    c->files[i] = malloc(64);
    snprintf(c->files[i], 64, "src/module_%02zu/file_%03zu.c", i % 37, i);
  }
  c->tb = calloc(p->tracebacks, sizeof *c->tb);
  c->depth = calloc(p->tracebacks, sizeof *c->depth);
  for (size_t t = 0; t < p->tracebacks; t++) {
    size_t d = 1 + next_rand() % 25;
    c->depth[t] = d;
    c->tb[t] = calloc(d, sizeof(tm_frame_t));
    for (size_t k = 0; k < d; k++) {
      /* outer frames are shared across tracebacks (main, loops...) */
      size_t fi = k + 3 >= d ? (k * 7) % p->files : next_rand() % p->files;
      c->tb[t][k].filename = c->files[fi];
      c->tb[t][k].lineno = 1 + (unsigned)(next_rand() % 2000);
    }
  }
}

static void free_corpus(const params_t *p, corpus_t *c) {
  for (size_t i = 0; i < p->files; i++)
    free(c->files[i]);
  for (size_t t = 0; t < p->tracebacks; t++)
    free(c->tb[t]);
  free(c->files);
  free(c->tb);
  free(c->depth);
}

/* Skewed pick: half the traces come from 5% of the tracebacks. */
static size_t pick(size_t n) {
  uint64_t r = next_rand();
  return (r & 1) ? (r >> 1) % (n / 20 + 1) : (r >> 1) % n;
}

static tm_snapshot_t *build(const params_t *p, const corpus_t *c, int variant,
                            double *secs) {
  double t0 = now();
  tm_snapshot_t *s = NULL;
  if (tm_snapshot_new(25, &s) != TM_OK || tm_snapshot_reserve(s, p->traces))
    exit(1);
  const tm_traceback_t **itb = calloc(p->tracebacks, sizeof *itb);
  tm_frame_t fr[25];
  for (size_t i = 0; i < p->traces; i++) {
    size_t t = pick(p->tracebacks);
    if (variant && next_rand() % 10 == 0)
      t = (t + 1) % p->tracebacks; /* 10% moved to another site */
    if (!itb[t]) {
      for (size_t k = 0; k < c->depth[t]; k++) {
        const char *f = c->tb[t][k].filename;
        fr[k].filename = tm_snapshot_intern_string(s, f, strlen(f));
        fr[k].lineno = c->tb[t][k].lineno;
        fr[k].function = NULL;
      }
      itb[t] = tm_snapshot_intern_traceback(s, fr, c->depth[t],
                                            (uint32_t)c->depth[t] + 3);
    }
    size_t size = 1 + next_rand() % (variant ? 4500 : 4096);
    if (tm_snapshot_append(s, (unsigned)(i % 50 == 0), size, itb[t]) != TM_OK)
      exit(1);
  }
  free(itb);
  *secs = now() - t0;
  return s;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct result {
  double median, min, cpu_median;
  size_t items;
} result_t;

enum { OP_STATS, OP_DIFF, OP_FILTER, OP_FORMAT };

static size_t run_once(int op, tm_snapshot_t *a, tm_snapshot_t *b,
                       tm_key_t key, bool cum) {
  size_t n = 0;
  if (op == OP_STATS || op == OP_FORMAT) {
    tm_statistics_t *st = NULL;
    if (tm_snapshot_statistics(a, key, cum, &st) != TM_OK)
      exit(1);
    n = tm_statistics_count(st);
    if (op == OP_FORMAT) {
      char line[512];
      for (size_t i = 0; i < n; i++)
        tm_format_statistic(line, sizeof line, &tm_statistics_items(st)[i]);
    }
    tm_statistics_free(st);
  } else if (op == OP_DIFF) {
    tm_statistic_diffs_t *d = NULL;
    if (tm_snapshot_compare_to(b, a, key, cum, &d) != TM_OK)
      exit(1);
    n = tm_statistic_diffs_count(d);
    tm_statistic_diffs_free(d);
  } else {
    tm_filter_t f[2] = {
        {TM_FILTER_FILENAME, true, "src/module_0*", TM_LINENO_ANY, true,
         false, 0, 0, NULL},
        {TM_FILTER_FILENAME, false, "*/file_00[0-4].c", TM_LINENO_ANY, false,
         false, 0, 0, NULL}};
    tm_snapshot_t *r = NULL;
    if (tm_snapshot_filter_traces(a, f, 2, &r) != TM_OK)
      exit(1);
    n = tm_snapshot_count(r);
    tm_snapshot_free(r);
  }
  return n;
}

static result_t measure(const params_t *p, int op, tm_snapshot_t *a,
                        tm_snapshot_t *b, tm_key_t key, bool cum) {
  double t[64], c[64];
  result_t r = {0, 0, 0, 0};
  int rep = p->repeat > 64 ? 64 : p->repeat;
  for (int i = 0; i < rep; i++) {
    double t0 = now(), c0 = cpu_now();
    r.items = run_once(op, a, b, key, cum);
    t[i] = now() - t0;
    c[i] = cpu_now() - c0;
  }
  qsort(t, (size_t)rep, sizeof t[0], cmp_double);
  qsort(c, (size_t)rep, sizeof c[0], cmp_double);
  r.median = t[rep / 2];
  r.min = t[0];
  r.cpu_median = c[rep / 2];
  return r;
}

static void row(const char *what, result_t r, bool target) {
  printf("| %s | %zu | %.1f | %.1f | %.1f | %s |\n", what, r.items,
         r.median * 1e3, r.min * 1e3, r.cpu_median * 1e3,
         !target ? "-" : r.median < 0.5 ? "yes" : "**NO**");
}

static void parse(int argc, char **argv, params_t *p) {
  for (int i = 1; i + 1 < argc; i += 2) {
    size_t v = strtoull(argv[i + 1], NULL, 10);
    if (!strcmp(argv[i], "--traces"))
      p->traces = v;
    else if (!strcmp(argv[i], "--tracebacks"))
      p->tracebacks = v ? v : 1;
    else if (!strcmp(argv[i], "--files"))
      p->files = v ? v : 1;
    else if (!strcmp(argv[i], "--repeat"))
      p->repeat = v ? (int)v : 1;
  }
}

int main(int argc, char **argv) {
  params_t p = {1000000, 5000, 300, 5};
  parse(argc, argv, &p);
  corpus_t c;
  make_corpus(&p, &c);
  double tb_new, tb_old;
  tm_snapshot_t *snew = build(&p, &c, 0, &tb_new);
  tm_snapshot_t *sold = build(&p, &c, 1, &tb_old);
  printf("Snapshot: %zu traces, %zu distinct tracebacks (depth 1..25) over "
         "%zu files; built through snapshot_build.h in %.1f ms. Median and "
         "minimum of %d runs.\n\n",
         p.traces, p.tracebacks, p.files, tb_new * 1e3, p.repeat);
  printf("| operation | results | median ms | min ms | CPU ms (median) | "
         "median < 0.5 s |\n");
  printf("|---|---:|---:|---:|---:|:---:|\n");
  static const struct {
    const char *name;
    tm_key_t key;
    bool cum;
  } keys[] = {{"lineno", TM_KEY_LINENO, false},
              {"filename", TM_KEY_FILENAME, false},
              {"traceback", TM_KEY_TRACEBACK, false},
              {"lineno, cumulative", TM_KEY_LINENO, true},
              {"filename, cumulative", TM_KEY_FILENAME, true}};
  char what[96];
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    snprintf(what, sizeof what, "statistics(%s)", keys[k].name);
    row(what, measure(&p, OP_STATS, snew, sold, keys[k].key, keys[k].cum),
        true);
  }
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    snprintf(what, sizeof what, "compare_to(%s)", keys[k].name);
    row(what, measure(&p, OP_DIFF, snew, sold, keys[k].key, keys[k].cum),
        true);
  }
  row("filter_traces(include glob all_frames, exclude glob)",
      measure(&p, OP_FILTER, snew, sold, TM_KEY_LINENO, false), false);
  row("statistics(traceback) + str() of every line",
      measure(&p, OP_FORMAT, snew, sold, TM_KEY_TRACEBACK, false), false);
  tm_snapshot_free(snew);
  tm_snapshot_free(sold);
  free_corpus(&p, &c);
  return 0;
}
