/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_fork.c - fork() while a second thread is allocating through
 * the hooks and plain malloc: the child can go on tracing, with exact
 * counters and a consistent table (no lock left held by the thread that did
 * not survive the fork).
 *
 * TSan ignores every interceptor in the child of a multithreaded fork (its
 * allocator hooks included), so there the child uses the hooks only.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "hooks/hooks_test.h"

static atomic_int stop;

static void *churn(void *arg) {
  HT_SITE(s_churn);
  (void)arg;
  void *keep[32] = {0};
  for (unsigned i = 0; !atomic_load(&stop); i++) {
    unsigned k = i % 32;
    if (i & 1) {
      __tm_free(keep[k], &s_churn);
      keep[k] = __tm_malloc(16 + i % 500, &s_churn);
    } else {
      keep[k] = realloc(keep[k], 16 + i % 300);
    }
  }
  for (int k = 0; k < 32; k++)
    free(keep[k]);
  return NULL;
}

/* In the child: allocate, free, snapshot; exit status = failures (the
 * CHECK counters are the child's copy). */
static int child_checks(void) {
  HT_SITE(s_child);
  alarm(20); /* a lock left held would hang: fail instead */
  check_failed = 0;
  size_t c0 = ht_current();
  void *p[100];
  for (int i = 0; i < 100; i++)
    p[i] = (i & 1) && !HT_TSAN ? malloc(100) : __tm_malloc(100, &s_child);
  CHECK_EQ_INT(ht_current() - c0, 100 * 100);
  CHECK(ht_traced(p[0]) && ht_traced(p[1]));
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK(tm_snapshot_count(snap) >= 100);
  tm_snapshot_free(snap);
  for (int i = 0; i < 100; i++) {
    if (HT_TSAN)
      __tm_free(p[i], &s_child);
    else
      free(p[i]);
  }
  CHECK_EQ_INT(ht_current(), c0);
  tm_clear_traces();
  CHECK_EQ_INT(ht_current(), 0);
  return check_failed;
}

int main(void) {
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(10), TM_OK);
  pthread_t t;
  CHECK_EQ_INT(pthread_create(&t, NULL, churn, NULL), 0);
  for (int round = 0; round < 20; round++) {
    usleep(2000);
    pid_t pid = fork();
    if (pid == 0)
      _exit(child_checks());
    int status = 0;
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  tm_stop();
  return CHECK_DONE();
}
