/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_trailer.c - trailer mode (runtime/core/trace_table.h): what
 * the program sees of a traced block that carries its trace in 8 bytes at
 * the end of glibc's usable size (docs/semantics.md, "Trailer blocks").
 *
 * This test links the static runtime, whose malloc family is the process's
 * (the interposer is in effect) over glibc, so trailer mode applies: a
 * block malloc'd while tracing is a trailer block. Under a sanitizer it
 * does not (the sanitizer owns malloc): the checks that name trailer
 * blocks are skipped, the rest hold either way.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_valid.h"
#include "hooks.h"
#include "hooks/hooks_test.h"

#define TRL (!HT_SANITIZER)

/* The global malloc family: the interposer, as uninstrumented code calls
 * it (through volatile pointers, so the compiler keeps every call). */
static void *(*volatile g_malloc)(size_t) = malloc;
static void *(*volatile g_realloc)(void *, size_t) = realloc;
static void (*volatile g_free)(void *) = free;
static size_t (*volatile g_usable)(void *) = malloc_usable_size;

static void test_usable_size_and_alignment(void) {
  HT_SITE(s);
  size_t c0 = ht_current();
  for (size_t n = 0; n < 300; n += 7) {
    char *p = __tm_malloc(n, &s);
    CHECK(p != NULL);
    CHECK(((uintptr_t)p & 15) == 0); /* glibc's 16-byte alignment kept */
    if (TRL)
      CHECK(tm_blk_is(p));
    size_t u = g_usable(p);
    CHECK(u >= n);
    /* Every usable byte is the program's: writing them all must not touch
     * the trailer (the free below would then count a wrong size). */
    memset(p, 0xa5, u);
    CHECK_EQ_INT(ht_current() - c0, n);
    __tm_free(p, &s);
    CHECK_EQ_INT(ht_current(), c0);
  }
  /* The interposer (uninstrumented code's malloc) makes them too. */
  char *q = g_malloc(40);
  if (TRL)
    CHECK(tm_blk_is(q));
  CHECK(ht_traced(q));
  memset(q, 1, g_usable(q));
  g_free(q);
  CHECK(!ht_traced(q) || !TRL);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK_VALID();
}

static void test_calloc_realloc(void) {
  HT_SITE(s_calloc);
  HT_SITE(s_realloc);
  HT_SITE(s_free);
  size_t c0 = ht_current();
  unsigned char *p = __tm_calloc(10, 10, &s_calloc);
  CHECK(p != NULL);
  for (int i = 0; i < 100; i++)
    CHECK(p[i] == 0);
  CHECK_EQ_INT(ht_current() - c0, 100);
  for (int i = 0; i < 100; i++)
    p[i] = (unsigned char)i;
  /* Grow: the trailer is written anew; the trace is the realloc's. */
  p = __tm_realloc(p, 100000, &s_realloc);
  CHECK(p != NULL);
  if (TRL)
    CHECK(tm_blk_is(p));
  for (int i = 0; i < 100; i++)
    CHECK(p[i] == (unsigned char)i);
  CHECK_EQ_INT(ht_current() - c0, 100000);
  HT_CHECK_SITE(p, s_realloc);
  /* A failed realloc leaves the block and its trace as they were. */
  errno = 0;
  CHECK(__tm_realloc(p, SIZE_MAX - 8, &s_realloc) == NULL);
  CHECK_EQ_INT(errno, ENOMEM);
  CHECK_EQ_INT(ht_current() - c0, 100000);
  HT_CHECK_SITE(p, s_realloc);
  if (TRL)
    CHECK(tm_blk_is(p));
  /* Shrink. */
  p = __tm_realloc(p, 50, &s_realloc);
  for (int i = 0; i < 50; i++)
    CHECK(p[i] == (unsigned char)i);
  CHECK_EQ_INT(ht_current() - c0, 50);
  CHECK_VALID();
  __tm_free(p, &s_free);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK_VALID();
}

/* Blocks glibc maps on their own (above its mmap threshold, 128 KiB at
 * first) are rounded to pages: no trailer can record their size, so they
 * are traced in the side table, through small -> mapped -> small reallocs
 * too. */
