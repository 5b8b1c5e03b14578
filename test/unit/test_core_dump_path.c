/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_dump_path.c - TRACEMALLOC_DUMP's template (dump_path.h): %p,
 * %n, %%, a directory ending in '/', and the length limits (PATH_MAX for
 * the whole path, NAME_MAX for each component). */
#include <limits.h>
#include <string.h>

#include "check.h"
#include "dump_path.h"

static const char *expand(const char *tmpl, long pid, unsigned long seq,
                          const char *program) {
  static char out[PATH_MAX];
  if (!tm_dump_path_expand(tmpl, pid, seq, program, out, sizeof out))
    return "(false)";
  return out;
}

static void test_expansions(void) {
  CHECK_EQ_STR(expand("x.tmd", 42, 0, "prog"), "x.tmd");
  CHECK_EQ_STR(expand("snap-%p.tmd", 42, 0, "prog"), "snap-42.tmd");
  CHECK_EQ_STR(expand("snap-%n.json", 42, 7, "prog"), "snap-7.json");
  CHECK_EQ_STR(expand("/d/%p/%n-%p-%n", 1234, 3, "prog"), "/d/1234/3-1234-3");
  CHECK_EQ_STR(expand("100%%-%p", 5, 0, "prog"), "100%-5");
  CHECK_EQ_STR(expand("%%p", 5, 0, "prog"), "%p");
  // Any other '%' is kept as it is, a trailing one too.
  CHECK_EQ_STR(expand("a%xb%", 5, 0, "prog"), "a%xb%");
  // A directory: <program>.<pid>.tmd inside it.
  CHECK_EQ_STR(expand("/tmp/dumps/", 99, 0, "wordfreq"),
               "/tmp/dumps/wordfreq.99.tmd");
  CHECK_EQ_STR(expand("out-%p/", 99, 0, "a.out"), "out-99/a.out.99.tmd");
  CHECK_EQ_STR(expand("/", 99, 0, "prog"), "/prog.99.tmd");
  CHECK_EQ_STR(expand("d/", 99, 0, ""), "d/program.99.tmd");
  CHECK_EQ_STR(expand("d/", 99, 0, NULL), "d/program.99.tmd");
  CHECK_EQ_STR(expand("", 1, 0, "prog"), "");
}

static void test_limits(void) {
  char tmpl[PATH_MAX + 8], want[PATH_MAX + 8];
  // The last component at NAME_MAX fits, one more byte does not.
  memset(tmpl, 0, sizeof tmpl);
  strcpy(tmpl, "/tmp/");
  memset(tmpl + 5, 'n', NAME_MAX);
  CHECK_EQ_STR(expand(tmpl, 1, 0, "p"), tmpl);
  tmpl[5 + NAME_MAX] = 'n';
  CHECK_EQ_STR(expand(tmpl, 1, 0, "p"), "(false)");
  // %p growing a component past NAME_MAX.
  memset(tmpl, 0, sizeof tmpl);
  memset(tmpl, 'n', NAME_MAX - 2);
  strcpy(tmpl + NAME_MAX - 2, "%p");
  CHECK_EQ_STR(expand(tmpl, 123, 0, "p"), "(false)");
  memcpy(want, tmpl, NAME_MAX - 2);
  strcpy(want + NAME_MAX - 2, "12");
  CHECK_EQ_STR(expand(tmpl, 12, 0, "p"), want);
  // The whole path: PATH_MAX - 1 bytes fit (components of 200 bytes).
  memset(tmpl, 0, sizeof tmpl);
  for (size_t i = 0; i < PATH_MAX - 1; i++)
    tmpl[i] = i % 201 == 0 ? '/' : 'd';
  CHECK_EQ_STR(expand(tmpl, 1, 0, "p"), tmpl);
  tmpl[PATH_MAX - 1] = 'd';
  CHECK_EQ_STR(expand(tmpl, 1, 0, "p"), "(false)");
  // A directory whose generated name would not fit.
  char small[16];
  CHECK(!tm_dump_path_expand("d/", 1, 0, "prog", small, 8));
  CHECK(tm_dump_path_expand("d/", 1, 0, "prog", small, 13)); // 12 + NUL
  CHECK_EQ_STR(small, "d/prog.1.tmd");
  CHECK(!tm_dump_path_expand("d/", 1, 0, "prog", small, 12));
}

int main(void) {
  test_expansions();
  test_limits();
  return CHECK_DONE();
}
