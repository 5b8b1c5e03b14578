# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc -static: static glibc's malloc wins over the runtime's weak one, so
# it is the real allocator; instrumented allocations are traced (in main
# and in a thread: pthread_create is wrapped there too) and libc's own
# calls go to glibc directly (untraced). It links, runs with tracing off
# and on, and the dump has the instrumented sites.
source "$TM_HOSTS/lib.sh"
[[ -e /usr/lib/x86_64-linux-gnu/libc.a || -n $(ls /usr/lib/*/libc.a 2>/dev/null) ]] ||
  fail "no static glibc (Debian: libc6-dev)"
cat > prog.c <<'C'
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile keep[3];

static void *work(void *arg) {
  keep[1] = malloc((size_t)arg);
  return NULL;
}

int main(void) {
  keep[0] = malloc(100);
  pthread_t t;
  if (pthread_create(&t, NULL, work, (void *)300) != 0)
    return 2;
  pthread_join(t, NULL);
  char *s = NULL;
  if (asprintf(&s, "x=%d", 42) < 0)
    return 2;
  free(s);
  keep[2] = strdup("hello");
  char *gone = strdup("freed");
  free(gone);
  printf("ok\n");
  return 0;
}
C
LINE_MAIN=$(grep -n 'keep\[0\] = malloc(100)' prog.c | cut -d: -f1)
LINE_THREAD=$(grep -n 'keep\[1\] = malloc' prog.c | cut -d: -f1)
LINE_STRDUP=$(grep -n 'keep\[2\] = strdup' prog.c | cut -d: -f1)
out=$("$TMCC" -O1 -static prog.c -o prog 2>&1) || fail "tmcc -static: $out"
expect_match "statically linked" "statically linked" "$(file prog)"
out=$(./prog 2>&1) || fail "tracing off: exit $?: $out"
expect_eq "tracing off" "ok" "$out"
out=$(TRACEMALLOC=5 TRACEMALLOC_DUMP=s.tmd ./prog 2>&1) || fail "tracing on: exit $?: $out"
expect_eq "tracing on" "ok" "$out"
stats=$("$TM_CLI" stats s.tmd)
expect_match "main's malloc traced" "prog.c:$LINE_MAIN: size=100 B, count=1" "$stats"
expect_match "the thread's malloc traced" "prog.c:$LINE_THREAD: size=300 B, count=1" "$stats"
expect_match "strdup traced" "prog.c:$LINE_STRDUP: size=6 B, count=1" "$stats"
expect_eq "only live instrumented blocks" 3 "$(grep -c . <<<"$stats")"
