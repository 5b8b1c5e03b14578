/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_statistics_threads.c - a built snapshot is read-only: statistics,
 * compare_to, filter_traces, the str() forms and Traceback.format (with its
 * shared line cache) run on the same snapshots from several threads at once
 * and give the single-threaded results. Meant for TM_SANITIZE=thread too. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_snapshot_fixtures.h"

enum { NTHREADS = 4, ROUNDS = 200 };

static tm_snapshot_t *s1, *s2;
static char expected[4096];

/* Everything the thread computes, as one string. */
static void compute(char *out, size_t cap) {
  size_t o = 0;
  out[0] = '\0';
  tm_statistics_t *st = NULL;
  if (tm_snapshot_statistics(s2, TM_KEY_LINENO, true, &st) != TM_OK)
    return;
  for (size_t i = 0; i < tm_statistics_count(st); i++)
    o += tm_format_statistic(out + o, cap - o, &tm_statistics_items(st)[i]);
  tm_statistics_free(st);
  tm_statistic_diffs_t *d = NULL;
  if (tm_snapshot_compare_to(s2, s1, TM_KEY_TRACEBACK, false, &d) != TM_OK)
    return;
  for (size_t i = 0; i < tm_statistic_diffs_count(d); i++)
    o += tm_format_statistic_diff(out + o, cap - o,
                                  &tm_statistic_diffs_items(d)[i]);
  tm_statistic_diffs_free(d);
  tm_filter_t f = {TM_FILTER_FILENAME, false, "b.py", TM_LINENO_ANY, false,
                   false, 0, 0, NULL};
  tm_snapshot_t *r = NULL;
  if (tm_snapshot_filter_traces(s1, &f, 1, &r) != TM_OK)
    return;
  o += (size_t)snprintf(out + o, cap - o, "|%zu|", tm_snapshot_count(r));
  char *text = NULL;
  if (tm_traceback_format(tm_snapshot_traces(r)[0].traceback, false, 0, true,
                          &text) == TM_OK) {
    o += (size_t)snprintf(out + o, cap - o, "%s", text);
    tm_free(text);
  }
  tm_snapshot_free(r);
}

static void *worker(void *arg) {
  char got[4096];
  int *bad = arg;
  for (int i = 0; i < ROUNDS; i++) {
    compute(got, sizeof got);
    if (strcmp(got, expected) != 0)
      (*bad)++;
  }
  return NULL;
}

int main(void) {
  char dir[] = "/tmp/tm-threads-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir) != 0)
    return 1;
  FILE *a = fopen("a.py", "w"), *b = fopen("b.py", "w");
  if (!a || !b)
    return 1;
  fputs("x\n  alloc()\n", a);
  fputs("1\n2\n3\n  call()\n", b);
  fclose(a);
  fclose(b);
  s1 = fx_snapshot1();
  s2 = fx_snapshot2();
  compute(expected, sizeof expected);
  CHECK(strstr(expected, "    alloc()") != NULL);
  pthread_t th[NTHREADS];
  int bad[NTHREADS] = {0};
  for (int i = 0; i < NTHREADS; i++)
    CHECK(pthread_create(&th[i], NULL, worker, &bad[i]) == 0);
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ_INT(bad[i], 0);
  }
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
  unlink("a.py");
  unlink("b.py");
  if (chdir("/") != 0 || rmdir(dir) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  return CHECK_DONE();
}
