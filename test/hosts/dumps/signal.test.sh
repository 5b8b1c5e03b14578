# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# TRACEMALLOC_DUMP_SIGNAL: each signal writes a dump while the program runs
# (4 threads allocating all along), every one loadable; the README's
# `kill -USR2 PID; tracemalloc diff before after` with no code change; no
# %n: each dump replaces the last one, atomically; a handler the program
# installs itself wins; invalid values warn once and change nothing; a
# forked child dumps on its own signal.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/dumps/server.inc.sh"

# Five dumps on SIGUSR2, one at a time, while the threads allocate; SIGUSR1
# stops the server: exit 0, and the exit dump is the next %n.
export TRACEMALLOC=5 TRACEMALLOC_DUMP=d-%n.tmd TRACEMALLOC_DUMP_SIGNAL=SIGUSR2
start_server
for n in 0 1 2 3 4; do
  kill -USR2 "$SERVER_PID"
  wait_for "dump $n written" test -e "d-$n.tmd"
done
kill -USR1 "$SERVER_PID"
server_wait
expect_eq "the server ends normally" 0 "$SERVER_STATUS"
expect_match "... after its threads stopped" '^bye' "$(cat server.out)"
expect_eq "no warning" "" "$(cat server.err)"
expect_eq "five signal dumps and the exit dump" \
  "d-0.tmd d-1.tmd d-2.tmd d-3.tmd d-4.tmd d-5.tmd" "$(echo d-*)"
check_loadable "the exit dump loads" d-5.tmd
for n in 0 1 2 3 4; do
  check_loadable "dump $n loads" "d-$n.tmd"
  expect_match "dump $n saw the threads allocate" "server\.c:$WORK_LINE: " \
    "$("$TM_CLI" stats "d-$n.tmd")"
done
rm -f d-*

# A number and a name without SIG work as well; diff two dumps taken
# around 100 more allocations.
TRACEMALLOC_DUMP=before-after-%n.tmd TRACEMALLOC_DUMP_SIGNAL=12 start_server grow 100
kill -USR2 "$SERVER_PID"
wait_for "the 'before' dump" test -e before-after-0.tmd
kill -USR1 "$SERVER_PID"
wait_for "the server grew" grep -q '^grown 1' server.out
kill -USR2 "$SERVER_PID"
wait_for "the 'after' dump" test -e before-after-1.tmd
kill -TERM "$SERVER_PID"
server_wait
expect_eq "SIGTERM still ends it with 143" 143 "$SERVER_STATUS"
diff=$("$TM_CLI" diff before-after-0.tmd before-after-1.tmd)
expect_match "diff: the 100 new blocks" \
  "server\.c:$GROW_LINE: size=97\.7 KiB \(\+97\.7 KiB\), count=100 \(\+100\), average=1000 B" \
  "$diff"
expect_match "diff: the kept blocks did not change" \
  "server\.c:$KEEP_LINE: size=12\.7 KiB \(\+0 B\), count=3 \(\+0\)" "$diff"

# No %n: one file, replaced by each dump (no temporary left behind).
identity() { stat -c '%i %.9Y %s' last.tmd 2>/dev/null || echo none; }
replaced() { [[ $(identity) != "$before" ]]; }
TRACEMALLOC_DUMP=last.tmd TRACEMALLOC_DUMP_SIGNAL=usr2 start_server
for _ in 1 2 3; do
  before=$(identity)
  kill -USR2 "$SERVER_PID"
  wait_for "a new last.tmd" replaced
  check_loadable "last.tmd replaced whole" last.tmd
done
kill -USR1 "$SERVER_PID"
server_wait
expect_eq "the server ends normally (no %n)" 0 "$SERVER_STATUS"
expect_eq "only last.tmd" "./last.tmd" "$(find . -maxdepth 1 -name '*last*')"

# The program's own SIGUSR2 handler (installed after the runtime's start-up)
# wins: SIGUSR2 stops it, and no signal dump is written.
TRACEMALLOC_DUMP=own-%n.tmd start_server own
kill -USR2 "$SERVER_PID"
server_wait
expect_eq "the program's handler ran" 0 "$SERVER_STATUS"
expect_eq "only the exit dump" "own-0.tmd" "$(echo own-*)"

