# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A program that defines only malloc and free (a partial set). The rule:
# the family is the program's; what it lacks is derived from what it has or
# fails, and never comes from another allocator. calloc = its malloc +
# zeroing; realloc(NULL, n) = its malloc; realloc of a block to another
# size fails with ENOMEM (the old size is unknown without
# malloc_usable_size) and leaves the block valid; memalign/posix_memalign
# up to max_align_t = its malloc, beyond that ENOMEM. Static and shared
# runtime, tracing off and on; own_alloc.c aborts on any foreign pointer.
source "$TM_HOSTS/lib.sh"
cp "$TM_HOSTS/allocators/Inputs/own_alloc.c" "$TM_HOSTS/allocators/Inputs/own.h" .
cat > prog.c <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "own.h"

static void mine(const char *what, const void *p) {
  if (!own_contains(p)) {
    fprintf(stderr, "NOT THE PROGRAM'S: %s\n", what);
    exit(3);
  }
}

int main(int argc, char **argv) {
  (void)argc;
  char *z = calloc(4, 25);
  mine("calloc", z);
  for (int i = 0; i < 100; i++)
    if (z[i] != 0)
      return 6;
  char *r = realloc(NULL, 50);
  mine("realloc(NULL)", r);
  errno = 0;
  char *r2 = realloc(r, 5000);
  printf("realloc grow: %s %s\n", r2 == NULL ? "NULL" : "block",
         errno == ENOMEM ? "ENOMEM" : "?");
  void *q = NULL;
  int rc16 = posix_memalign(&q, 16, 40);
  mine("posix_memalign 16", q);
  void *q64 = NULL;
  int rc64 = posix_memalign(&q64, 64, 40);
  printf("posix_memalign 16: %d, 64: %s\n", rc16, rc64 == ENOMEM ? "ENOMEM" : "?");
  char *s = NULL;
  if (asprintf(&s, "x=%d", 42) < 0)
    return 2;
  mine("asprintf", s);
  char *d = strdup("hello");
  mine("strdup", d);
  FILE *f = fopen(argv[0], "r");
  if (f == NULL)
    return 2;
  mine("fopen", f);
  char *line = NULL;
  size_t cap = 0;
  getline(&line, &cap, f); /* the first line of an ELF file is short */
  mine("getline", line);
  fclose(f);
  long before = own_freed_count();
  free(s), free(d), free(line), free(r), free(q);
  printf("freed %ld\n", own_freed_count() - before);
  return 0;
}
C
LINE_CALLOC=$(grep -n 'calloc(4, 25)' prog.c | cut -d: -f1)
want="realloc grow: NULL ENOMEM
posix_memalign 16: 0, 64: ENOMEM
freed 5"
for rt in static shared; do
  TMCC_RUNTIME=$rt "$TMCC" -O1 prog.c own_alloc.c -o "prog_$rt"
  out=$(./"prog_$rt" 2>&1) || fail "$rt runtime, tracing off: exit $?: $out"
  expect_eq "$rt runtime, tracing off" "$want" "$out"
  out=$(TRACEMALLOC=5 TRACEMALLOC_DUMP=$rt.tmd ./"prog_$rt" 2>&1) ||
    fail "$rt runtime, tracing on: exit $?: $out"
  expect_eq "$rt runtime, tracing on" "$want" "$out"
  stats=$("$TM_CLI" stats "$rt.tmd")
  expect_match "$rt runtime: calloc traced" "prog.c:$LINE_CALLOC: size=100 B, count=1" "$stats"
done
