/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_core_memory.c - runtime memory per live trace with 1M live blocks
 * (tm_get_tracemalloc_memory delta / 1M), at nframe=1 and nframe=25, all
 * blocks from one allocation site (the common case: few tracebacks, many
 * blocks), and the time of tm_take_snapshot over those 1M traces.
 * Prints "<nframe> <bytes per trace> <snapshot ms> <traces>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tracemalloc.h"
#include "tracemalloc_abi.h"

void *__tm_malloc(size_t size, const struct tm_site *site);
void __tm_free(void *ptr, const struct tm_site *site);

enum { N = 1000000 };

static const struct tm_site site = {"bench.c", "alloc", NULL, 1, 1, 0, 0};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void) {
  void **blocks = malloc(N * sizeof *blocks); // before tracing: untraced
  int limits[] = {1, 25};
  for (int k = 0; k < 2; k++) {
    tm_start(limits[k]);
    size_t before = tm_get_tracemalloc_memory();
    for (int i = 0; i < N; i++)
      blocks[i] = __tm_malloc(16, &site);
    size_t after = tm_get_tracemalloc_memory();
    double t0 = now_ms();
    tm_snapshot_t *snap = NULL;
    tm_take_snapshot(&snap);
    double ms = now_ms() - t0;
    printf("%d %.1f %.1f %zu\n", limits[k], (double)(after - before) / N, ms,
           tm_snapshot_count(snap));
    tm_snapshot_free(snap);
    for (int i = 0; i < N; i++)
      __tm_free(blocks[i], &site);
    tm_stop();
  }
  free(blocks);
  return 0;
}
