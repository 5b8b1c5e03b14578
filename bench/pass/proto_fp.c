/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proto_fp.c - proto.c's kernels for a traced copy that is found by
 * unwinding (issue #15, candidate (b) and the "unwind within instrumented
 * code" idea): built with -fno-omit-frame-pointer (bench/pass/run.sh), so
 * each frame is linked by %rbp, and
 *   *_fp      no other work: what the frame pointer alone costs;
 *   *_fpsite  the site of the call in progress stored into a slot of the
 *             frame (a fixed offset from the frame pointer a capture would
 *             read), before each call that may reach an allocation; no TLS.
 * Capture would walk the %rbp chain of the traced copies and hop, at the
 * boundaries where uninstrumented code was entered, over records kept by
 * the untraced entries (docs/performance.md); that part is not modelled.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tree.h"

#define NOINLINE __attribute__((noinline))

extern volatile int proto_trigger;
extern void *volatile proto_sink;
extern uint64_t proto_leaves;
static const char fib_site[] = "fib", walk_site[] = "walk";
static const char tree_site1[] = "tree1", tree_site2[] = "tree2";

NOINLINE long fib_fp(int n) {
  long r = 0;
  for (; n >= 2; n -= 2)
    r += fib_fp(n - 1);
  if (n == proto_trigger)
    proto_sink = malloc(16);
  return r + n;
}

NOINLINE long fib_fpsite(int n) {
  long r = 0;
  if (n >= 2) {
    const void *volatile slot = fib_site;
    (void)slot;
    for (; n >= 2; n -= 2)
      r += fib_fpsite(n - 1);
  }
  if (n == proto_trigger)
    proto_sink = malloc(16);
  return r + n;
}

NOINLINE long walk_fp(const struct node *t) {
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == proto_trigger)
      proto_sink = malloc(8);
    r += t->v + walk_fp(t->l);
  }
  return r;
}

NOINLINE long walk_fpsite(const struct node *t) {
  if (!t)
    return 0;
  const void *volatile slot = walk_site;
  (void)slot;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == proto_trigger)
      proto_sink = malloc(8);
    r += t->v + walk_fpsite(t->l);
  }
  return r;
}

#define TREE_LEAF(x)                                                           \
  do {                                                                         \
    if (proto_leaves++ % 65536 == 0)                                           \
      proto_sink = malloc(32 + (size_t)((x) & 63));                            \
    return (x) * 0x9E3779B97F4A7C15ull >> 7;                                   \
  } while (0)

NOINLINE uint64_t tree_fp(unsigned depth, uint64_t x) {
  if (depth == 0)
    TREE_LEAF(x);
  uint64_t a = tree_fp(depth - 1, 2 * x);
  uint64_t b = tree_fp(depth - 1, 2 * x + 1);
  return (a ^ (b << 1)) + depth;
}

NOINLINE uint64_t tree_fpsite(unsigned depth, uint64_t x) {
  if (depth == 0)
    TREE_LEAF(x);
  const void *volatile slot = tree_site1;
  uint64_t a = tree_fpsite(depth - 1, 2 * x);
  slot = tree_site2;
  (void)slot;
  uint64_t b = tree_fpsite(depth - 1, 2 * x + 1);
  return (a ^ (b << 1)) + depth;
}