static void test_mmapped(void) {
  HT_SITE(s);
  size_t c0 = ht_current();
  size_t big = (size_t)4 << 20; /* above any threshold glibc reaches here */
  char *p = __tm_malloc(big, &s);
  CHECK(p != NULL);
  CHECK(!tm_blk_is(p) && ht_traced(p));
  size_t u = g_usable(p);
  CHECK(u >= big && u < big + 4096);
  memset(p, 0x5a, u); /* every usable byte is the program's */
  CHECK_EQ_INT(ht_current() - c0, big);
  CHECK_VALID();
  p = __tm_realloc(p, 100, &s); /* mapped, shrunk */
  CHECK(p != NULL && p[99] == 0x5a);
  CHECK_EQ_INT(ht_current() - c0, 100);
  p = __tm_realloc(p, big + 1, &s);
  CHECK(p != NULL && p[99] == 0x5a);
  memset(p, 0x5b, g_usable(p));
  CHECK_EQ_INT(ht_current() - c0, big + 1);
  CHECK_VALID();
  __tm_free(p, &s);
  CHECK_EQ_INT(ht_current(), c0);
  char *z = __tm_calloc(1, big, &s);
  CHECK(z != NULL && z[0] == 0 && z[big - 1] == 0);
  CHECK_EQ_INT(ht_current() - c0, big);
  __tm_free(z, &s);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK_VALID();
}

/* aligned_alloc / memalign / posix_memalign / valloc: the side table. */
static void test_aligned(void) {
  HT_SITE(s);
  size_t c0 = ht_current();
  void *a = __tm_aligned_alloc(64, 128, &s);
  void *m = __tm_memalign(4096, 10, &s);
  void *v = __tm_valloc(10, &s);
  void *pm = NULL;
  CHECK_EQ_INT(__tm_posix_memalign(&pm, 256, 33, &s), 0);
  CHECK(a && m && v && pm);
  CHECK(((uintptr_t)a & 63) == 0);
  CHECK(((uintptr_t)m & 4095) == 0);
  CHECK(((uintptr_t)v & 4095) == 0);
  CHECK(((uintptr_t)pm & 255) == 0);
  CHECK(!tm_blk_is(a) && !tm_blk_is(m) && !tm_blk_is(v) && !tm_blk_is(pm));
  CHECK(ht_traced(a) && ht_traced(m) && ht_traced(v) && ht_traced(pm));
  CHECK_EQ_INT(ht_current() - c0, 128 + 10 + 10 + 33);
  CHECK(g_usable(a) >= 128);
  /* realloc of an aligned block: not a trailer block, the side table. */
  a = __tm_realloc(a, 300, &s);
  CHECK(a != NULL);
  CHECK_EQ_INT(ht_current() - c0, 300 + 10 + 10 + 33);
  __tm_free(a, &s);
  g_free(m);
  __tm_free(v, &s);
  g_free(pm);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK_VALID();
}

/* A block allocated before tm_start has no trailer; its realloc while
 * tracing is traced (side table), and frees correctly. */
static void test_realloc_before_start(void) {
  HT_SITE(s);
  tm_stop();
  char *p = __tm_malloc(64, &s);
  char *q = g_malloc(64);
  CHECK(!tm_blk_is(p) && !tm_blk_is(q));
  memset(p, 7, 64);
  CHECK_EQ_INT(tm_start(25), TM_OK);
  size_t c0 = ht_current();
  p = __tm_realloc(p, 200, &s);
  q = g_realloc(q, 300);
  CHECK(p != NULL && q != NULL);
  CHECK(p[63] == 7);
  CHECK(ht_traced(p) && ht_traced(q));
  CHECK_EQ_INT(ht_current() - c0, 500);
  CHECK_VALID();
  __tm_free(p, &s);
  g_free(q);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK_VALID();
}

/* Trailer blocks outlive the session that made them: after tm_stop and
 * after tm_clear_traces they are untraced glibc blocks (their bits
 * cleared), and still freed, resized and measured correctly. */
