/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench.c - call-heavy code that seldom allocates, to price the shadow stack.
 *
 * Kernels (each prints "name best_ns calls"):
 *   fib_pure   recursive fib, nothing below allocates: the pass gives it no
 *              frame at all (FramePolicy), so it should cost nothing;
 *   fib_alloc  the same with an allocation reachable at the leaves (never
 *              taken): every call pushes and pops a shadow frame;
 *   tree_walk  recursive walk of a 2^20-node tree, allocation reachable;
 *   qsort      qsort of 30k ints (under the mmap threshold, so that glibc's
 *              temporary buffer does not dominate) with a comparator (a
 *              leaf: no frame; qsort itself is libc, uninstrumented).
 * `calls` is the number of calls of the kernel function (for qsort: of
 * qsort), for instructions per call from callgrind.
 * Usage: bench [scale]   (scale 1 = timing run, smaller for callgrind)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tree.h"

#define NOINLINE __attribute__((noinline))

static volatile int trigger = -1; /* never matches: allocation reachable, not taken */
static void *volatile sink;

NOINLINE long fib_pure(int n) { return n < 2 ? n : fib_pure(n - 1) + fib_pure(n - 2); }

NOINLINE long fib_alloc(int n) {
  if (n < 2) {
    if (n == trigger)
      sink = malloc(16);
    return n;
  }
  return fib_alloc(n - 1) + fib_alloc(n - 2);
}

NOINLINE long walk(const struct node *t) {
  if (!t)
    return 0;
  if (t->v == trigger)
    sink = malloc(8);
  return t->v + walk(t->l) + walk(t->r);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

NOINLINE void sort_kernel(int *b, const int *a, int n, int sorts) {
  for (int k = 0; k < sorts; k++) {
    for (int i = 0; i < n; i++)
      b[i] = a[i];
    qsort(b, n, sizeof(int), cmp_int);
  }
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long fib_calls(int n) { /* calls of fib(n) = 2*F(n+1) - 1 */
  long a = 0, b = 1;
  for (int i = 0; i < n + 1; i++) {
    long t = a + b;
    a = b;
    b = t;
  }
  return 2 * a - 1;
}

#define BEST_OF(reps, expr, out)                                               \
  do {                                                                         \
    long long best = -1;                                                       \
    for (int r_ = 0; r_ < (reps); r_++) {                                      \
      long long t0_ = now_ns();                                                \
      expr;                                                                    \
      long long d_ = now_ns() - t0_;                                           \
      if (best < 0 || d_ < best)                                               \
        best = d_;                                                             \
    }                                                                          \
    (out) = best;                                                              \
  } while (0)

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  int reps = scale ? 7 : 1;
  int fibn = scale ? 32 : 22;
  int depth = scale ? 20 : 14;
  int nsort = scale ? 30000 : 2000;
  int sorts = scale ? 30 : 1;
  volatile long acc = 0;
  long long t;

  BEST_OF(reps, acc += fib_pure(fibn), t);
  printf("fib_pure %lld %ld\n", t, fib_calls(fibn));
  BEST_OF(reps, acc += fib_alloc(fibn), t);
  printf("fib_alloc %lld %ld\n", t, fib_calls(fibn));

  long next = 0;
  struct node *root = build(depth, &next);
  BEST_OF(reps, acc += walk(root), t);
  printf("tree_walk %lld %ld\n", t, 2 * next + 1); /* nodes + null children */

  int *a = malloc(sizeof(int) * nsort), *b = malloc(sizeof(int) * nsort);
  unsigned s = 12345;
  for (int i = 0; i < nsort; i++)
    a[i] = (int)(s = s * 1103515245u + 12345u);
  BEST_OF(reps, sort_kernel(b, a, nsort, sorts), t);
  printf("qsort %lld %d\n", t, sorts);
  return (int)(acc & 1) * 0;
}
