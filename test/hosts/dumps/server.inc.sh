# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Shared by the dumps/*.test.sh scripts about dumps while running (sourced
# after lib.sh): builds ./server, an instrumented program that keeps 3
# blocks of 4321 bytes allocated at server.c:KEEP_LINE, then runs 4 threads
# that allocate and free without pause (server.c:WORK_LINE) until SIGUSR1
# asks them to stop; it prints "ready PID" once they run, and "bye" before
# a normal exit. Modes (first argument):
#   own    installs its own SIGUSR2 handler (after the runtime's start-up):
#          SIGUSR2 then stops it too
#   abort  calls abort() once the threads run
#   grow N allocates N more blocks of 1000 bytes at server.c:GROW_LINE
#          each time SIGUSR1 arrives, instead of stopping, then prints
#          "grown K" (K: the number of times so far)
cat >server.c <<'C'
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int stop, grow_requests;
static void *worker(void *arg) {
  (void)arg;
  void *ring[64] = {0};
  for (unsigned long i = 0; !atomic_load(&stop); i++) {
    free(ring[i % 64]);
    ring[i % 64] = malloc(16 + i % 512); // WORK_LINE
    if (i % 4096 == 0)
      usleep(100); // share the machine
  }
  for (int i = 0; i < 64; i++)
    free(ring[i]);
  return NULL;
}
static void on_stop(int sig) {
  (void)sig;
  atomic_store(&stop, 1);
}
static void on_grow(int sig) {
  (void)sig;
  atomic_fetch_add(&grow_requests, 1);
}
int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  void *keep[3];
  for (int i = 0; i < 3; i++)
    keep[i] = malloc(4321); // KEEP_LINE
  struct sigaction sa = {0};
  sa.sa_handler = strcmp(mode, "grow") == 0 ? on_grow : on_stop;
  sigaction(SIGUSR1, &sa, NULL);
  if (strcmp(mode, "own") == 0) {
    sa.sa_handler = on_stop;
    sigaction(SIGUSR2, &sa, NULL);
  }
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, worker, NULL);
  printf("ready %ld\n", (long)getpid());
  fflush(stdout);
  if (strcmp(mode, "abort") == 0) {
    usleep(100000);
    abort();
  }
  void **grown = NULL;
  int served = 0;
  while (!atomic_load(&stop)) {
    pause();
    for (; served < atomic_load(&grow_requests); served++) {
      for (long i = 0, n = atol(argv[2]); i < n; i++) {
        void **p = malloc(1000); // GROW_LINE
        *p = grown, grown = p;
      }
      printf("grown %d\n", served + 1);
      fflush(stdout);
    }
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  printf("bye %p\n", (void *)grown);
  return keep[2] == NULL;
}
C
"$TMCC" -O1 -g -pthread server.c -o server
KEEP_LINE=$(grep -n '// KEEP_LINE' server.c | cut -d: -f1)
# shellcheck disable=SC2034 # used by the test scripts that source this file
WORK_LINE=$(grep -n '// WORK_LINE' server.c | cut -d: -f1)
# shellcheck disable=SC2034
GROW_LINE=$(grep -n '// GROW_LINE' server.c | cut -d: -f1)

# A check that fails leaves no server behind.
trap '[[ -z ${SERVER_PID:-} ]] || kill -KILL "$SERVER_PID" 2>/dev/null || true' EXIT

# start_server [ARGS...]: runs ./server in the background with the current
# environment (SIGINT back to the default action: a background job of a
# script has it ignored), output in server.out, errors in server.err; sets
# SERVER_PID once it printed "ready".
# shellcheck disable=SC2120 # the arguments are optional
start_server() {
  env --default-signal=INT ./server "$@" >server.out 2>server.err &
  SERVER_PID=$!
  wait_for "server ready" grep -q '^ready' server.out
}

# wait_for WHAT COMMAND...: until COMMAND succeeds, at most 30 s.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 300); do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "$what: still not true after 30 s"
}

# server_wait: wait for the server to end; its exit status in SERVER_STATUS
# (not a $(...): a subshell cannot wait for its parent's child).
server_wait() {
  # shellcheck disable=SC2034 # read by the test scripts
  SERVER_STATUS=0
  # shellcheck disable=SC2034
  wait "$SERVER_PID" || SERVER_STATUS=$?
}

# check_loadable WHAT FILE: `tracemalloc stats` reads FILE, a dump of the
# server with its 3 kept blocks.
check_loadable() {
  local stats
  stats=$("$TM_CLI" stats --key lineno "$2") || fail "$1: cannot read $2"
  expect_match "$1" "server\.c:$KEEP_LINE: size=12\.7 KiB, count=3" "$stats"
}