static void test_after_stop_and_clear(void) {
  HT_SITE(s);
  char *a = __tm_malloc(100, &s);
  char *b = __tm_malloc(200, &s);
  char *c = __tm_malloc(300, &s);
  memset(a, 1, 100);
  tm_clear_traces();
  CHECK_EQ_INT(ht_current(), 0);
  CHECK(!ht_traced(a));
  CHECK(!tm_blk_is(a));
  CHECK_VALID();
  __tm_free(b, &s); /* untraced now: current stays 0 */
  CHECK_EQ_INT(ht_current(), 0);
  CHECK_VALID();
  tm_stop();
  CHECK(g_usable(a) >= 100);
  a = g_realloc(a, 5000); /* not tracing: a plain realloc */
  CHECK(a != NULL && a[99] == 1);
  CHECK(g_usable(a) >= 5000);
  g_free(a);
  __tm_free(c, &s);
  CHECK_EQ_INT(tm_start(25), TM_OK);
  CHECK_EQ_INT(ht_current(), 0);
  CHECK_VALID();
}

/* A snapshot lists trailer traces with the others. */
static void test_snapshot(void) {
  HT_SITE(s);
  tm_clear_traces();
  void *p[10];
  for (int i = 0; i < 10; i++)
    p[i] = __tm_malloc(10 + (size_t)i, &s);
  void *al = __tm_aligned_alloc(64, 64, &s); /* side table */
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(snap), 11);
  size_t sum = 0;
  for (size_t i = 0; i < tm_snapshot_count(snap); i++)
    sum += tm_snapshot_traces(snap)[i].size;
  CHECK_EQ_INT(sum, 145 + 64);
  tm_snapshot_free(snap);
  for (int i = 0; i < 10; i++)
    __tm_free(p[i], &s);
  __tm_free(al, &s);
  CHECK_VALID();
}

/* tm_track / tm_untrack in domain 0 of a trailer block: its trace is the
 * trailer (CPython: tracking an address again replaces its trace); a size
 * the trailer cannot hold (not one glibc's rounding gives the block) moves
 * the trace to the side table. */
static void test_track_domain0(void) {
  HT_SITE(s);
  size_t c0 = ht_current();
  char *p = __tm_malloc(100, &s);
  CHECK_EQ_INT(ht_current() - c0, 100);
  CHECK_EQ_INT(tm_track(0, (uintptr_t)p, 1000), 0);
  CHECK_EQ_INT(ht_current() - c0, 1000); /* replaced, not added */
  CHECK(ht_traced(p));
  CHECK(!tm_blk_is(p)); /* 1000 bytes: the side table's */
  CHECK_VALID();
  CHECK_EQ_INT(tm_track(0, (uintptr_t)p, 99), 0);
  CHECK_EQ_INT(ht_current() - c0, 99);
  CHECK(ht_traced(p));
  CHECK_VALID();
  __tm_free(p, &s);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK(!ht_traced(p));
  p = __tm_malloc(100, &s);
  CHECK_EQ_INT(tm_track(0, (uintptr_t)p, 97), 0); /* fits: the trailer */
  CHECK_EQ_INT(ht_current() - c0, 97);
  if (TRL)
    CHECK(tm_blk_is(p));
  CHECK_VALID();
  CHECK_EQ_INT(tm_untrack(0, (uintptr_t)p), 0);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK(!ht_traced(p));
  CHECK_VALID();
  __tm_free(p, &s); /* untracked: nothing more to subtract */
  CHECK_EQ_INT(ht_current(), c0);
  CHECK_VALID();
}

/* The child of fork keeps the parent's trailer blocks: it can free them
 * (with the parent's traces gone from its counters), and resize them. */
static void test_fork(void) {
  HT_SITE(s);
  tm_clear_traces();
  char *a = __tm_malloc(1000, &s);
  char *b = __tm_malloc(2000, &s);
  memset(b, 3, 2000);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int ok = ht_current() == 3000;
    __tm_free(a, &s);
    ok &= ht_current() == 2000;
    b = g_realloc(b, 4000);
    ok &= b != NULL && b[1999] == 3 && ht_current() == 4000;
    g_free(b);
    ok &= ht_current() == 0;
    ok &= tm_trace_table_validate() == NULL;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ_INT(ht_current(), 3000); /* the parent's own are untouched */
  __tm_free(a, &s);
  __tm_free(b, &s);
  CHECK_EQ_INT(ht_current(), 0);
  CHECK_VALID();
}

/* Threads free and resize each other's trailer blocks (each operation
 * under the lock of the thread that does it, so a block's free and its
 * malloc take different locks and different threads' counts) while another
 * thread takes snapshots, and then exit: afterwards the traces of this file
 * are exactly the blocks still held, and the table is valid (the counts of
 * the threads gone are kept). */
