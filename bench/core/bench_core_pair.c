/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_core_pair.c - cost of a malloc/free pair as instrumented code pays
 * it: __tm_malloc/__tm_free with a static site at a shadow depth of 10,
 * against plain malloc/free, with tracing off, nframe=1 and nframe=25, on 1
 * and 2 threads.
 *
 * Each thread keeps a ring of 256 live blocks (free the oldest, allocate a
 * new one), so the trace table holds live traces as a real program's does.
 * Prints one line per configuration: "<mode> <column> <ns per pair>", in
 * thread CPU time (best of REPS), so that other processes on a shared
 * machine do not count; contention between our own threads still does.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tracemalloc.h"
#include "tracemalloc_abi.h"

void *__tm_malloc(size_t size, const struct tm_site *site);
void __tm_free(void *ptr, const struct tm_site *site);

enum { RING = 256, DEPTH = 10, SYNC_FLOOR = 2, COUNTER_FLOOR = 3 };

/* The synchronisation floor of a traced pair in a multi-threaded process,
 * with nothing else: on malloc and on free, take and release a lock (one
 * atomic exchange, one release store) and add to a counter shared by all
 * threads (one atomic fetch_add). That is what an exact current/peak
 * without a global lock needs at least: the table slot must be claimed
 * against other threads (an RMW on a per-shard word) and every change of
 * current must take its place in one total order (an RMW on one word).
 * The lock is per thread, so that it is never contended (as with shards,
 * at best); the counter is one. */
static _Thread_local _Alignas(64) _Atomic int floor_lock;
static _Alignas(64) _Atomic size_t floor_current;

static inline void floor_sync(long delta, int lock) {
  if (lock) {
    while (atomic_exchange_explicit(&floor_lock, 1, memory_order_acquire))
      ;
    atomic_store_explicit(&floor_lock, 0, memory_order_release);
  }
  atomic_fetch_add_explicit(&floor_current, (size_t)delta,
                            memory_order_relaxed);
}

static struct tm_site frames_sites[DEPTH + 1];
static const struct tm_site alloc_site = {
    "bench.c", "alloc", NULL, 100, 1, TM_SITE_OWN_FRAME, 0};
static const struct tm_site free_site = {
    "bench.c", "alloc", NULL, 101, 1, TM_SITE_OWN_FRAME, 0};

typedef struct job {
  int hooked; /* __tm_* (1), plain malloc/free (0), or plain plus the
                 synchronisation a traced pair needs (SYNC_FLOOR), or plus
                 its counter part only (COUNTER_FLOOR) */
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
  // DEPTH frame records in this frame, as instrumented callers pushed
  // them: rec[0] the innermost, naming frames_sites[DEPTH].
  struct tm_frame_record rec[DEPTH];
  for (int i = 0; i < DEPTH; i++) {
    rec[i].site = &frames_sites[DEPTH - i];
    rec[i].prev = i + 1 < DEPTH ? &rec[i + 1] : NULL;
  }
  // As an instrumented image's constructor: runtime state set up, sites
  // registered.
  __tm_module_init_v4(&frames_sites[1], &frames_sites[DEPTH + 1]);
  const struct tm_frame_record *saved = __tm_shadow_top;
  __tm_shadow_top = &rec[0];
  void *ring[RING];
  for (int i = 0; i < RING; i++)
    ring[i] = j->hooked == 1 ? __tm_malloc(32, &alloc_site) : malloc(32);
  double t0 = now();
  for (long n = 0; n < j->iters; n++) {
    unsigned i = (unsigned)n % RING;
    size_t size = 16 + (n & 63);
    if (j->hooked == 1) {
      __tm_free(ring[i], &free_site);
      ring[i] = __tm_malloc(size, &alloc_site);
    } else if (j->hooked == SYNC_FLOOR || j->hooked == COUNTER_FLOOR) {
      int lock = j->hooked == SYNC_FLOOR;
      floor_sync(-(long)size, lock);
      free(ring[i]);
      ring[i] = malloc(size);
      floor_sync((long)size, lock);
    } else {
      free(ring[i]);
      ring[i] = malloc(size);
    }
  }
  j->ns = (now() - t0) / (double)j->iters;
  for (int i = 0; i < RING; i++)
    j->hooked == 1 ? __tm_free(ring[i], &free_site) : free(ring[i]);
  __tm_shadow_top = saved;
  return NULL;
}

