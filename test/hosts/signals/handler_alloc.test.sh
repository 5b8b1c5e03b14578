#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# An allocation made in a signal handler is traced, or counted as dropped,
# never silently lost, even when the signal interrupts the runtime itself
# (the thread allocates and frees in a loop while a second thread sends it
# SIGUSR1, 2048 times, each handler keeping one block): at exit, the traces
# at the handler's line + the dropped count == the handler's allocations.
source "$TM_HOSTS/lib.sh"

cat > sig.c <<'EOF'
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <tracemalloc.h>

#define SIGNALS 2048

static void *kept[SIGNALS];
static atomic_int handled;
static atomic_int done;
static pthread_t target;
static void *volatile sink;

static int free_mode; // every other handler frees the previous block

static void on_signal(int sig) {
  (void)sig;
  int n = atomic_load(&handled);
  kept[n] = malloc(200);
  if (free_mode && n % 2 == 1) {
    free(kept[n - 1]);
    kept[n - 1] = NULL;
  }
  atomic_store(&handled, n + 1);
}

static void *sender(void *arg) {
  (void)arg;
  for (int i = 0; i < SIGNALS; i++) {
    pthread_kill(target, SIGUSR1);
    while (atomic_load(&handled) == i) // one signal at a time: none merge
      sched_yield();
  }
  atomic_store(&done, 1);
  return NULL;
}

int main(int argc, char **argv) {
  (void)argv;
  free_mode = argc > 1;
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  target = pthread_self();
  pthread_t t;
  pthread_create(&t, NULL, sender, NULL);
  unsigned long loops = 0;
  while (!atomic_load(&done)) {
    sink = malloc(32); // volatile: the pair is not optimised away
    free(sink);
    loops++;
  }
  pthread_join(t, NULL);
  int failed = 0;
  for (int i = free_mode; i < SIGNALS; i += 1 + free_mode)
    failed += kept[i] == NULL;
  printf("handled %d failed %d loops %lu dropped %llu\n", atomic_load(&handled),
         failed, loops, (unsigned long long)tm_get_dropped_traces());
  return 0;
}
EOF
"$TMCC" -O1 -g -I"$TM_INCDIR" -pthread sig.c -o sig
handler_line=$(grep -n 'kept\[n\] = malloc(200)' sig.c | cut -d: -f1)

# nframe 1, every block kept: traced + dropped == 2048, exactly.
out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=keep.tmd ./sig)
echo "$out"
expect_match "every signal handled, every block allocated" \
  "^handled 2048 failed 0 " "$out"
top=$("$TM_CLI" top keep.tmd)
dropped=$(sed -nE 's/^Traces: [0-9]+ \(dropped: ([0-9]+)\).*/\1/p' <<<"$top")
traced=$(sed -nE "s/.*sig\.c:$handler_line: .*count=([0-9]+),.*/\1/p" <<<"$top")
echo "traced at sig.c:$handler_line: ${traced:-0}, dropped: $dropped"
expect_eq "traced + dropped == handler allocations" 2048 \
  $(( ${traced:-0} + dropped ))

# nframe 25, handlers free every other block (deferred frees too): the 1024
# live blocks are traced (+ dropped allocations), the freed ones are gone.
out=$(TRACEMALLOC=25 TRACEMALLOC_DUMP=free.tmd ./sig free)
echo "$out"
expect_match "every signal handled (free mode)" "^handled 2048 failed 0 " "$out"
top=$("$TM_CLI" top free.tmd)
dropped=$(sed -nE 's/^Traces: [0-9]+ \(dropped: ([0-9]+)\).*/\1/p' <<<"$top")
traced=$(sed -nE "s/.*sig\.c:$handler_line: .*count=([0-9]+),.*/\1/p" <<<"$top")
echo "traced at sig.c:$handler_line: ${traced:-0}, dropped: $dropped"
if (( dropped == 0 )); then
  expect_eq "no drop: the 1024 live blocks exactly" 1024 "${traced:-0}"
else
  (( ${traced:-0} <= 1024 && ${traced:-0} + dropped >= 1024 )) ||
    fail "traced ${traced:-0} + dropped $dropped does not account for 1024 live blocks"
fi
