/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_env.c - TRACEMALLOC and TRACEMALLOC_DUMP, read at start-up:
 * the test re-executes itself with a given environment and checks what the
 * child reports on stdout and writes on stderr (exactly one warning line
 * for an invalid value), and the dump file written at exit ("%p" -> pid). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core.h"
#include "tracemalloc.h"

typedef struct result {
  char out[512], err[1024];
  int status;
  pid_t pid;
} result_t;

static void slurp(int fd, char *buf, size_t len) {
  size_t n = 0;
  ssize_t r;
  while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = '\0';
  close(fd);
}

/* Run this program as "child" with env (NULL-terminated "K=V" strings). */
static void run(result_t *r, const char *const *env) {
  int out[2], err[2];
  if (pipe(out) || pipe(err))
    abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  char *argv[] = {"test_core_env", "child", NULL};
  if (posix_spawn(&r->pid, "/proc/self/exe", &fa, NULL, argv,
                  (char *const *)env) != 0)
    abort();
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  slurp(out[0], r->out, sizeof r->out); // small outputs: no pipe deadlock
  slurp(err[0], r->err, sizeof r->err);
  waitpid(r->pid, &r->status, 0);
}

static int child(void) {
  printf("tracing=%d limit=%d\n", tm_is_tracing(), tm_get_traceback_limit());
  tm_track(3, 0x1000, 123);
  if (getenv("TM_TEST_STOP"))
    tm_stop();
  return 0;
}

static void expect_value(const char *value, const char *out, const char *err) {
  char var[128];
  snprintf(var, sizeof var, "TRACEMALLOC=%s", value);
  const char *env[] = {var, NULL};
  result_t r;
  run(&r, value ? env : env + 1);
  if (strcmp(r.out, out) != 0 || strcmp(r.err, err) != 0)
    fprintf(stderr, "TRACEMALLOC=%s: out [%s] err [%s]\n",
            value ? value : "(unset)", r.out, r.err);
  CHECK_EQ_STR(r.out, out);
  CHECK_EQ_STR(r.err, err);
  CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
}

#define OFF "tracing=0 limit=1\n"
#define INVALID(v)                                                             \
  "tracemalloc: warning: TRACEMALLOC=" v                                       \
  ": invalid number of frames, tracing stays off\n"

static void test_values(void) {
  expect_value(NULL, OFF, "");
  expect_value("", OFF, "");
  expect_value("0", OFF, "");
  expect_value("1", "tracing=1 limit=1\n", "");
  expect_value("25", "tracing=1 limit=25\n", "");
  expect_value("65535", "tracing=1 limit=65535\n", "");
  expect_value(" 5", "tracing=1 limit=5\n", ""); // strtol, like CPython
  expect_value("+5", "tracing=1 limit=5\n", "");
  expect_value("007", "tracing=1 limit=7\n", "");
  expect_value("abc", OFF, INVALID("abc"));
  expect_value("5 ", OFF, INVALID("5 "));
  expect_value("0x10", OFF, INVALID("0x10"));
  expect_value("-1", OFF, INVALID("-1"));
  expect_value("+", OFF, INVALID("+"));
  expect_value("99999999999999999999", OFF, INVALID("99999999999999999999"));
  expect_value("2147483648", OFF, INVALID("2147483648"));
  expect_value("a\nb", OFF, INVALID("a?b")); // still one line
  expect_value("65536", OFF,
               "tracemalloc: warning: TRACEMALLOC=65536: the number of "
               "frames must be in range [1; 65535], tracing stays off\n");
}

static void test_parse(void) {
  CHECK_EQ_INT(tm_init_parse_nframe(NULL), 0);
  CHECK_EQ_INT(tm_init_parse_nframe(""), 0);
  CHECK_EQ_INT(tm_init_parse_nframe("-0"), 0);
  CHECK_EQ_INT(tm_init_parse_nframe("\t12"), 12);
  CHECK_EQ_INT(tm_init_parse_nframe("12abc"), -1);
  CHECK_EQ_INT(tm_init_parse_nframe(" "), -1);
  CHECK_EQ_INT(tm_init_parse_nframe("2147483647"), -2);
}

/* A child run with env, which dumps to /tmp/never-written.tmd with tracing
 * off at exit: one warning line giving `why`, and no file. */
static void expect_off_at_exit(const char *const *env, const char *why) {
  result_t r;
  run(&r, env);
  char want[256];
  snprintf(want, sizeof want,
           "tracemalloc: warning: TRACEMALLOC_DUMP=/tmp/never-written.tmd: "
           "tracing is off (%s), no snapshot written\n",
           why);
  CHECK_EQ_STR(r.err, want);
  CHECK(access("/tmp/never-written.tmd", F_OK) != 0);
}

static void test_dump(void) {
  char dir[] = "/tmp/tm-core-env-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char var[256], path[300];
  snprintf(var, sizeof var, "TRACEMALLOC_DUMP=%s/snap-%%p.json", dir);
  const char *env[] = {"TRACEMALLOC=3", var, NULL};
  result_t r;
  run(&r, env);
  CHECK_EQ_STR(r.err, "");
  snprintf(path, sizeof path, "%s/snap-%d.json", dir, (int)r.pid);
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_snapshot_load(path, &snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_traceback_limit(snap), 3);
  int found = 0;
  for (size_t i = 0; snap && i < tm_snapshot_count(snap); i++)
    found += tm_snapshot_traces(snap)[i].domain == 3 &&
             tm_snapshot_traces(snap)[i].size == 123;
  CHECK_EQ_INT(found, 1);
  tm_snapshot_free(snap);
  unlink(path);
  rmdir(dir);

  // An unwritable path: one warning line, normal exit; the variable's value
  // as set, then the error with the path it expanded to.
  const char *env2[] = {"TRACEMALLOC=1",
                        "TRACEMALLOC_DUMP=/nonexistent-dir/x-%p.tmd", NULL};
  run(&r, env2);
  char want[256];
  snprintf(want, sizeof want,
           "tracemalloc: warning: TRACEMALLOC_DUMP=/nonexistent-dir/x-%%p.tmd: "
           "/nonexistent-dir/x-%d.tmd: cannot create temporary file: No such "
           "file or directory, no snapshot written\n",
           (int)r.pid);
  CHECK_EQ_STR(r.err, want);
  CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
  // Not tracing at exit: a warning line too (nothing to snapshot), which
  // says what to do: set TRACEMALLOC, or (traced from the start and
  // stopped by the program) nothing TRACEMALLOC could change.
  const char *env3[] = {"TRACEMALLOC_DUMP=/tmp/never-written.tmd", NULL};
  expect_off_at_exit(env3, "set TRACEMALLOC=N to trace from the start");
  const char *env5[] = {"TRACEMALLOC=1",
                        "TRACEMALLOC_DUMP=/tmp/never-written.tmd",
                        "TM_TEST_STOP=1", NULL};
  expect_off_at_exit(env5, "the program stopped it with tm_stop");
  // An existing directory without the trailing '/': say how to ask for one.
  const char *env4[] = {"TRACEMALLOC=1", "TRACEMALLOC_DUMP=/tmp", NULL};
  run(&r, env4);
  CHECK_EQ_STR(r.err, "tracemalloc: warning: TRACEMALLOC_DUMP=/tmp: is a "
                      "directory (end it with / to write "
                      "/tmp/<program>.<pid>.tmd), no snapshot written\n");
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  test_parse();
  test_values();
  test_dump();
  return CHECK_DONE();
}