/* Best of `reps` runs; ns per pair per thread (the slowest thread of a
 * run). nthreads 0: on the calling thread, no thread created (a process
 * that has only ever had one thread: the runtime's single-threaded fast
 * path applies if the process has never created a thread). */
static double measure(int hooked, int nthreads, long iters, int reps) {
  double best = 1e30;
  for (int rep = 0; rep < reps; rep++) {
    job_t jobs[2] = {{hooked, iters, 0}, {hooked, iters, 0}};
    double worst = 0;
    if (nthreads == 0) {
      run(&jobs[0]);
      worst = jobs[0].ns;
    } else {
      pthread_t th[2];
      for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, run, &jobs[t]);
      for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        worst = jobs[t].ns > worst ? jobs[t].ns : worst;
      }
    }
    best = worst < best ? worst : best;
  }
  return best;
}

/* One configuration: mode is plain, floor (plain plus the synchronisation
 * floor), counter (plus its counter part), off or an nframe. */
static void one(const char *mode, const char *column, int nthreads, long iters,
                int reps) {
  if (strcmp(mode, "floor") == 0 || strcmp(mode, "counter") == 0) {
    int floor = mode[0] == 'f' ? SYNC_FLOOR : COUNTER_FLOOR;
    printf("%s %s %.2f\n",
           floor == SYNC_FLOOR ? "floor:lock+counter" : "floor:counter", column,
           measure(floor, nthreads, iters, reps));
    return;
  }
  int hooked = strcmp(mode, "plain") != 0;
  int nframe = hooked && strcmp(mode, "off") != 0 ? atoi(mode) : 0;
  if (nframe)
    tm_start(nframe);
  double ns = measure(hooked, nthreads, iters, reps);
  if (nframe)
    tm_stop();
  printf("%s%s %s %.2f\n", nframe ? "nframe=" : "",
         nframe ? mode : (hooked ? "hooks-off" : "plain"), column, ns);
}

static void sleeper_wait(void);

/* Usage: bench_core_pair [ITERS [REPS [MODE COLUMN]]]
 * Without MODE: every configuration, in three columns:
 *   st  one thread, in a process that has never created a thread
 *   mt  one thread, while another (idle) thread exists
 *   2   two threads allocating at once (ns per pair per thread)
 * Modes: plain, off, 1, 25, and floor: plain plus only the synchronisation
 * that a traced pair needs in a multi-threaded process (SYNC_FLOOR); counter:
 * plain plus only its shared-counter part (COUNTER_FLOOR).
 * With MODE (plain, floor, counter, off, 1, 25, ...) and COLUMN (st, mt, 2):
 * that one configuration only (for callgrind). Prints "<mode> <column> <ns>".
 */
int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 2000000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  for (int i = 1; i <= DEPTH; i++)
    frames_sites[i] =
        (struct tm_site){"bench.c", "caller", NULL, (uint32_t)i, 1, 0, 0};
  const char *modes[] = {"plain", "counter", "floor", "off", "1", "25"};
  enum { NMODES = sizeof modes / sizeof *modes };
  const char *cols[] = {"st", "mt", "2"};
  if (argc > 4) {
    int c = 0;
    while (c < 2 && strcmp(cols[c], argv[4]) != 0)
      c++;
    if (c > 0) // mt and 2: the process has a second thread
      sleeper_wait();
    one(argv[3], cols[c], c == 2 ? 2 : 0, iters, reps);
    return 0;
  }
  // Single-threaded first: no thread may have been created before.
  for (int m = 0; m < NMODES; m++)
    one(modes[m], "st", 0, iters, reps);
  sleeper_wait();
  for (int m = 0; m < NMODES; m++)
    one(modes[m], "mt", 0, iters, reps);
  for (int m = 0; m < NMODES; m++)
    one(modes[m], "2", 2, iters, reps);
  return 0;
}

/* A thread that exists and sleeps: the process is multi-threaded. */
static void *sleeper(void *arg) {
  (void)arg;
  for (;;)
    pause();
  return NULL;
}

static void sleeper_wait(void) {
  pthread_t th;
  pthread_create(&th, NULL, sleeper, NULL);
  pthread_detach(th);
}