enum { XT_THREADS = 4, XT_BLOCKS = 4000, XT_ROUNDS = 3 };
static void *xt_blocks[XT_THREADS][XT_BLOCKS];
static pthread_barrier_t xt_line;
static _Atomic int xt_stop; /* read by the snapshot thread */

static size_t xt_size(int t, int i) { return 16 + (size_t)((t * 7 + i) % 90); }

static void *xt_worker(void *arg) {
  int t = (int)(intptr_t)arg;
  HT_SITE(s);
  for (int r = 0; r < XT_ROUNDS; r++) {
    for (int i = 0; i < XT_BLOCKS; i++)
      xt_blocks[t][i] = __tm_malloc(xt_size(t, i), &s);
    pthread_barrier_wait(&xt_line);
    // The next thread's blocks: free the odd ones, grow the even ones.
    int v = (t + 1) % XT_THREADS;
    for (int i = 0; i < XT_BLOCKS; i++) {
      if (i % 2) {
        __tm_free(xt_blocks[v][i], &s);
        xt_blocks[v][i] = NULL;
      } else {
        xt_blocks[v][i] = __tm_realloc(xt_blocks[v][i], 200, &s);
      }
    }
    pthread_barrier_wait(&xt_line);
    if (r + 1 < XT_ROUNDS) // freed by their allocating thread this time
      for (int i = 0; i < XT_BLOCKS; i += 2)
        g_free(xt_blocks[t][i]);
    pthread_barrier_wait(&xt_line);
  }
  return NULL;
}

static void *xt_snapshotter(void *arg) {
  (void)arg;
  while (!xt_stop) {
    tm_snapshot_t *snap = NULL;
    if (tm_take_snapshot(&snap) == TM_OK)
      tm_snapshot_free(snap);
  }
  return NULL;
}

static size_t traced_here(void) {
  tm_snapshot_t *snap = NULL;
  size_t sum = 0;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  const tm_trace_t *tr = tm_snapshot_traces(snap);
  for (size_t i = 0; i < tm_snapshot_count(snap); i++) {
    const tm_frame_t *f = tm_traceback_frames(tr[i].traceback);
    if (tm_traceback_length(tr[i].traceback) > 0 &&
        strcmp(f[0].filename, __FILE__) == 0)
      sum += tr[i].size;
  }
  tm_snapshot_free(snap);
  return sum;
}

static void test_cross_thread(void) {
  tm_clear_traces();
  pthread_barrier_init(&xt_line, NULL, XT_THREADS);
  pthread_t th[XT_THREADS], snapper;
  pthread_create(&snapper, NULL, xt_snapshotter, NULL);
  for (int t = 0; t < XT_THREADS; t++)
    pthread_create(&th[t], NULL, xt_worker, (void *)(intptr_t)t);
  for (int t = 0; t < XT_THREADS; t++)
    pthread_join(th[t], NULL);
  xt_stop = 1;
  pthread_join(snapper, NULL);
  pthread_barrier_destroy(&xt_line);
  // Held: the even blocks of the last round, 200 bytes each.
  size_t held = 0;
  for (int t = 0; t < XT_THREADS; t++)
    for (int i = 0; i < XT_BLOCKS; i++)
      if (xt_blocks[t][i]) {
        held += 200;
        if (TRL)
          CHECK(tm_blk_is(xt_blocks[t][i]));
      }
  CHECK_EQ_INT(held, (size_t)XT_THREADS * XT_BLOCKS / 2 * 200);
  CHECK_EQ_INT(traced_here(), held);
  CHECK_VALID();
  for (int t = 0; t < XT_THREADS; t++)
    for (int i = 0; i < XT_BLOCKS; i++)
      g_free(xt_blocks[t][i]);
  CHECK_EQ_INT(traced_here(), 0);
  CHECK_VALID();
}

/* fork while another thread holds the trailer blocks it allocated: the
 * child has the blocks but not the thread, and their traces still count
 * (the thread's count is kept in the child), also once the child frees
 * them. */
enum { FT_BLOCKS = 100 };
static void *ft_blocks[FT_BLOCKS];

static void *ft_worker(void *arg) {
  (void)arg;
  HT_SITE(s);
  for (int i = 0; i < FT_BLOCKS; i++)
    ft_blocks[i] = __tm_malloc(64, &s);
  pthread_barrier_wait(&xt_line); // allocated: the parent forks
  pthread_barrier_wait(&xt_line); // forked
  return NULL;
}

