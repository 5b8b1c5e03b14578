/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* history-threads.c - the traced program behind history-threads.tmd (the
 * golden tests of `history`, `peak` and `threads` with --thread): two
 * named threads, one after the other, allocate from the same line, one
 * with many temporaries; the main thread makes the peak with a block of
 * its own and frees one of the parser's blocks. Built and run by
 * make-history-threads.sh (the real pass and runtime); not a test itself.
 */
#define _GNU_SOURCE // pthread_setname_np
#include <pthread.h>
#include <stdlib.h>

static void *volatile keep[8];

__attribute__((noinline)) void *grab(size_t n) {
  return malloc(n); // the line both threads allocate from
}

typedef struct job {
  const char *name;
  int temps;        /* blocks freed right away (temporary) */
  size_t temp_size; /* their size */
  int count;        /* blocks kept, from keep[first] */
  size_t size;      /* their size */
  int first;
} job_t;

static void *worker(void *arg) {
  const job_t *j = arg;
  pthread_setname_np(pthread_self(), j->name);
  for (int i = 0; i < j->temps; i++)
    free(grab(j->temp_size));
  for (int i = 0; i < j->count; i++)
    keep[j->first + i] = grab(j->size);
  return NULL;
}

/* One thread at a time: their ids never collide, and the thread table's
 * order (first allocation) is the order of the jobs. */
static void run(job_t *j) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, j) == 0)
    pthread_join(t, NULL);
}

int main(void) {
  job_t parser = {"parser", 100, 64, 3, 1000, 0};
  job_t writer = {"writer", 0, 0, 2, 3000, 3};
  run(&parser);
  run(&writer);
  void *volatile big = malloc(20000); // the peak: every block above live
  free(big);
  free(keep[0]); // a parser block freed by the main thread
  return 0;
}
