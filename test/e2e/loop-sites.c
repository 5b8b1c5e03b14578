// Allocation calls inside loops that also call functions: the shape in which
// the pass loads the hook's site from a constant instead of materialising it
// (so the backend cannot park it in a callee-saved register). The lines and
// tracebacks stay exact, and frees in a loop untrace their blocks.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include "Inputs/tm_test.h"

struct node {
  struct node *l, *r;
  long v;
  void *extra;
};

static volatile long trigger = 7;

// The tree_walk shape of bench/pass: -O2 turns the right recursion into a
// loop, the left one stays a call, the allocation is rarely taken.
NOINLINE long walk(struct node *t) {
  long s = 0;
  while (t) {
    if (t->v == trigger)
      t->extra = malloc(24);
    s += t->v + walk(t->l);
    t = t->r;
  }
  return s;
}

NOINLINE void fill(void **blocks, int n) {
  for (int i = 0; i < n; i++) {
    blocks[i] = malloc(100 + i);
    tmt_sink = blocks[i];
  }
}

NOINLINE void release(void **blocks, int n) {
  for (int i = 0; i < n; i++) {
    tmt_sink = blocks[i];
    free(blocks[i]);
  }
}

int main(void) {
  struct node n2 = {0, 0, 7, 0}, n1 = {0, &n2, 1, 0}, n0 = {&n1, 0, 0, 0};
  tmt_start(25);
  walk(&n0);
  tmt_print("walk", n2.extra);
  // CHECK-LABEL: walk: 3 frames
  // CHECK-NEXT: loop-sites.c:24 walk
  // CHECK-NEXT: loop-sites.c:25 walk
  // CHECK-NEXT: loop-sites.c:48 main

  void *blocks[8];
  fill(blocks, 8);
  tmt_print("fill", blocks[5]);
  // CHECK-LABEL: fill: 2 frames
  // CHECK-NEXT: loop-sites.c:33 fill
  // CHECK-NEXT: loop-sites.c:56 main

  size_t before, after, peak;
  tm_get_traced_memory(&before, &peak);
  release(blocks, 8);
  tm_get_traced_memory(&after, &peak);
  printf("released %zu\n", before - after);
  // 8 blocks of 100..107 bytes
  // CHECK: released 828
  tmt_print("gone", blocks[5]);
  // CHECK: gone: untraced
  free(n2.extra);
  return 0;
}
