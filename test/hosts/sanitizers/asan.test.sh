# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc/tmc++ -fsanitize=address: ASan keeps its malloc (the runtime variant
# libtracemalloc-asan leaves it alone), so overflows and use-after-free are
# still reported, and the blocks are still traced with their file:line.
source "$TM_HOSTS/lib.sh"

cat >prog.c <<'C'
#include <stdlib.h>
#include <string.h>
char *kept;
int main(int argc, char **argv) {
  kept = malloc(100);
  char *p = malloc(16);
  memset(kept, 1, 100);
  volatile int i = 16;
  if (argc > 1 && strcmp(argv[1], "hbo") == 0)
    return p[i];
  if (argc > 1 && strcmp(argv[1], "uaf") == 0) {
    free(p);
    return p[0];
  }
  free(p);
  return 0;
}
C
"$TMCC" -fsanitize=address -g -O1 -o prog prog.c

rc=0; out=$(./prog hbo 2>&1) || rc=$?
expect_eq "heap-buffer-overflow exit code" 1 "$rc"
expect_match "heap-buffer-overflow report" "ERROR: AddressSanitizer: heap-buffer-overflow" "$out"
expect_match "allocation site in the report" "in main .*prog\.c:6" "$out"

rc=0; out=$(TRACEMALLOC=1 ./prog uaf 2>&1) || rc=$?
expect_eq "use-after-free exit code (tracing)" 1 "$rc"
expect_match "use-after-free report (tracing)" "ERROR: AddressSanitizer: heap-use-after-free" "$out"

rc=0; out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=ok.tmd ./prog 2>&1) || rc=$?
expect_eq "clean run exit code" 0 "$rc"
expect_no_match "clean run has no report" "Sanitizer" "$out"
stats=$("$TM_CLI" stats ok.tmd)
expect_match "kept block traced at prog.c:5" "prog\.c:5: size=100 B, count=1, average=100 B" "$stats"
expect_no_match "freed block not traced" "prog\.c:6:" "$stats"

# The shared variant (libtracemalloc-asan.so), and a comma list.
TMCC_RUNTIME=shared "$TMCC" -fsanitize=address,undefined -g -O1 -o prog_so prog.c
rc=0; out=$(TRACEMALLOC=1 ./prog_so hbo 2>&1) || rc=$?
expect_eq "shared runtime: exit code" 1 "$rc"
expect_match "shared runtime: report" "ERROR: AddressSanitizer: heap-buffer-overflow" "$out"
rc=0; TRACEMALLOC=1 TRACEMALLOC_DUMP=so.tmd ./prog_so || rc=$?
expect_eq "shared runtime: clean exit code" 0 "$rc"
expect_match "shared runtime: traced" "prog\.c:5: size=100 B, count=1" "$("$TM_CLI" stats so.tmd)"

# tmc++: new[] overflow.
cat >prog.cc <<'C'
#include <cstring>
int *kept;
int main(int argc, char **) {
  kept = new int[10];
  int *a = new int[4];
  std::memset(kept, 0, 40);
  volatile int i = 4;
  int r = argc > 1 ? a[i] : 0;
  delete[] a;
  return r;
}
C
"$TMCXX" -fsanitize=address -g -O1 -o progxx prog.cc
rc=0; out=$(TRACEMALLOC=1 ./progxx x 2>&1) || rc=$?
expect_eq "C++ overflow exit code" 1 "$rc"
expect_match "C++ overflow report" "ERROR: AddressSanitizer: heap-buffer-overflow" "$out"
rc=0; TRACEMALLOC=1 TRACEMALLOC_DUMP=xx.tmd ./progxx || rc=$?
expect_eq "C++ clean exit code" 0 "$rc"
expect_match "C++ new[] traced at prog.cc:4" "prog\.cc:4: size=40 B, count=1" "$("$TM_CLI" stats xx.tmd)"

# Deep tracebacks under ASan's defaults: its use-after-return checking
# would move the shadow stack's frame records (locals) to its fake stack,
# where the capture does not follow them; tmcc turns it off, so the
# traceback holds every frame (before: leaf, then <unknown>).
cat >deep.c <<'C'
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) void *leaf(int n) { return malloc(n); }
__attribute__((noinline)) void *mid(int n) { void *p = leaf(n); printf("%p\n", p); return p; }
__attribute__((noinline)) void *top(int n) { void *p = mid(n + 1); return p; }
void *kept;
int main(void) { kept = top(100); return 0; }
C
"$TMCC" -fsanitize=address -O1 -o deep deep.c
rc=0; TRACEMALLOC=5 TRACEMALLOC_DUMP=deep.tmd ./deep >/dev/null || rc=$?
expect_eq "deep: clean exit code" 0 "$rc"
tb=$("$TM_CLI" traceback deep.tmd)
for f in leaf mid top main; do
  expect_match "deep: frame $f in the traceback" "in $f\$" "$tb"
done
