/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_cli_filter_args.c - the CLI's FILTERS parser (tools/tracemalloc/
 * filter_args.c): GLOB[:LINE] splitting on the LAST ':' only when it is
 * followed by digits, domains, range checks, --all-frames, and the reasons
 * given for every rejection. */
#include <limits.h>
#include <string.h>

#include "check.h"
#include "filter_args.h"

static void glob_case(const char *value, const char *pattern, int lineno) {
  cli_filters_t f = {0};
  char err[256] = "";
  CHECK_EQ_INT(cli_filters_add(&f, "--include", value, err, sizeof err), 0);
  if (f.count == 1) {
    CHECK_EQ_STR(f.items[0].filename_pattern, pattern);
    CHECK_EQ_INT(f.items[0].lineno, lineno);
    CHECK_EQ_INT(f.items[0].kind, TM_FILTER_FILENAME);
    CHECK(f.items[0].inclusive);
    CHECK(!f.items[0].all_frames);
    CHECK(!f.items[0].has_domain);
  }
  cli_filters_free(&f);
}

static void reject(const char *option, const char *value, const char *why) {
  cli_filters_t f = {0};
  char err[256] = "";
  CHECK_EQ_INT(cli_filters_add(&f, option, value, err, sizeof err), -1);
  CHECK_EQ_STR(err, why);
  CHECK_EQ_INT(f.count, 0);
  cli_filters_free(&f);
}

int main(void) {
  glob_case("a.c", "a.c", TM_LINENO_ANY);
  glob_case("a.c:12", "a.c", 12);
  glob_case("a.c:0", "a.c", 0);
  glob_case("a:b.c", "a:b.c", TM_LINENO_ANY);
  glob_case("weird:12:5", "weird:12", 5);
  glob_case("x.c:", "x.c:", TM_LINENO_ANY);
  glob_case("x.c:1a", "x.c:1a", TM_LINENO_ANY);
  glob_case("x.c: 1", "x.c: 1", TM_LINENO_ANY);
  glob_case("x.c:+1", "x.c:+1", TM_LINENO_ANY);
  glob_case(":7", "", 7);
  glob_case("::7", ":", 7);
  glob_case("123", "123", TM_LINENO_ANY);
  glob_case("", "", TM_LINENO_ANY);
  glob_case("*:2147483647", "*", INT_MAX);
  glob_case("C:\\src\\a.c:3", "C:\\src\\a.c", 3);

  reject("--include", "a.c:2147483648",
         "line number out of range in 'a.c:2147483648' (at most 2147483647)");
  reject("--exclude", "a.c:99999999999999999999999",
         "line number out of range in 'a.c:99999999999999999999999' (at most "
         "2147483647)");
  reject("--include-domain", "",
         "invalid domain '': expected an integer in "
         "[0; 4294967295]");
  reject("--include-domain", "-1",
         "invalid domain '-1': expected an integer "
         "in [0; 4294967295]");
  reject("--exclude-domain", "0x10",
         "invalid domain '0x10': expected an "
         "integer in [0; 4294967295]");
  reject("--exclude-domain", "4294967296",
         "invalid domain '4294967296': "
         "expected an integer in [0; 4294967295]");
  reject("--frob", "x", "unknown filter option '--frob'");

  cli_filters_t f = {0};
  char err[256];
  CHECK_EQ_INT(cli_filters_add(&f, "--exclude", "a.c:3", err, sizeof err), 0);
  CHECK_EQ_INT(
      cli_filters_add(&f, "--include-domain", "4294967295", err, sizeof err),
      0);
  CHECK_EQ_INT(cli_filters_add(&f, "--exclude-domain", "007", err, sizeof err),
               0);
  f.all_frames = true;
  cli_filters_finish(&f);
  CHECK_EQ_INT(f.count, 3);
  CHECK(!f.items[0].inclusive && f.items[0].all_frames);
  CHECK(f.items[1].kind == TM_FILTER_DOMAIN && f.items[1].inclusive &&
        f.items[1].domain == 4294967295u && !f.items[1].all_frames);
  CHECK(f.items[2].kind == TM_FILTER_DOMAIN && !f.items[2].inclusive &&
        f.items[2].domain == 7);
  cli_filters_free(&f);
  CHECK(cli_filter_option_takes_value("--include"));
  CHECK(!cli_filter_option_takes_value("--all-frames"));
  return CHECK_DONE();
}
