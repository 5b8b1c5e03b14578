# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The exit dump on the terminations that skip atexit: SIGTERM, SIGINT and
# SIGHUP with their default action, and abort(), while 4 threads allocate.
# The dump is written and loadable, and the program ends exactly as it would
# have: same signal (the shell's 128+N status), same core-dump behaviour. An
# ignored signal stays ignored.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/dumps/server.inc.sh"
ulimit -c 0 # abort's core dump: not here

export TRACEMALLOC=5
for case in TERM:143 INT:130 HUP:129 TERM:143 TERM:143; do
  sig=${case%:*} status=${case#*:}
  rm -f exit.tmd
  TRACEMALLOC_DUMP=exit.tmd start_server
  kill -"$sig" "$SERVER_PID"
  server_wait
  expect_eq "SIG$sig: status $status, as without tracemalloc" "$status" "$SERVER_STATUS"
  expect_eq "SIG$sig: no warning" "" "$(cat server.err)"
  check_loadable "SIG$sig: the exit dump" exit.tmd
done

# abort(): SIGABRT, status 134.
TRACEMALLOC_DUMP=abort-%n.tmd start_server abort
server_wait
expect_eq "abort(): status 134" 134 "$SERVER_STATUS"
check_loadable "abort(): the exit dump" abort-0.tmd
expect_match "abort(): the threads were allocating" "server\.c:$WORK_LINE: " \
  "$("$TM_CLI" stats abort-0.tmd)"

# A single-threaded program (no dump thread: the dump is written by a
# child process): allocating without pause, so the signal often lands
# while the runtime records (the redelivery path), 8 times each way; the
# dump's process id is the program's (%p), and nothing else is left.
cat >single.c <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *volatile sink, *volatile kept;
int main(int argc, char **argv) {
  kept = malloc(7777); // KEPT
  printf("ready %ld\n", (long)getpid());
  fflush(stdout);
  if (argc > 1)
    abort();
  for (unsigned long i = 0;; i++) {
    sink = malloc(16 + i % 200);
    free(sink);
  }
}
C
"$TMCC" -O1 -g single.c -o single
kept_line=$(grep -n '// KEPT' single.c | cut -d: -f1)
for case in TERM:143 INT:130 HUP:129 TERM:143 INT:130 TERM:143 TERM:143 INT:130; do
  sig=${case%:*} status=${case#*:}
  rm -f single-*.tmd
  TRACEMALLOC_DUMP=single-%p.tmd env --default-signal=INT ./single >single.out 2>single.err &
  SERVER_PID=$!
  wait_for "single-threaded ready" grep -q '^ready' single.out
  sleep 0.05
  kill -"$sig" "$SERVER_PID"
  server_wait
  expect_eq "single-threaded, SIG$sig: status $status" "$status" "$SERVER_STATUS"
  expect_eq "single-threaded, SIG$sig: no warning" "" "$(cat single.err)"
  expect_eq "single-threaded, SIG$sig: one dump, with the program's pid" \
    "single-$SERVER_PID.tmd" "$(ls -A single-*.tmd)"
  expect_match "single-threaded, SIG$sig: the dump holds the kept block" \
    "single\.c:$kept_line: size=7777 B, count=1" "$("$TM_CLI" stats "single-$SERVER_PID.tmd")"
done
rm -f single-*.tmd
TRACEMALLOC_DUMP=single-%p.tmd ./single abort >single.out 2>single.err &
SERVER_PID=$!
server_wait
expect_eq "single-threaded abort(): status 134" 134 "$SERVER_STATUS"
check=$(ls -A single-*.tmd)
expect_eq "single-threaded abort(): one dump, with the program's pid" \
  "single-$SERVER_PID.tmd" "$check"
expect_match "single-threaded abort(): the dump holds the kept block" \
  "single\.c:$kept_line: size=7777 B, count=1" "$("$TM_CLI" stats "$check")"

# An ignored SIGTERM stays ignored (no handler of ours: no dump either).
rm -f exit.tmd
TRACEMALLOC_DUMP=exit.tmd env --ignore-signal=TERM ./server >server.out &
SERVER_PID=$!
wait_for "server ready" grep -q '^ready' server.out
kill -TERM "$SERVER_PID"
sleep 0.3
expect_eq "an ignored SIGTERM: still running, no dump" "running " \
  "$(kill -0 "$SERVER_PID" && echo running) $(ls exit.tmd 2>/dev/null || true)"
kill -USR1 "$SERVER_PID"
server_wait
expect_eq "an ignored SIGTERM: then a normal exit" 0 "$SERVER_STATUS"
check_loadable "an ignored SIGTERM: the normal exit dump" exit.tmd

# Same without tracemalloc: the statuses the checks above expect.
rm -f exit.tmd
env -u TRACEMALLOC -u TRACEMALLOC_DUMP ./server >server.out &
SERVER_PID=$!
wait_for "untraced server ready" grep -q '^ready' server.out
kill -TERM "$SERVER_PID"
server_wait
expect_eq "untraced: SIGTERM gives 143" 143 "$SERVER_STATUS"
