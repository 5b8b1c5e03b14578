/* bench_core_pair.c - cost of a malloc/free pair as instrumented code pays
 * it: __tm_malloc/__tm_free with a static site at a shadow depth of 10,
 * against plain malloc/free, with tracing off, nframe=1 and nframe=25, on 1
 * and 2 threads.
 *
 * Each thread keeps a ring of 256 live blocks (free the oldest, allocate a
 * new one), so the trace table holds live traces as a real program's does.
 * Prints one line per configuration: "<mode> <threads> <ns per pair>", in
 * thread CPU time (best of 5), so that other processes on a shared machine
 * do not count; contention between our own threads still does.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracemalloc.h"
#include "tracemalloc_abi.h"

void *__tm_malloc(size_t size, const struct tm_site *site);
void __tm_free(void *ptr, const struct tm_site *site);

enum { RING = 256, DEPTH = 10 };

static struct tm_site frames_sites[DEPTH + 1];
static const struct tm_site alloc_site = {
    "bench.c", "alloc", NULL, 100, 1, TM_SITE_OWN_FRAME, 0};
static const struct tm_site free_site = {
    "bench.c", "alloc", NULL, 101, 1, TM_SITE_OWN_FRAME, 0};

typedef struct job {
  int hooked; /* __tm_* (1) or plain malloc/free (0) */
  long iters;
  double ns;
} job_t;

/* This thread's CPU time: the machine is shared, wall time is not ours. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *run(void *arg) {
  job_t *j = arg;
  const struct tm_site *stack[DEPTH + 2] = {NULL};
  for (int i = 1; i <= DEPTH; i++) // what instrumented callers stored
    stack[i] = &frames_sites[i];
  const struct tm_site **saved = __tm_frames;
  uintptr_t saved_cap = __tm_frames_cap, saved_depth = __tm_depth;
  __tm_frames = stack;
  __tm_frames_cap = DEPTH + 2;
  __tm_depth = DEPTH;
  void *ring[RING];
  for (int i = 0; i < RING; i++)
    ring[i] = j->hooked ? __tm_malloc(32, &alloc_site) : malloc(32);
  double t0 = now();
  for (long n = 0; n < j->iters; n++) {
    unsigned i = (unsigned)n % RING;
    size_t size = 16 + (n & 63);
    if (j->hooked) {
      __tm_free(ring[i], &free_site);
      ring[i] = __tm_malloc(size, &alloc_site);
    } else {
      free(ring[i]);
      ring[i] = malloc(size);
    }
  }
  j->ns = (now() - t0) / (double)j->iters;
  for (int i = 0; i < RING; i++)
    j->hooked ? __tm_free(ring[i], &free_site) : free(ring[i]);
  __tm_frames = saved;
  __tm_frames_cap = saved_cap;
  __tm_depth = saved_depth;
  return NULL;
}

/* Best of 5 runs of `nthreads` threads; ns per pair per thread. */
static double measure(int hooked, int nthreads, long iters) {
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    pthread_t th[2];
    job_t jobs[2] = {{hooked, iters, 0}, {hooked, iters, 0}};
    for (int t = 0; t < nthreads; t++)
      pthread_create(&th[t], NULL, run, &jobs[t]);
    double worst = 0;
    for (int t = 0; t < nthreads; t++) {
      pthread_join(th[t], NULL);
      worst = jobs[t].ns > worst ? jobs[t].ns : worst;
    }
    best = worst < best ? worst : best;
  }
  return best;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 2000000;
  int only = argc > 2 ? atoi(argv[2]) : 0; // profile one configuration
  for (int i = 1; i <= DEPTH; i++)
    frames_sites[i] =
        (struct tm_site){"bench.c", "caller", NULL, (uint32_t)i, 1, 0, 0};
  if (only) { // "N": tracing with nframe=N on one thread
    tm_start(only);
    printf("nframe=%d 1 %.2f\n", only, measure(1, 1, iters));
    tm_stop();
    return 0;
  }
  for (int threads = 1; threads <= 2; threads++) {
    printf("plain %d %.2f\n", threads, measure(0, threads, iters));
    printf("hooks-off %d %.2f\n", threads, measure(1, threads, iters));
    int limits[] = {1, 25};
    for (int k = 0; k < 2; k++) {
      tm_start(limits[k]);
      printf("nframe=%d %d %.2f\n", limits[k], threads,
             measure(1, threads, iters));
      tm_stop();
    }
  }
  return 0;
}
