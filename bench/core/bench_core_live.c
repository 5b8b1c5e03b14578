/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_core_live.c - cost of a traced allocation lifetime as the live set
 * grows: the curve of issue 14 ("cost independent of the live set").
 *
 * One run: allocate LIVE blocks of 16-79 bytes (instrumented code's view:
 * __tm_malloc with a static site at a shadow depth of 10, or plain malloc),
 * then free them all, in allocation order (FIFO), reverse order (LIFO) or a
 * random order (a Fisher-Yates shuffle with a fixed seed, done outside the
 * timed part). Prints "<mode> <live> <order> <ns per malloc+free>", in
 * thread CPU time, best of REPS runs, single-threaded process. A pair bench
 * with a 256-block ring (bench_core_pair) keeps the table in cache; this one
 * makes it as large as the heap, as real programs do.
 *
 * bench_core_live_plain is this program built with BENCH_LIVE_PLAIN_ONLY:
 * the plain mode alone, without the runtime linked in (whose malloc would
 * come before an LD_PRELOAD library's), so that bench/shim/pad_shim.so can
 * run the same loop (bench/core/run.sh, "Why random order grows").
 *
 * Usage: bench_core_live MODE LIVE ORDER [REPS [USE]]
 *   MODE  plain, or an nframe (1, 25): tracing with that limit
 *   ORDER alloc, reverse, random
 *   USE   none (the default: the blocks are never touched, so every line
 *         the tracer reads or writes is its own cost), or write: the
 *         program fills each block after malloc and reads its first word
 *         before free, as a real program uses its objects. In random
 *         order, a trace kept in the block's last bytes is a line the
 *         allocator does not touch but such a program does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "tracemalloc.h"
#include "tracemalloc_abi.h"

#ifdef BENCH_LIVE_PLAIN_ONLY
// Never called (hooked is 0): keeps the loop one source.
#define __tm_malloc(size, site) ((void)(site), malloc(size))
#define __tm_free(ptr, site) ((void)(site), free(ptr))
#else
void *__tm_malloc(size_t size, const struct tm_site *site);
void __tm_free(void *ptr, const struct tm_site *site);
#endif

enum { DEPTH = 10 };

static struct tm_site frames_sites[DEPTH + 1];
static const struct tm_site alloc_site = {
    "bench.c", "alloc", NULL, 100, 1, TM_SITE_OWN_FRAME, 0};
static const struct tm_site free_site = {
    "bench.c", "alloc", NULL, 101, 1, TM_SITE_OWN_FRAME, 0};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* xorshift64*: a fixed sequence, the same in every mode. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

/* The program's last use of a block (its first word read, with USE
 * write), then its free. */
static uint64_t use_sum;
static inline void release(void *p, int hooked, int write_use) {
  if (write_use)
    use_sum += *(volatile unsigned char *)p;
  hooked ? __tm_free(p, &free_site) : free(p);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_core_live MODE LIVE ORDER [REPS]\n");
    return 2;
  }
  const char *mode = argv[1];
  long live = atol(argv[2]);
  const char *order = argv[3];
  int reps = argc > 4 ? atoi(argv[4]) : 3;
  const char *use = argc > 5 ? argv[5] : "none";
  int write_use = strcmp(use, "write") == 0;
  int hooked = strcmp(mode, "plain") != 0;
  int nframe = hooked ? atoi(mode) : 0;
  int ord = strcmp(order, "alloc") == 0     ? 0
            : strcmp(order, "reverse") == 0 ? 1
            : strcmp(order, "random") == 0  ? 2
                                            : -1;
#ifdef BENCH_LIVE_PLAIN_ONLY
  if (hooked) {
    fprintf(stderr, "bench_core_live_plain: MODE must be plain\n");
    return 2;
  }
#endif
  if (live <= 0 || ord < 0 || (hooked && nframe <= 0) || reps <= 0 ||
      (!write_use && strcmp(use, "none") != 0)) {
    fprintf(stderr, "bench_core_live: bad MODE, LIVE, ORDER, REPS or USE\n");
    return 2;
  }
#ifndef BENCH_LIVE_PLAIN_ONLY
  for (int i = 1; i <= DEPTH; i++)
    frames_sites[i] =
        (struct tm_site){"bench.c", "caller", NULL, (uint32_t)i, 1, 0, 0};
  // DEPTH frame records in main's frame, as instrumented callers pushed
  // them: rec[0] the innermost, naming frames_sites[DEPTH].
  struct tm_frame_record rec[DEPTH];
  for (int i = 0; i < DEPTH; i++) {
    rec[i].site = &frames_sites[DEPTH - i];
    rec[i].prev = i + 1 < DEPTH ? &rec[i + 1] : NULL;
  }
  __tm_module_init_v4(&frames_sites[1], &frames_sites[DEPTH + 1]);
  __tm_shadow_top = &rec[0];
#endif
  // The pointer array comes from mmap, not malloc: it is not part of the
  // heap being measured.
  void **ptrs = mmap(NULL, (size_t)live * sizeof *ptrs, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ptrs == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
#ifndef BENCH_LIVE_PLAIN_ONLY
  if (nframe)
    tm_start(nframe);
#endif
  // Each repetition measures LIVE allocations and LIVE frees; the first
  // also warms the allocator. Repeating in one session keeps the table's
  // capacity, as a long-running program's would be.
  double best = 1e30;
  for (int rep = 0; rep < reps; rep++) {
    double t0 = now();
    for (long i = 0; i < live; i++) {
      size_t size = 16 + (size_t)(i & 63);
      ptrs[i] = hooked ? __tm_malloc(size, &alloc_site) : malloc(size);
      if (write_use)
        memset(ptrs[i], (int)i, size);
    }
    double t_alloc = now() - t0;
    if (ord == 2)
      for (long i = live - 1; i > 0; i--) {
        long j = (long)(rng() % (uint64_t)(i + 1));
        void *t = ptrs[i];
        ptrs[i] = ptrs[j];
        ptrs[j] = t;
      }
    t0 = now();
    if (ord == 1) {
      for (long i = live; i-- > 0;)
        release(ptrs[i], hooked, write_use);
    } else {
      for (long i = 0; i < live; i++)
        release(ptrs[i], hooked, write_use);
    }
    double ns = (t_alloc + now() - t0) / (double)live;
    best = ns < best ? ns : best;
  }
#ifndef BENCH_LIVE_PLAIN_ONLY
  if (nframe)
    tm_stop();
#endif
  const char *tag = write_use ? " write" : "";
  if (hooked)
    printf("nframe=%d %ld %s %.2f%s\n", nframe, live, order, best, tag);
  else
    printf("plain %ld %s %.2f%s\n", live, order, best, tag);
  return 0;
}
