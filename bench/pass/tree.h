/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tree.h - the binary tree of bench.c's and floor.c's tree walks. */
#ifndef BENCH_PASS_TREE_H
#define BENCH_PASS_TREE_H

#include <stdlib.h>

struct node {
  struct node *l, *r;
  long v;
};

/* A complete tree of the given depth, values numbered from *next. */
static struct node *build(int depth, long *next) {
  if (depth == 0)
    return NULL;
  struct node *n = malloc(sizeof *n);
  n->v = (*next)++;
  n->l = build(depth - 1, next);
  n->r = build(depth - 1, next);
  return n;
}

#endif
