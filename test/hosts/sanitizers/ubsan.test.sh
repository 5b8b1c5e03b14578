# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# -fsanitize=undefined: UBSan does not own malloc, so the normal
# (interposing) runtime is linked and traces everything; UBSan's checks run.
# Combined with ASan (comma list) the ASan variant is linked and both
# sanitizers report; -fno-sanitize=address takes ASan out again.
source "$TM_HOSTS/lib.sh"

cat >prog.c <<'C'
#include <limits.h>
#include <stdlib.h>
#include <string.h>
char *kept;
int main(int argc, char **argv) {
  kept = strdup("uninstrumented strdup");
  char *p = malloc(16);
  volatile int big = INT_MAX;
  int r = big + argc; /* signed overflow: UBSan reports, continues */
  volatile int i = 16;
  if (argc > 1 && strcmp(argv[1], "hbo") == 0)
    r += p[i];
  free(p);
  return r == INT_MIN ? 0 : 5; /* wrapped (argc == 1) */
}
C

# UBSan alone: the normal runtime, which defines malloc in the program.
"$TMCC" -fsanitize=undefined -g -O0 -o prog prog.c
expect_match "normal runtime linked (its interposed malloc is in the program)" " t tm_interpose_malloc$" "$(nm prog)"
rc=0; out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=u.tmd ./prog 2>&1) || rc=$?
expect_eq "exit code" 0 "$rc"
expect_match "UBSan report" "prog\.c:9:[0-9]+: runtime error: signed integer overflow" "$out"
expect_match "uninstrumented strdup traced at its caller's line" \
  "prog\.c:6: size=22 B, count=1, average=22 B" "$("$TM_CLI" stats u.tmd)"

# -fsanitize=address,undefined: the ASan variant (ASan's malloc).
"$TMCC" -fsanitize=address,undefined -g -O0 -o prog_au prog.c
expect_no_match "ASan variant linked (malloc left to ASan)" " t tm_interpose_malloc$" "$(nm prog_au)"
rc=0; out=$(TRACEMALLOC=1 ./prog_au hbo 2>&1) || rc=$?
expect_eq "address,undefined: exit code" 1 "$rc"
expect_match "address,undefined: UBSan report" "prog\.c:9:[0-9]+: runtime error: signed integer overflow" "$out"
expect_match "address,undefined: ASan report" "ERROR: AddressSanitizer: heap-buffer-overflow" "$out"
rc=0; TRACEMALLOC=1 TRACEMALLOC_DUMP=au.tmd ./prog_au 2>/dev/null || rc=$?
expect_eq "address,undefined: clean exit code" 0 "$rc"
expect_match "address,undefined: traced" "prog\.c:6: size=22 B, count=1, average=22 B" \
  "$("$TM_CLI" stats au.tmd)"

# -fno-sanitize=address after it: back to the normal runtime.
"$TMCC" -fsanitize=address,undefined -fno-sanitize=address -g -O0 -o prog_u prog.c
expect_match "-fno-sanitize=address: normal runtime" " t tm_interpose_malloc$" "$(nm prog_u)"
rc=0; out=$(TRACEMALLOC=1 ./prog_u 2>&1) || rc=$?
expect_eq "-fno-sanitize=address: exit code" 0 "$rc"
expect_match "-fno-sanitize=address: UBSan report" "runtime error: signed integer overflow" "$out"
