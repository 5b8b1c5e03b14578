/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* floor.c - what the shadow stack's design costs on its own, below anything
 * the pass emits: hand-written variants of bench.c's fib_alloc and walk,
 * compiled by plain clang -O2 (bench/pass/run.sh).
 *
 *   *_plain   the kernel, an allocation reachable and never taken;
 *   *_depth   plus the depth alone: entry loads the thread's depth and
 *             stores depth + 1, exit stores the saved depth back.
 *   *_slot    plus everything ABI v2's shadow stack requires of every
 *             frame: the depth as above, and the site of its call stored
 *             into the frame's slot (ABI v2: one TLS struct, the ring
 *             indexed by depth & mask), once, at the push.
 * Both push at entry, as the simplest hand-written code would; the pass
 * does better on fib (no frame on the leaf path). The gap between *_slot
 * and what tmcc produces (bench.c) is what the pass's code generation still
 * costs beyond the design's minimum; *_depth shows what the slot costs.
 * Prints "name best_ns calls" per kernel. Usage: floor [scale]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tree.h"

#define NOINLINE __attribute__((noinline))
#define TLS_IE __attribute__((tls_model("initial-exec")))

extern _Thread_local uintptr_t floor_depth TLS_IE;

/* The ABI v2 shadow stack (tracemalloc_abi.h), under other names. */
struct floor_shadow {
  uintptr_t depth;
  const void **frames;
};
extern _Thread_local struct floor_shadow floor_shadow TLS_IE;
#define FLOOR_MASK ((1u << 20) - 1)
static const char fib_site[] = "fib", walk_site[] = "walk";

static volatile int trigger = -1; /* never matches */
static void *volatile sink;

/* The fib kernels are written in the shape clang -O2 gives bench.c's
 * fib_alloc before the pass runs (the second recursive call turned into a
 * loop), so that the two differ only by the shadow-stack work. */
NOINLINE long fib_plain(int n) {
  long r = 0;
  for (; n >= 2; n -= 2)
    r += fib_plain(n - 1);
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_depth(int n) {
  uintptr_t d = floor_depth;
  floor_depth = d + 1;
  long r = 0;
  for (; n >= 2; n -= 2)
    r += fib_depth(n - 1);
  if (n == trigger)
    sink = malloc(16);
  floor_depth = d;
  return r + n;
}

NOINLINE long fib_slot(int n) {
  struct floor_shadow *sh = &floor_shadow;
  uintptr_t d = sh->depth, own = d + 1;
  sh->depth = own;
  sh->frames[own & FLOOR_MASK] = fib_site;
  long r = 0;
  for (; n >= 2; n -= 2)
    r += fib_slot(n - 1);
  if (n == trigger)
    sink = malloc(16);
  sh->depth = d;
  return r + n;
}

/* Likewise walk: bench.c's walk with its last call turned into a loop. */
NOINLINE long walk_plain(const struct node *t) {
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_plain(t->l);
  }
  return r;
}

NOINLINE long walk_depth(const struct node *t) {
  if (!t)
    return 0;
  uintptr_t d = floor_depth;
  floor_depth = d + 1;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_depth(t->l);
  }
  floor_depth = d;
  return r;
}

NOINLINE long walk_slot(const struct node *t) {
  if (!t)
    return 0;
  struct floor_shadow *sh = &floor_shadow;
  uintptr_t d = sh->depth, own = d + 1;
  sh->depth = own;
  sh->frames[own & FLOOR_MASK] = walk_site;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_slot(t->l);
  }
  sh->depth = d;
  return r;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  int reps = scale ? 7 : 1, fibn = scale ? 32 : 22, depth = scale ? 20 : 14;
  long next = 0;
  struct node *root = build(depth, &next);
  long fib_calls = 0;
  for (long a = 0, b = 1, i = 0; i <= fibn; i++, fib_calls = 2 * a - 1) {
    long t = a + b;
    a = b;
    b = t;
  }
  struct {
    const char *name;
    long (*fib)(int);
    long (*walk)(const struct node *);
    long long fib_ns, walk_ns;
  } k[] = {{"plain", fib_plain, walk_plain, -1, -1},
           {"depth", fib_depth, walk_depth, -1, -1},
           {"slot", fib_slot, walk_slot, -1, -1}};
  enum { NK = sizeof k / sizeof k[0] };
  volatile long acc = 0;
  // Interleaved, best of `reps`: machine noise hits every variant alike.
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < NK; i++) {
      long long t0 = now_ns();
      acc += k[i].fib(fibn);
      long long t1 = now_ns();
      acc += k[i].walk(root);
      long long t2 = now_ns();
      if (k[i].fib_ns < 0 || t1 - t0 < k[i].fib_ns)
        k[i].fib_ns = t1 - t0;
      if (k[i].walk_ns < 0 || t2 - t1 < k[i].walk_ns)
        k[i].walk_ns = t2 - t1;
    }
  for (int i = 0; i < NK; i++)
    printf("fib_%s %lld %ld\n", k[i].name, k[i].fib_ns, fib_calls);
  for (int i = 0; i < NK; i++)
    printf("walk_%s %lld %ld\n", k[i].name, k[i].walk_ns, 2 * next + 1);
  return (int)(acc & 1) * 0;
}
