# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A program that defines the whole malloc family (in its own file, and in a
# static library) links with the static and the shared runtime and runs with
# tracing off and on. Every block, from instrumented code and from libc
# (asprintf, strdup, getline, fopen), is the program's allocator's, every
# free of one reaches it, no foreign pointer ever does (own_alloc.c aborts
# on one), and the instrumented allocations are traced at their lines.
source "$TM_HOSTS/lib.sh"
cp "$TM_HOSTS/allocators/Inputs/own_alloc.c" "$TM_HOSTS/allocators/Inputs/own.h" .
cat > owns.h <<'C'
#include "own.h"
#define OWNS(p) own_contains(p)
#define FREES_SEEN() own_freed_count()
C
source "$TM_HOSTS/allocators/Inputs/foreign_prog.sh"

# The program's malloc is the one in effect, so libc's own blocks (printf's
# buffer) are the allocator's but not traced: check_run's second argument 0.
for rt in static shared; do
  # The allocator as a file of the program (built with the pass too).
  TMCC_RUNTIME=$rt "$TMCC" -O1 -DOWN_FULL prog.c own_alloc.c -o "obj_$rt"
  check_run "allocator in a file, $rt runtime" 0 ./"obj_$rt"
  # The allocator in a static library built without the pass.
  "$TM_C_COMPILER" -O1 -DOWN_FULL -c own_alloc.c -o own_lib.o
  rm -f libown.a && ar rcs libown.a own_lib.o
  TMCC_RUNTIME=$rt "$TMCC" -O1 prog.c -L. -lown -o "lib_$rt"
  check_run "allocator in a static library, $rt runtime" 0 ./"lib_$rt"
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
