/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_core_leaks.c - the TRACEMALLOC_LEAKS=1 reachability scan on a
 * large heap (issue 13: 1M live blocks in under 1 s).
 *
 * Builds BLOCKS traced blocks of 32 bytes: half in one linked list held by
 * a global (the scan follows a chain BLOCKS/2 deep: its work stack, not
 * recursion), a quarter in lost lists of 8, a quarter lost alone, every
 * block's last word a random 64-bit value (most are no pointer, as in real
 * data). Then runs the scan (tm_leaks_scan, what atexit runs) REPS times
 * and prints the best wall-clock and thread CPU time and the
 * classification it found, which must be exactly the one built.
 *
 * Usage: bench_core_leaks [BLOCKS] [REPS] [trailer|side]
 *   trailer (default): malloc'ed blocks, traced in trailer mode (the block
 *   index gives them in address order); side: aligned_alloc'ed blocks,
 *   which the side table traces (the scan sorts them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "leak_class.h"
#include "leaks.h"
#include "tracemalloc.h"

struct node {
  struct node *next;
  uint64_t a, b, noise;
};

struct node *volatile kept; // the reachable half

static double ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

static int side;

static struct node *node(struct node *next) {
  struct node *n =
      side ? aligned_alloc(32, sizeof(struct node)) : malloc(sizeof *n);
  if (!n)
    exit(1);
  *n = (struct node){next, 0, 0, rng()};
  return n;
}

__attribute__((noinline)) static void build(long blocks) {
  struct node *head = NULL;
  for (long i = 0; i < blocks / 2; i++)
    head = node(head);
  kept = head;
  for (long i = 0; i < blocks / 4 / 8; i++) {
    struct node *l = NULL;
    for (int k = 0; k < 8; k++)
      l = node(l);
    __asm__ volatile("" ::"r"(l));
  }
  for (long i = 0; i < blocks / 4; i++)
    __asm__ volatile("" ::"r"(node(NULL)));
}

int main(int argc, char **argv) {
  long blocks = argc > 1 ? atol(argv[1]) : 1000000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  side = argc > 3 && argv[3][0] == 's';
  if (blocks < 32 || reps < 1) {
    fprintf(stderr,
            "usage: bench_core_leaks [BLOCKS>=32] [REPS>=1] [trailer|side]\n");
    return 2;
  }
  tm_start(1);
  build(blocks);
  double best_wall = 1e300, best_cpu = 1e300;
  for (int r = 0; r < reps; r++) {
    double w0 = ns(CLOCK_MONOTONIC), c0 = ns(CLOCK_THREAD_CPUTIME_ID);
    tm_leaks_scan();
    double w = ns(CLOCK_MONOTONIC) - w0, c = ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    best_wall = w < best_wall ? w : best_wall;
    best_cpu = c < best_cpu ? c : best_cpu;
  }
  size_t n;
  const tm_leak_rec_t *recs = tm_snapshot_leaks(tm_leaks_result(), &n);
  uint64_t count[4] = {0};
  for (size_t i = 0; i < n; i++)
    count[recs[i].kind & 3] += recs[i].blocks;
  printf("%s blocks %ld scan_wall_ms %.1f scan_cpu_ms %.1f definitely %llu "
         "indirectly %llu reachable %llu\n",
         side ? "side" : "trailer", blocks, best_wall / 1e6, best_cpu / 1e6,
         (unsigned long long)count[TM_LEAK_DIRECT],
         (unsigned long long)count[TM_LEAK_INDIRECT],
         (unsigned long long)count[TM_LEAK_REACHABLE]);
  tm_stop();
  return 0;
}
