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

# The runtime's termination handlers read as the default action: a
# program that asks sees SIG_DFL (CPython decides on it: its SIGINT
# handler, signal.getsignal), and a raised SIGTERM still dumps.
cat >query.c <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
static void *volatile kept;
int main(void) {
  kept = malloc(5555); // QUERY_KEPT
  const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGABRT};
  for (int i = 0; i < 4; i++) {
    struct sigaction sa;
    sigaction(sigs[i], NULL, &sa);
    printf("%d:%s ", sigs[i], sa.sa_handler == SIG_DFL && sa.sa_flags == 0 ? "default" : "handled");
  }
  printf("\n");
  fflush(stdout);
  raise(SIGTERM);
  return 0;
}
C
"$TMCC" -O1 -g query.c -o query
rm -f query.tmd
rc=0
out=$(TRACEMALLOC_DUMP=query.tmd env --default-signal=INT ./query) || rc=$?
expect_eq "sigaction shows the default action" \
  "15:default 2:default 1:default 6:default " "$out"
expect_eq "raise(SIGTERM): status 143" 143 "$rc"
expect_match "raise(SIGTERM): the exit dump" "query\.c:$(grep -n QUERY_KEPT query.c | cut -d: -f1): size=5555 B" \
  "$("$TM_CLI" stats query.tmd)"
if command -v python3 >/dev/null; then
  ask='import signal; print(signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))'
  want=$(env -u TRACEMALLOC --default-signal=INT python3 -c "$ask")
  expect_match "CPython alone: KeyboardInterrupt" "^<built-in function default_int_handler> " "$want"
  expect_eq "CPython under LD_PRELOAD: the same handlers" "$want" \
    "$(LD_PRELOAD="$TM_LIBDIR/libtracemalloc.so" TRACEMALLOC_DUMP=py.tmd \
      env --default-signal=INT python3 -c "$ask")"
fi

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
