/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_threads.c - several threads allocating, reallocating and
 * freeing at the same time, through the hooks AND through plain malloc
 * (interposed, or the sanitizer hooks): the totals are exact afterwards, and
 * every thread started with pthread_create had its own shadow-stack ring
 * before its start routine ran.
 *
 * Each thread ends holding a known set of blocks, so the traced bytes are
 * known exactly: a lost, doubled or stale trace shows up as a difference.
 * They are summed from a snapshot, over the traces attributed to this file
 * (plain mallocs are made from a shadow frame naming a line here): thread
 * creation and exit allocate and free memory of their own (glibc's DTV, the
 * sanitizers' bookkeeping) that would blur tm_get_traced_memory.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "hooks/hooks_test.h"
#include "shadow_stack.h"

#define NTHREADS 6
#define ROUNDS 20000
#define KEEP 64

struct worker {
  pthread_t thread;
  int id;
  int had_ring;   /* its runtime state when the start routine began */
  size_t kept;    /* bytes this thread still holds at the end */
  void *blocks[KEEP];
};

static pthread_barrier_t start_line;

/* Bytes traced at lines of this file, and the number of such traces. */
static size_t traced_here(size_t *count) {
  tm_snapshot_t *snap = NULL;
  size_t sum = 0, n = 0;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; i < tm_snapshot_count(snap); i++) {
    const tm_frame_t *f = tm_traceback_frames(t[i].traceback);
    if (tm_traceback_length(t[i].traceback) > 0 &&
        strcmp(f[0].filename, __FILE__) == 0) {
      sum += t[i].size;
      n++;
    }
  }
  tm_snapshot_free(snap);
  if (count)
    *count = n;
  return sum;
}

/* A deterministic size sequence per thread. */
static size_t next_size(unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return 1 + (*state >> 8) % 700;
}

static void *worker_main(void *arg) {
  HT_SITE(s_alloc);
  HT_SITE(s_realloc);
  HT_SITE(s_plain);
  struct worker *w = arg;
  w->had_ring = tm_thread_self != NULL;
  unsigned state = (unsigned)w->id * 7919u + 1;
  size_t sizes[KEEP] = {0};
  pthread_barrier_wait(&start_line);
  for (int r = 0; r < ROUNDS; r++) {
    int i = r % KEEP;
    size_t n = next_size(&state);
    int plain = (r / KEEP + w->id) % 2; /* alternate hooks / plain malloc */
    switch (r % 5) {
    case 0: case 1: /* free what is there, allocate anew */
      if (plain) {
        free(w->blocks[i]);
        HT_CALL_FROM(&s_plain, w->blocks[i] = malloc(n));
      } else {
        __tm_free(w->blocks[i], &s_alloc);
        w->blocks[i] = __tm_malloc(n, &s_alloc);
      }
      break;
    case 2: /* realloc (NULL the first time round) */
      if (plain)
        HT_CALL_FROM(&s_plain, w->blocks[i] = realloc(w->blocks[i], n));
      else
        w->blocks[i] = __tm_realloc(w->blocks[i], n, &s_realloc);
      break;
    case 3:
      if (plain) {
        free(w->blocks[i]);
        HT_CALL_FROM(&s_plain, w->blocks[i] = calloc(1, n));
      } else {
        __tm_free(w->blocks[i], &s_alloc);
        w->blocks[i] = __tm_calloc(n, 1, &s_alloc);
      }
      break;
    default: /* free and leave empty */
      if (plain)
        free(w->blocks[i]);
      else
        __tm_free(w->blocks[i], NULL);
      w->blocks[i] = NULL;
      n = 0;
      break;
    }
    sizes[i] = w->blocks[i] ? n : 0;
  }
  w->kept = 0;
  for (int i = 0; i < KEEP; i++)
    w->kept += sizes[i];
  return NULL;
}

int main(void) {
  static struct worker w[NTHREADS];
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(25), TM_OK);
  pthread_barrier_init(&start_line, NULL, NTHREADS + 1);
  /* With an attribute: the wrapper passes it on. */
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  for (int i = 0; i < NTHREADS; i++) {
    w[i].id = i;
    CHECK_EQ_INT(pthread_create(&w[i].thread, &attr, worker_main, &w[i]), 0);
  }
  pthread_attr_destroy(&attr);
  pthread_barrier_wait(&start_line); /* go */
  size_t expected = 0, nblocks = 0;
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(w[i].thread, NULL);
    CHECK(w[i].had_ring);
    expected += w[i].kept;
    for (int k = 0; k < KEEP; k++)
      nblocks += w[i].blocks[k] != NULL;
  }
  size_t count = 0;
  CHECK_EQ_INT(traced_here(&count), expected);
  CHECK_EQ_INT(count, nblocks);
  for (int i = 0; i < NTHREADS; i++)
    for (int k = 0; k < KEEP; k++)
      free(w[i].blocks[k]);
  CHECK_EQ_INT(traced_here(&count), 0);
  CHECK_EQ_INT(count, 0);
  CHECK_EQ_INT(tm_get_dropped_traces(), 0);
  pthread_barrier_destroy(&start_line);
  tm_stop();
  return CHECK_DONE();
}
