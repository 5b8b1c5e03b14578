/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * recursion - call-heavy code that can reach an allocation but rarely does
 * (issue #15): a binary call tree of depth DEPTH whose leaves allocate once
 * per 65,536 leaf calls, plus LINEAR linear recursions 10,000 calls deep
 * whose bottom allocates once per 65,536 bottoms. At the default size:
 * 2^29 - 1 + 20,000 x 10,001 = 7.4e8 calls and 4,097 allocations.
 *
 *   recursion [DEPTH [LINEAR]]     default 28 20000
 *
 * Every function is noinline and none of the recursions is a tail call, so
 * the calls stay calls at -O2 (the point of the benchmark is their cost).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define EVERY 65536 /* calls between two allocations */
#define LINEAR_DEPTH 10000

static void **kept;
static size_t nkept, capkept;
static uint64_t leaves, bottoms;

static __attribute__((noinline)) void keep(size_t size) {
  if (nkept == capkept) {
    capkept = capkept ? capkept * 2 : 1024;
    void **k = realloc(kept, capkept * sizeof *kept);
    if (!k) {
      perror("recursion");
      exit(1);
    }
    kept = k;
  }
  char *p = malloc(size);
  if (!p) {
    perror("recursion");
    exit(1);
  }
  p[0] = (char)size;
  kept[nkept++] = p;
}

static __attribute__((noinline)) uint64_t tree(unsigned depth, uint64_t x) {
  if (depth == 0) {
    if (leaves++ % EVERY == 0)
      keep(32 + (size_t)(x & 63));
    return x * 0x9E3779B97F4A7C15ull >> 7;
  }
  uint64_t a = tree(depth - 1, 2 * x);
  uint64_t b = tree(depth - 1, 2 * x + 1);
  return (a ^ (b << 1)) + depth;
}

static __attribute__((noinline)) uint64_t linear(unsigned n, uint64_t x) {
  if (n == 0) {
    if (bottoms++ % EVERY == 0)
      keep(48);
    return x;
  }
  uint64_t r = linear(n - 1, x + n);
  return r * 3 + (n & 7); /* not an accumulator: no tail recursion */
}

int main(int argc, char **argv) {
  unsigned depth = argc > 1 ? (unsigned)atoi(argv[1]) : 28;
  unsigned nlinear = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
  if (depth > 40) {
    fprintf(stderr, "usage: recursion [DEPTH (0-40) [LINEAR]]\n");
    return 2;
  }
  uint64_t h = tree(depth, 1);
  for (unsigned i = 0; i < nlinear; i++)
    h += linear(LINEAR_DEPTH, i);
  printf("recursion %u %u: %016llx, %zu allocations\n", depth, nlinear,
         (unsigned long long)h, nkept);
  for (size_t i = 0; i < nkept; i++)
    free(kept[i]);
  free(kept);
  return 0;
}
