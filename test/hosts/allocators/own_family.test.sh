# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A program that defines the whole malloc family (in its own file, and in a
# static library) links with the static and the shared runtime and runs with
# tracing off and on. Every block, from instrumented code and from libc
# (asprintf, strdup, getline, fopen), is the program's allocator's, every
# free of one reaches it, no foreign pointer ever does (own_alloc.c aborts
# on one), and the instrumented allocations are traced at their lines.
source "$TM_HOSTS/lib.sh"
cp "$TM_HOSTS/allocators/Inputs/own_alloc.c" "$TM_HOSTS/allocators/Inputs/own.h" .
cat > prog.c <<'C'
#define _GNU_SOURCE
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

/* One free, seen by the program's allocator. */
static void free_one(const char *what, void *p) {
  long before = own_freed_count();
  free(p);
  if (own_freed_count() != before + 1) {
    fprintf(stderr, "FREE NOT SEEN: %s\n", what);
    exit(4);
  }
}

int main(int argc, char **argv) {
  (void)argc;
  char *a = malloc(100);
  void *q = NULL;
  if (posix_memalign(&q, 64, 200) != 0 || ((unsigned long)q & 63) != 0)
    return 2;
  char *z = calloc(3, 10);
  char *d = strdup("hello");
  mine("malloc", a), mine("posix_memalign", q), mine("calloc", z);
  mine("strdup", d);
  z = realloc(z, 4000);
  mine("realloc", z);
  char *s = NULL;
  if (asprintf(&s, "x=%d", 42) < 0)
    return 2;
  mine("asprintf", s);
  free_one("asprintf", s);
  FILE *f = fopen(argv[0], "r");
  if (f == NULL)
    return 2;
  mine("fopen", f);
  char *line = NULL;
  size_t cap = 0;
  if (getline(&line, &cap, f) < 0)
    return 2;
  mine("getline", line);
  free_one("getline", line);
  long before = own_freed_count();
  fclose(f);
  if (own_freed_count() <= before)
    return 5; /* fclose frees the FILE the program's malloc made */
  free_one("strdup", d);
  free_one("realloc", z);
  printf("made %s, freed %s\n", own_made_count() >= 8 ? "all" : "too few",
         own_freed_count() >= 5 ? "all" : "too few");
  return 0;
}
C
LINE_MALLOC=$(grep -n 'char \*a = malloc(100)' prog.c | cut -d: -f1)
LINE_MEMALIGN=$(grep -n 'posix_memalign(&q, 64, 200)' prog.c | cut -d: -f1)

run_all() { # NAME: run ./NAME with tracing off and on, check the traces
  local out
  out=$(./"$1" 2>&1) || fail "$1, tracing off: exit $?: $out"
  expect_eq "$1, tracing off" "made all, freed all" "$out"
  out=$(TRACEMALLOC=5 TRACEMALLOC_DUMP=$1.tmd ./"$1" 2>&1) ||
    fail "$1, tracing on: exit $?: $out"
  expect_eq "$1, tracing on" "made all, freed all" "$out"
  local stats
  stats=$("$TM_CLI" stats "$1.tmd")
  expect_match "$1: malloc traced" "prog.c:$LINE_MALLOC: size=100 B, count=1" "$stats"
  expect_match "$1: posix_memalign traced" "prog.c:$LINE_MEMALIGN: size=200 B, count=1" "$stats"
  expect_no_match "$1: freed blocks untraced" "size=(6|4000) B" "$stats"
}

for rt in static shared; do
  # The allocator as a file of the program (built with the pass too).
  TMCC_RUNTIME=$rt "$TMCC" -O1 -DOWN_FULL prog.c own_alloc.c -o "obj_$rt"
  run_all "obj_$rt"
  # The allocator in a static library built without the pass.
  "$TM_C_COMPILER" -O1 -DOWN_FULL -c own_alloc.c -o own_lib.o
  rm -f libown.a && ar rcs libown.a own_lib.o
  TMCC_RUNTIME=$rt "$TMCC" -O1 prog.c -L. -lown -o "lib_$rt"
  run_all "lib_$rt"
done

# C++: operator new/delete (ours, on the real allocator) and libstdc++'s
# std::string reach the program's allocator too.
cat > cxx.cpp <<'CXX'
#include <cstdio>
#include <string>
extern "C" {
#include "own.h"
}
int main() {
  int *volatile p = new int[25];
  std::string *s = new std::string(200, 'x');
  std::printf("%d %d\n", own_contains(p), own_contains(s) && own_contains(s->data()));
  delete s;
  delete[] p;
  return 0;
}
CXX
for rt in static shared; do
  TMCC_RUNTIME=$rt "$TMCXX" -O1 cxx.cpp -L. -lown -o "cxx_$rt"
  out=$(./"cxx_$rt" 2>&1) || fail "C++, $rt runtime, tracing off: exit $?: $out"
  expect_eq "C++, $rt runtime, tracing off" "1 1" "$out"
  out=$(TRACEMALLOC=5 ./"cxx_$rt" 2>&1) || fail "C++, $rt runtime, tracing on: exit $?: $out"
  expect_eq "C++, $rt runtime, tracing on" "1 1" "$out"
done
