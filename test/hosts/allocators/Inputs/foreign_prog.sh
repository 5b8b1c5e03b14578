# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Sourced by the jemalloc, tcmalloc and own-family tests: writes prog.c,
# which checks with OWNS(p) (defined by the test in owns.h, from the
# allocator's own API) that every block it gets, from instrumented code and
# from libc, is that allocator's, and keeps two instrumented blocks alive
# for the dump. Where owns.h also defines FREES_SEEN() (the allocator
# counts its frees), every free, fclose's included, must reach it.
# Sets LINE_MALLOC, LINE_MEMALIGN, LINE_STDOUT (printf's buffer, made by
# libc: traced at that line only when our malloc is the one in effect).
cat > prog.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "owns.h"

static void theirs(const char *what, void *p) {
  if (!OWNS(p)) {
    fprintf(stderr, "NOT THE ALLOCATOR'S: %s\n", what);
    exit(3);
  }
}

/* One free; where the allocator counts its frees, it must see this one. */
static void free_one(const char *what, void *p) {
#ifdef FREES_SEEN
  long before = FREES_SEEN();
#endif
  free(p);
#ifdef FREES_SEEN
  if (FREES_SEEN() != before + 1) {
    fprintf(stderr, "FREE NOT SEEN: %s\n", what);
    exit(4);
  }
#endif
}

int main(int argc, char **argv) {
  (void)argc;
  char *a = malloc(100);
  void *q = NULL;
  if (posix_memalign(&q, 64, 200) != 0 || ((unsigned long)q & 63) != 0)
    return 2;
  char *d = strdup("hello");
  char *z = calloc(3, 10);
  theirs("malloc", a), theirs("posix_memalign", q), theirs("strdup", d);
  theirs("calloc", z);
  z = realloc(z, 3000);
  theirs("realloc", z);
  char *s = NULL;
  if (asprintf(&s, "x=%d", 42) < 0)
    return 2;
  theirs("asprintf", s);
  free_one("asprintf", s);
  FILE *f = fopen(argv[0], "r");
  if (f == NULL)
    return 2;
  theirs("fopen", f);
  char *line = NULL;
  size_t cap = 0;
  if (getline(&line, &cap, f) < 0)
    return 2;
  theirs("getline", line);
  free_one("getline", line);
#ifdef FREES_SEEN
  long before = FREES_SEEN();
#endif
  fclose(f);
#ifdef FREES_SEEN
  if (FREES_SEEN() <= before)
    return 5; /* fclose frees the FILE that fopen made */
#endif
  free_one("strdup", d);
  free_one("realloc", z);
  printf("all blocks theirs\n");
  return 0;
}
C
LINE_MALLOC=$(grep -n 'char \*a = malloc(100)' prog.c | cut -d: -f1)
LINE_MEMALIGN=$(grep -n 'posix_memalign(&q, 64, 200)' prog.c | cut -d: -f1)
LINE_STDOUT=$(grep -n 'printf("all blocks theirs' prog.c | cut -d: -f1)

# check_run WHAT LIBC_TRACED(0/1) CMD...: run with tracing off and on.
check_run() {
  local what=$1 libc=$2 out stats
  shift 2
  out=$("$@" 2>&1) || fail "$what, tracing off: exit $?: $out"
  expect_eq "$what, tracing off" "all blocks theirs" "$out"
  out=$(TRACEMALLOC=5 TRACEMALLOC_DUMP=$PWD/t.tmd "$@" 2>&1) ||
    fail "$what, tracing on: exit $?: $out"
  expect_eq "$what, tracing on" "all blocks theirs" "$out"
  stats=$("$TM_CLI" stats t.tmd)
  expect_match "$what: malloc traced" "prog.c:$LINE_MALLOC: size=100 B, count=1" "$stats"
  expect_match "$what: posix_memalign traced" "prog.c:$LINE_MEMALIGN: size=200 B, count=1" "$stats"
  expect_no_match "$what: freed blocks untraced" "size=(6|3000) B" "$stats"
  if [[ $libc == 1 ]]; then
    expect_match "$what: libc's stdout buffer traced" "prog.c:$LINE_STDOUT: size=[0-9]+ B, count=1" "$stats"
  fi
  rm -f t.tmd
}
