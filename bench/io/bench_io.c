/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_io.c - time dump and load of large snapshots and measure the dump
 * size per trace.
 *
 * Two synthetic snapshots of N traces (default 1,000,000):
 *  - "repeating": tracebacks drawn from T distinct ones (default 5,000, depth
 *    1..25 over 300 files, skewed choice as in real programs), sizes mostly
 *    small with a tail of large blocks, 1% of traces in other domains. This
 *    is the case the <= 12 bytes/trace target is about.
 *  - "unique": every trace has its own traceback (depth 3): the worst case,
 *    reported for information.
 * Each operation runs R times (default 5); the table shows the median and the
 * minimum wall-clock time. "dump" is the whole tm_snapshot_dump (serialise,
 * write, fsync, rename), "load" the whole tm_snapshot_load (read, CRC,
 * decode, build the snapshot). Files go to $TMPDIR (default /tmp).
 *
 *   bench_io [--traces N] [--tracebacks T] [--repeat R]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapshot_build.h"
#include "tracemalloc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t random_size(void) {
  uint64_t r = next_rand() % 100;
  if (r < 60)
    return 8 + next_rand() % 120;
  if (r < 95)
    return 128 + next_rand() % 4096;
  return 4096 + next_rand() % (1 << 20);
}

static unsigned random_domain(void) {
  return next_rand() % 100 == 0 ? 1 + (unsigned)(next_rand() % 4) : 0;
}

static const tm_traceback_t *random_traceback(tm_snapshot_t *s, size_t depth,
                                              size_t files) {
  tm_frame_t f[32];
  char name[64], fn[32];
  for (size_t k = 0; k < depth; k++) {
    size_t i = next_rand() % files;
    snprintf(name, sizeof name, "src/module_%02zu/file_%03zu.c", i % 37, i);
    snprintf(fn, sizeof fn, "func_%zu", (size_t)(next_rand() % 2000));
    f[k].filename = tm_snapshot_intern_string(s, name, strlen(name));
    f[k].function = tm_snapshot_intern_string(s, fn, strlen(fn));
    f[k].lineno = 1 + (unsigned)(next_rand() % 2000);
  }
  return tm_snapshot_intern_traceback(s, f, depth, (uint32_t)depth + 3);
}

static tm_snapshot_t *make_repeating(size_t n, size_t ntb) {
  tm_snapshot_t *s;
  tm_snapshot_new(25, &s);
  const tm_traceback_t **tbs = malloc(ntb * sizeof *tbs);
  for (size_t t = 0; t < ntb; t++)
    tbs[t] = random_traceback(s, 1 + next_rand() % 25, 300);
  tm_snapshot_reserve(s, n);
  for (size_t i = 0; i < n; i++) {
    // Skewed: squaring a uniform number favours the first tracebacks.
    double u = (double)(next_rand() % 1000000) / 1e6;
    tm_snapshot_append(s, random_domain(), random_size(),
                       tbs[(size_t)(u * u * (double)ntb)]);
  }
  free(tbs);
  return s;
}

static tm_snapshot_t *make_unique(size_t n) {
  tm_snapshot_t *s;
  tm_snapshot_new(3, &s);
  tm_snapshot_reserve(s, n);
  for (size_t i = 0; i < n; i++)
    tm_snapshot_append(s, random_domain(), random_size(),
                       random_traceback(s, 3, 300));
  return s;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct result {
  double dump_med, dump_min, load_med, load_min;
  long long bytes;
} result_t;

static int measure(tm_snapshot_t *s, const char *path, int repeat,
                   result_t *r) {
  double d[64], l[64];
  if (repeat > 64)
    repeat = 64;
  for (int i = 0; i < repeat; i++) {
    double t0 = now();
    if (tm_snapshot_dump(s, path) != TM_OK)
      return fprintf(stderr, "dump: %s\n", tm_error_message()), -1;
    double t1 = now();
    tm_snapshot_t *back = NULL;
    if (tm_snapshot_load(path, &back) != TM_OK)
      return fprintf(stderr, "load: %s\n", tm_error_message()), -1;
    double t2 = now();
    if (tm_snapshot_count(back) != tm_snapshot_count(s))
      return fprintf(stderr, "load: wrong count\n"), -1;
    tm_snapshot_free(back);
    d[i] = t1 - t0;
    l[i] = t2 - t1;
  }
  qsort(d, (size_t)repeat, sizeof d[0], cmp_double);
  qsort(l, (size_t)repeat, sizeof l[0], cmp_double);
  struct stat sb;
  stat(path, &sb);
  *r = (result_t){d[repeat / 2], d[0], l[repeat / 2], l[0],
                  (long long)sb.st_size};
  unlink(path);
  return 0;
}

static void row(const char *what, const char *kind, size_t n, const result_t *r,
                bool target) {
  double per = (double)r->bytes / (double)n;
  printf("| %s | %s | %.3f s (min %.3f) | %.3f s (min %.3f) | %lld | %.2f "
         "|%s\n",
         what, kind, r->dump_med, r->dump_min, r->load_med, r->load_min,
         r->bytes, per,
         !target ? " (information) |"
         : r->dump_med < 0.5 && r->load_med < 0.5 && per <= 12.0 ? " yes |"
                                                                 : " **NO** |");
}

int main(int argc, char **argv) {
  size_t n = 1000000, ntb = 5000;
  int repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--traces") == 0)
      n = strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--tracebacks") == 0)
      ntb = strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--repeat") == 0)
      repeat = atoi(argv[i + 1]);
  }
  if (repeat < 1 || n == 0 || ntb == 0)
    return fprintf(stderr, "bad arguments\n"), 2;
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char bin[512], json[512];
  snprintf(bin, sizeof bin, "%s/bench-io-%ld.tmd", tmp, (long)getpid());
  snprintf(json, sizeof json, "%s/bench-io-%ld.json", tmp, (long)getpid());

  printf("%zu traces; median of %d runs; target: dump and load < 0.5 s and "
         "<= 12 bytes/trace when tracebacks repeat (binary).\n\n",
         n, repeat);
  printf("| snapshot | format | dump | load | file bytes | bytes/trace | "
         "meets target |\n|---|---|---|---|---|---|---|\n");
  char what[64];
  snprintf(what, sizeof what, "repeating (%zu tracebacks)", ntb);
  tm_snapshot_t *s = make_repeating(n, ntb);
  result_t r;
  if (measure(s, bin, repeat, &r) != 0)
    return 1;
  row(what, "binary", n, &r, true);
  if (measure(s, json, repeat, &r) != 0)
    return 1;
  row(what, "JSON", n, &r, false);
  tm_snapshot_free(s);
  s = make_unique(n);
  if (measure(s, bin, repeat, &r) != 0)
    return 1;
  row("unique (1 traceback per trace)", "binary", n, &r, false);
  tm_snapshot_free(s);
  return 0;
}
