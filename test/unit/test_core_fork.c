/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_fork.c - fork() while another thread records: the child gets
 * consistent tables (its snapshot adds up to its traced memory, the parent's
 * stable traces are all there) and keeps tracing; the parent is unchanged.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "check_valid.h"
#include "tracemalloc.h"

static _Atomic int stop;

static void *hammer(void *arg) {
  (void)arg;
  for (uintptr_t n = 0; !atomic_load(&stop); n++) {
    tm_track(n % 2 ? 0 : 99, 0x100000 + (n % 4096) * 16, n % 100 + 1);
    if (n % 3)
      tm_untrack(n % 2 ? 0 : 99, 0x100000 + ((n / 3) % 4096) * 16);
  }
  return NULL;
}

/* In the child: everything must add up; returns the number of problems. */
static int child_checks(void) {
  int bad = 0;
  tm_snapshot_t *snap = NULL;
  bad += !tm_is_tracing();
  bad += tm_get_traceback_limit() != 5;
  bad += tm_take_snapshot(&snap) != TM_OK;
  size_t sum = 0, d7 = 0, cur;
  for (size_t i = 0; i < tm_snapshot_count(snap); i++) {
    const tm_trace_t *t = &tm_snapshot_traces(snap)[i];
    sum += t->size;
    d7 += t->domain == 7 ? t->size : 0;
  }
  tm_snapshot_free(snap);
  tm_get_traced_memory(&cur, NULL);
  bad += sum != cur;
  bad += d7 != 1000 * 7;
  bad += tm_track(7, 0x1, 5) != 0; // and it keeps tracing
  size_t after;
  tm_get_traced_memory(&after, NULL);
  bad += after != cur + 5;
  // The parent's other thread vanished mid-operation: the tables it was
  // changing must still be whole (the prepare handler held every lock).
  bad += check_valid_error() != NULL;
  tm_stop();
  bad += check_valid_error() != NULL;
  return bad;
}

int main(void) {
  CHECK_EQ_INT(tm_start(5), TM_OK);
  for (uintptr_t i = 1; i <= 1000; i++)
    tm_track(7, i * 8, 7);
  pthread_t th;
  pthread_create(&th, NULL, hammer, NULL);
  int children_ok = 0;
  for (int k = 0; k < 20; k++) {
    pid_t pid = fork();
    if (pid == 0)
      _exit(child_checks());
    int status = -1;
    waitpid(pid, &status, 0);
    children_ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  CHECK_EQ_INT(children_ok, 20);
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  size_t d7 = 0;
  for (size_t i = 0; i < tm_snapshot_count(snap); i++)
    if (tm_snapshot_traces(snap)[i].domain == 7)
      d7 += tm_snapshot_traces(snap)[i].size;
  CHECK_EQ_INT(d7, 7000); // the children's track did not leak back
  tm_snapshot_free(snap);
  CHECK_VALID();
  tm_stop();
  return CHECK_DONE();
}
