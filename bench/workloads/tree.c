/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * tree - a synthetic program with a large live set (issue #14): builds a
 * binary tree of N malloc'ed nodes of 24-80 bytes, walks it, frees every
 * node, ROUNDS times. The frees go in allocation order ("alloc": the order
 * a table laid out like the heap would see them) or in a random order
 * ("random": every free lands somewhere else in memory).
 *
 *   tree [NODES [alloc|random [ROUNDS]]]     default 2000000 alloc 1
 *
 * Prints a checksum that does not depend on the allocator or on addresses,
 * so every build (plain, tmcc, ASan, ...) prints the same line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
  struct node *kid[2];
  uint64_t value;
  unsigned char pad[]; /* 0..56 bytes: sizes spread over 24..80 */
};

/* xorshift64 with fixed seeds: the same sizes and order in every run. Two
 * streams, so that the node sizes do not depend on the free order. */
static uint64_t next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Recursive on purpose: a real tree walk is a call per node, and in a tmcc
 * build that is a shadow-stack frame per node. */
static uint64_t walk(const struct node *n, unsigned depth) {
  if (!n)
    return 0;
  uint64_t h = n->value * 31 + depth;
  h ^= walk(n->kid[0], depth + 1);
  h += walk(n->kid[1], depth + 1) * 7;
  return h;
}

int main(int argc, char **argv) {
  size_t nodes = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
  const char *order = argc > 2 ? argv[2] : "alloc";
  int rounds = argc > 3 ? atoi(argv[3]) : 1;
  int random_order = strcmp(order, "random") == 0;
  if (nodes == 0 || rounds <= 0 || (!random_order && strcmp(order, "alloc"))) {
    fprintf(stderr, "usage: tree [NODES [alloc|random [ROUNDS]]]\n");
    return 2;
  }
  struct node **all = malloc(nodes * sizeof *all);
  if (!all) {
    perror("tree");
    return 1;
  }
  uint64_t sizes = 0x9E3779B97F4A7C15ull, shuffle = 0x2545F4914F6CDD1Dull;
  uint64_t sum = 0;
  for (int r = 0; r < rounds; r++) {
    /* Node i's children are 2i+1 and 2i+2: allocated parent first. */
    for (size_t i = 0; i < nodes; i++) {
      size_t extra = (size_t)(next(&sizes) % 57);
      struct node *n = malloc(sizeof *n + extra);
      if (!n) {
        perror("tree");
        return 1;
      }
      n->kid[0] = n->kid[1] = NULL;
      n->value = i ^ extra;
      if (extra)
        n->pad[extra - 1] = (unsigned char)i;
      all[i] = n;
      if (i)
        all[(i - 1) / 2]->kid[(i - 1) % 2] = n;
    }
    sum += walk(all[0], 0);
    if (random_order)
      for (size_t i = nodes - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)(next(&shuffle) % (i + 1));
        struct node *t = all[i];
        all[i] = all[j];
        all[j] = t;
      }
    for (size_t i = 0; i < nodes; i++)
      free(all[i]);
  }
  free(all);
  printf("tree %zu %s %d: %016llx\n", nodes, order, rounds,
         (unsigned long long)sum);
  return 0;
}
