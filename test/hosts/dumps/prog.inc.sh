# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Shared by the dumps/*.test.sh scripts (sourced after lib.sh): builds
# ./prog, an instrumented program that keeps 3 blocks of 4321 bytes
# allocated at prog.c:8 until exit (and, with an argument N, N more blocks
# of 16..4111 bytes at prog.c:10, never freed), and prints its pid.
cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  void *keep[3], **list = NULL;
  for (int i = 0; i < 3; i++)
    keep[i] = malloc(4321);
  for (long i = 0, n = argc > 1 ? atol(argv[1]) : 0; i < n; i++) {
    void **p = malloc(16 + (size_t)i % 4096);
    *p = list, list = p; // kept: a chain the optimiser cannot drop
  }
  printf("pid %ld %p\n", (long)getpid(), (void *)list);
  return keep[2] == NULL;
}
C
"$TMCC" -O1 prog.c -o prog

# check_dump WHAT FILE: FILE is a dump of prog whose prog.c:8 line holds
# the three 4321-byte blocks.
check_dump() {
  local stats
  stats=$("$TM_CLI" stats --key lineno "$2") || fail "$1: cannot read $2"
  expect_match "$1" "prog\.c:8: size=12\.7 KiB, count=3" "$stats"
}
