/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_fastbins.c - a trailer block asks glibc for 8 bytes more, yet
 * a block of n bytes is a glibc fastbin chunk whenever it would be without
 * the tracer (runtime/hooks/glibc_fastbins.c; docs/semantics.md, "Trailer
 * blocks"): glibc's limit is the program's + 8 while tracing (chunks are
 * multiples of 16, so blocks up to 8 bytes above the program's largest
 * fastbin block are fast too, and no larger one), the program's again
 * after tm_stop, and the program's own setting (its mallopt(M_MXFAST),
 * GLIBC_TUNABLES) is what is kept.
 *
 * "Fast" is read from glibc itself: mallinfo2's smblks, the number of free
 * chunks in fastbins, grows when blocks of that size are freed beyond what
 * the tcache holds (7 per size) only if their chunks are fastbin chunks.
 * The fastbins are emptied first (malloc_trim consolidates them): else a
 * size whose chunks were just freed to a fastbin would take them back and
 * free them again, and look not fast.
 *
 * Static runtime, so the interposer is the process's malloc and trailer mode
 * applies. Under a sanitizer (which owns malloc) there is nothing to test.
 */
#include <malloc.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "hooks/hooks_test.h"

#if !TM_SANITIZER_MODE && defined(__GLIBC__) && defined(M_MXFAST)

/* The global malloc family, as uninstrumented code calls it. */
static void *(*volatile g_malloc)(size_t) = malloc;
static void (*volatile g_free)(void *) = free;
static int (*volatile g_mallopt)(int, int) = mallopt;

/* Are blocks of n bytes fastbin chunks now? (Every one of them is a trailer
 * block while tracing.) */
static bool is_fast(size_t n) {
  enum { N = 32 }; /* more than the tcache keeps of one size */
  void *p[N];
  malloc_trim(0);
  size_t before = mallinfo2().smblks;
  for (int i = 0; i < N; i++) {
    p[i] = g_malloc(n);
    CHECK(p[i] != NULL);
    if (tm_is_tracing())
      CHECK(tm_blk_is(p[i]));
  }
  for (int i = 0; i < N; i++)
    g_free(p[i]);
  return mallinfo2().smblks > before;
}

/* glibc's default limit, 128-byte chunks: requests of up to 120 bytes. */
static void test_default_limit(void) {
  CHECK(atomic_load(&tm_real_is_glibc));
  CHECK(!is_fast(121)); /* untraced: as glibc has it */
  CHECK(is_fast(120));
  CHECK_EQ_INT(tm_start(1), TM_OK);
  /* 120 + 8 bytes would be above the default limit: it is raised, and
   * with it blocks of up to 128 bytes (one chunk class more). */
  CHECK(is_fast(120));
  CHECK(is_fast(104));
  CHECK(is_fast(16));
  CHECK(is_fast(128));
  CHECK(!is_fast(129));
  CHECK(!is_fast(136));
  tm_stop();
  /* The program's limit again. */
  CHECK(!is_fast(121));
  CHECK(is_fast(120));
}

/* The program's own mallopt(M_MXFAST): what it says holds, in its units,
 * while tracing and after. */
static void test_program_mallopt(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  CHECK_EQ_INT(g_mallopt(M_MXFAST, 64), 1); /* chunks of 64: up to 56 */
  CHECK(is_fast(56));
  CHECK(is_fast(64)); /* tracing: up to 56 + 8 */
  CHECK(!is_fast(65));
  tm_stop();
  CHECK(is_fast(56));
  CHECK(!is_fast(57));
  /* Set before tracing starts, kept when it starts. */
  CHECK_EQ_INT(g_mallopt(M_MXFAST, 96), 1); /* up to 88 */
  CHECK_EQ_INT(tm_start(1), TM_OK);
  CHECK(is_fast(88));
  CHECK(is_fast(96));
  CHECK(!is_fast(97));
  /* Out of glibc's range: refused, as glibc refuses it, nothing changes. */
  CHECK_EQ_INT(g_mallopt(M_MXFAST, 161), 0);
  CHECK_EQ_INT(g_mallopt(M_MXFAST, -1), 0);
  CHECK(is_fast(88));
  CHECK(!is_fast(97));
  /* 0: no fastbins at all, trailer or not. */
  CHECK_EQ_INT(g_mallopt(M_MXFAST, 0), 1);
  CHECK(!is_fast(16));
  tm_stop();
  CHECK(!is_fast(16));
  /* Another parameter passes through untouched. */
  CHECK_EQ_INT(g_mallopt(M_TRIM_THRESHOLD, 1 << 20), 1);
  CHECK_EQ_INT(g_mallopt(M_MXFAST, 128), 1); /* glibc's default back */
  CHECK(is_fast(120));
  CHECK(!is_fast(121));
  /* Tracing again: the program's 128, + 8. */
  CHECK_EQ_INT(tm_start(1), TM_OK);
  CHECK(is_fast(128));
  CHECK(!is_fast(129));
  tm_stop();
}

/* GLIBC_TUNABLES=glibc.malloc.mxfast=64 (this program run again with it):
 * the program's limit from the start. */
static int tunables_child(void) {
  CHECK(is_fast(56));
  CHECK(!is_fast(57));
  CHECK_EQ_INT(tm_start(1), TM_OK);
  CHECK(is_fast(64));
  CHECK(!is_fast(65));
  tm_stop();
  CHECK(is_fast(56));
  CHECK(!is_fast(57));
  return CHECK_DONE();
}

static void test_tunables(void) {
  char *argv[] = {"test_hooks_fastbins", "tunables", NULL};
  char *envp[] = {"GLIBC_TUNABLES=glibc.malloc.mxfast=64", NULL};
  pid_t pid;
  CHECK_EQ_INT(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, envp), 0);
  int status = 0;
  CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
  tm_shadow_thread_init();
  if (argc > 1 && strcmp(argv[1], "tunables") == 0)
    return tunables_child();
  test_default_limit();
  test_program_mallopt();
  test_tunables();
  return CHECK_DONE();
}

#else

int main(void) { return CHECK_DONE(); } /* the sanitizer's allocator */

#endif