static void test_fork_threads(void) {
  tm_clear_traces();
  pthread_barrier_init(&xt_line, NULL, 2);
  pthread_t th;
  pthread_create(&th, NULL, ft_worker, NULL);
  pthread_barrier_wait(&xt_line);
  // Relative to now: starting a thread may trace a block of libc's or of a
  // sanitizer's (no trailer mode there).
  size_t c = ht_current();
  CHECK(c >= FT_BLOCKS * 64);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int ok = ht_current() == c;
    ok &= tm_trace_table_validate() == NULL;
    // Trailer blocks only: under TSan, frees in the child of a
    // multi-threaded process did not reach the runtime (current stayed),
    // so the sanitizer builds check the inherited state alone.
    if (TRL) {
      for (int i = 0; i < FT_BLOCKS; i++)
        g_free(ft_blocks[i]);
      ok &= ht_current() == c - FT_BLOCKS * 64;
      ok &= tm_trace_table_validate() == NULL;
    }
    _exit(ok ? 0 : 1);
  }
  pthread_barrier_wait(&xt_line);
  pthread_join(th, NULL);
  pthread_barrier_destroy(&xt_line);
  int status = 0;
  CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  c = ht_current();
  for (int i = 0; i < FT_BLOCKS; i++) {
    if (TRL)
      CHECK(tm_blk_is(ft_blocks[i]));
    g_free(ft_blocks[i]);
  }
  CHECK_EQ_INT(ht_current(), c - FT_BLOCKS * 64);
  CHECK_VALID();
}

/* A program that writes past the end of its block (an off-by-one into the
 * slack) overwrites the trailer: the runtime must not trust it. The free
 * still forgets the block, counts out its smallest possible size (current
 * never drops below the other traces, and stays at most 32 bytes too
 * high), and warns once; nothing crashes. `where` is n, or n + 1 for a
 * block whose trailer is not right after its bytes. */
static void overwrite_one(size_t n, size_t where, char byte) {
  HT_SITE(s);
  tm_clear_traces();
  char *keep = __tm_malloc(1000, &s);
  char *p = __tm_malloc(n, &s);
  CHECK(tm_blk_is(p));
  CHECK_EQ_INT(ht_current(), 1000 + n);
  CHECK_VALID();
  p[where] = byte;
  CHECK(tm_trace_table_validate() != NULL); /* the table sees it */
  CHECK(!ht_traced(p));                     /* nothing in it is trusted */
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(snap), 1); /* `keep` only */
  tm_snapshot_free(snap);
  __tm_free(p, &s);
  CHECK(ht_current() >= 1000 && ht_current() <= 1000 + 32);
  CHECK(!tm_blk_is(p));
  __tm_free(keep, &s);
  tm_clear_traces();
  CHECK_EQ_INT(ht_current(), 0);
  CHECK_VALID();
}

static void test_overwritten_trailer(void) {
  if (!TRL)
    return;
  // n + 8 rounds up to a chunk whose trailer is right after n's bytes
  // when n is a multiple of 16: a string's terminator one past the end
  // (malloc(strlen(s)) then strcpy) lands on the trailer's first byte.
  overwrite_one(32, 32, 0);
  overwrite_one(48, 48, 0);
  overwrite_one(16, 16, 'x');
  overwrite_one(32, 32, (char)0xa0); /* not ASCII: the hash still says */
  overwrite_one(4096, 4096, 0);
  // Within the slack but before the trailer: nothing is broken.
  HT_SITE(s);
  size_t c0 = ht_current();
  char *p = __tm_malloc(40, &s); /* trailer at p + 48 */
  p[40] = 0;
  CHECK(ht_traced(p));
  CHECK_VALID();
  __tm_free(p, &s);
  CHECK_EQ_INT(ht_current(), c0);
}

int main(void) {
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(25), TM_OK);
  test_usable_size_and_alignment();
  test_calloc_realloc();
  test_mmapped();
  test_aligned();
  test_realloc_before_start();
  test_after_stop_and_clear();
  test_snapshot();
  test_track_domain0();
  test_fork();
  test_overwritten_trailer();
  /* The process is multi-threaded from here. */
  test_cross_thread();
  test_fork_threads();
  tm_stop();
  return CHECK_DONE();
}