# Invalid values: one warning line naming the variable and the value; the
# program runs as without it (its exit dump as usual).
for bad in SIGNOPE 0 65 SIGKILL SEGV 32 'USR2 ' ''; do
  rm -f bad.tmd
  out=$(TRACEMALLOC_DUMP=bad.tmd TRACEMALLOC_DUMP_SIGNAL="$bad" \
    ./server own 2>&1 >/dev/null &
    pid=$!
    sleep 0.3
    kill -USR1 "$pid"
    wait "$pid" && echo "status 0")
  if [[ -z $bad ]]; then
    expect_eq "empty TRACEMALLOC_DUMP_SIGNAL: off, silently" "status 0" "$out"
  else
    expect_match "TRACEMALLOC_DUMP_SIGNAL=$bad: warns" \
      "^tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=$bad: .*, no signal dumps$" \
      "$out"
    expect_eq "TRACEMALLOC_DUMP_SIGNAL=$bad: one line, then a normal run" 2 \
      "$(wc -l <<<"$out")"
    expect_match "TRACEMALLOC_DUMP_SIGNAL=$bad: the exit code is unchanged" \
      "^status 0$" "$out"
  fi
  check_loadable "TRACEMALLOC_DUMP_SIGNAL=$bad: the exit dump" bad.tmd
done

# Without TRACEMALLOC_DUMP there is nowhere to write: one warning, which
# says what the signal will do (no handler: its default action).
out=$(env -u TRACEMALLOC_DUMP TRACEMALLOC_DUMP_SIGNAL=USR2 ./server own 2>&1 >/dev/null &
  pid=$!
  sleep 0.3
  kill -USR1 "$pid"
  wait "$pid" && echo "status 0")
expect_eq "no TRACEMALLOC_DUMP: one warning" \
  "tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=USR2: TRACEMALLOC_DUMP is not set, no dumps (the signal keeps its default action: it ends the program)
status 0" "$out"

# A forked child has a dump thread of its own: SIGUSR2 sent to the child
# writes the child's dump (%p: its pid), the parent's stays untouched.
cat >forker.c <<'C'
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;
static void *volatile keep[2]; // volatile: the blocks stay
static void on_stop(int sig) {
  (void)sig;
  atomic_store(&stop, 1);
}
int main(void) {
  signal(SIGUSR1, on_stop);
  keep[0] = malloc(111);
  pid_t child = fork();
  if (child == 0) {
    keep[1] = malloc(2222); // CHILD_LINE
    printf("child %ld\n", (long)getpid());
    fflush(stdout);
    while (!atomic_load(&stop))
      pause();
    return 0;
  }
  int status;
  waitpid(child, &status, 0);
  printf("child status %d\n", status);
  return 0;
}
C
"$TMCC" -O1 -g forker.c -o forker
TRACEMALLOC_DUMP=fork-%p-%n.tmd TRACEMALLOC_DUMP_SIGNAL=USR2 ./forker >forker.out &
SERVER_PID=$!
wait_for "the child runs" grep -q '^child [0-9]' forker.out
child=$(sed -n 's/^child \([0-9]*\)$/\1/p' forker.out)
kill -USR2 "$child"
wait_for "the child's signal dump" test -e "fork-$child-0.tmd"
kill -USR1 "$child"
server_wait
expect_eq "parent and child end normally" "0 child status 0" \
  "$SERVER_STATUS $(grep status forker.out)"
child_line=$(grep -n CHILD_LINE forker.c | cut -d: -f1)
expect_match "the child's dump has its block" "forker\.c:$child_line: size=2222 B, count=1" \
  "$("$TM_CLI" stats "fork-$child-0.tmd")"
expect_eq "the child's signal and exit dumps, the parent's exit dump" \
  "$(printf '%s\n' "fork-$child-0.tmd" "fork-$child-1.tmd" "fork-$SERVER_PID-0.tmd" | sort)" \
  "$(printf '%s\n' fork-*.tmd | sort)"
