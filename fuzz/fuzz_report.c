/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_report.c - libFuzzer target for the report commands themselves:
 * every input the loader accepts goes through `stats` (each key,
 * cumulative), `diff` (the snapshot against itself), `top` (default and
 * --limit all), `traceback` (default limit and --limit all), `leaks`
 * (default, --all-domains, --suppress with a file of patterns that match
 * file names, function names and file:line) and `flamegraph` (by function and
 * bytes, and --by-line --weight blocks), `timeline` (ASCII and -o SVG),
 * `history` (every sort and key, cumulative), `peak`, `threads`, and
 * `--thread` by id and by name (history and peak too), exactly as the CLI
 * runs them (the
 * cmd_* functions with an argv), so the grouping, the human printers with their
 * bounds and escaping (function names included), the suppressions and the flame
 * graph's tree are fuzzed on loaded snapshots. An input the loader refuses is
 * used as a suppression file instead (`leaks --suppress INPUT` on a fixed
 * snapshot with C and C++ names), so the suppression parser and its matching
 * are fuzzed too. Error lines go to /dev/null (stderr is swapped around each
 * command; sanitizer reports write to fd 2 directly and are not affected). The
 * input is handed over as a file (a memfd: /proc/self/fd/N); stdout goes to
 * /dev/null, the flame graph to a scratch directory. A command may fail (exit 1
 * or 2) but must never crash, and must return 0, 1 or 2. Seeds:
 * corpus/fuzz_report (the loader's seeds; history-threads.tmd has a
 * history whose records carry their threads). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The commands as main.c declares them (only the fields the run uses). */
static const cli_command_t cmds[] = {
    {"stats", "", "", "", OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS, 1,
     1, cmd_stats},
    {"diff", "", "", "", OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS, 2,
     2, cmd_diff},
    {"top", "", "", "", OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_top},
    {"traceback", "", "", "", OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_traceback},
    {"leaks", "", "", "",
     OPT_LIMIT | OPT_FILTERS | OPT_ALL_DOMAINS | OPT_SUPPRESS, 1, 1, cmd_leaks},
    {"flamegraph", "", "", "",
     OPT_OUTPUT | OPT_TITLE | OPT_WIDTH | OPT_FILTERS | OPT_BY_LINE |
         OPT_WEIGHT,
     1, 1, cmd_flamegraph},
    {"timeline", "", "", "", OPT_OUTPUT, 1, 1, cmd_timeline},
    {"history", "", "", "",
     OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS | OPT_SORT, 1, 1,
     cmd_history},
    {"peak", "", "", "", OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS, 1,
     1, cmd_peak},
    {"threads", "", "", "", OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_threads},
};

static char dir[128], svg[256], supp[256], snap[256];
static FILE *devnull;

/* The snapshot the fuzzed suppression files are applied to. */
static const char snap_text[] =
    "{\"format\": \"tracemalloc-json\", \"version\": 1, "
    "\"traceback_limit\": 5, \"traces\": ["
    "{\"domain\": 0, \"size\": 400, \"traceback\": [[\"/src/app/parser.cc\", "
    "20], [\"/src/app/main.cc\", 37]], \"total_nframe\": 2, \"functions\": "
    "[\"app::newNode(char const*)\", \"main\"]},"
    "{\"domain\": 3, \"size\": 96, \"traceback\": [[\"/src/app/pool.h\", 12], "
    "[\"/src/app/main.cc\", 39]], \"total_nframe\": 2, \"functions\": "
    "[\"double* app::Pool<double>::make<double>()\", null]},"
    "{\"domain\": 0, \"size\": 40, \"traceback\": [[\"caf\\u00e9.c\", 0]], "
    "\"total_nframe\": 1}]}";

/* Patterns of every kind: file names, function names (C and demangled
 * C++), file:line, sets; a blank line and a comment. */
static const char supp_text[] = "# fuzz_report's suppressions\n"
                                "  *a.c  \n"
                                "main\n"
                                "*::*(*)\n"
                                "*.c:1*\n"
                                "[a-c]*.h\n"
                                "\n";

static void cleanup(void) {
  unlink(svg);
  unlink(supp);
  unlink(snap);
  rmdir(dir);
}

static void init(void) {
  static int done;
  if (done)
    return;
  done = 1;
  if (!freopen("/dev/null", "w", stdout))
    abort();
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(dir, sizeof dir, "%s/fuzz_report.XXXXXX", base);
  if (!mkdtemp(dir))
    abort();
  snprintf(svg, sizeof svg, "%s/out.svg", dir);
  snprintf(supp, sizeof supp, "%s/fuzz.supp", dir);
  snprintf(snap, sizeof snap, "%s/snap.json", dir);
  FILE *f = fopen(supp, "w");
  if (!f || fputs(supp_text, f) < 0 || fclose(f) != 0)
    abort();
  f = fopen(snap, "w");
  if (!f || fputs(snap_text, f) < 0 || fclose(f) != 0)
    abort();
  if (!(devnull = fopen("/dev/null", "w")))
    abort();
  atexit(cleanup);
}

static void run(const cli_command_t *c, int argc, const char **argv) {
  FILE *err = stderr;
  stderr = devnull;
  int rc = c->run(c, argc, (char **)argv);
  stderr = err;
  FUZZ_ASSERT(rc == 0 || rc == 1 || rc == 2);
}

/* The input as a file: /proc/self/fd/N of a memfd (closed by the caller),
 * or -1. */
static int as_file(const uint8_t *data, size_t size, char *path, size_t n) {
  int fd = memfd_create("fuzz_report", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  if (write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return -1;
  }
  snprintf(path, n, "/proc/self/fd/%d", fd);
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  init();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  char path[64];
  // Only what the loader accepts is worth running the commands on; the
  // rest is a suppression file.
  tm_snapshot_t *s = NULL;
  if (tm_snapshot_load_buffer(data, size, "fuzz", &s) != TM_OK) {
    int fd = as_file(data, size, path, sizeof path);
    if (fd < 0)
      return 0;
    const char *sup[] = {"leaks",         snap, "--suppress", path,
                         "--all-domains", NULL};
    run(&cmds[4], 5, sup);
    close(fd);
    return 0;
  }
  tm_snapshot_free(s);
  int fd = as_file(data, size, path, sizeof path);
  if (fd < 0)
    return 0;
  static const char *const keys[] = {"lineno", "filename", "traceback"};
  for (int k = 0; k < 3; k++) {
    const char *a[] = {"stats", path, "--key", keys[k], NULL};
    run(&cmds[0], 4, a);
  }
  const char *cum[] = {"stats", path, "--cumulative", NULL};
  run(&cmds[0], 3, cum);
  const char *diff[] = {"diff", path, path, "--key", "traceback", NULL};
  run(&cmds[1], 5, diff);
  const char *top[] = {"top", path, NULL};
  run(&cmds[2], 2, top);
  const char *top_all[] = {"top", path, "--limit", "all", NULL};
  run(&cmds[2], 4, top_all);
  const char *tb[] = {"traceback", path, NULL};
  run(&cmds[3], 2, tb);
  const char *tb_all[] = {"traceback", path, "--limit", "all", NULL};
  run(&cmds[3], 4, tb_all);
  const char *leaks[] = {"leaks", path, NULL};
  run(&cmds[4], 2, leaks);
  const char *leaks_all[] = {"leaks",   path,  "--all-domains",
                             "--limit", "all", NULL};
  run(&cmds[4], 5, leaks_all);
  const char *leaks_supp[] = {"leaks",         path, "--suppress", supp,
                              "--all-domains", NULL};
  run(&cmds[4], 5, leaks_supp);
  const char *flame[] = {"flamegraph", path, "-o", svg, "--width", "300", NULL};
  run(&cmds[5], 6, flame);
  const char *flame_lines[] = {"flamegraph", path,       "-o",     svg,
                               "--by-line",  "--weight", "blocks", NULL};
  run(&cmds[5], 7, flame_lines);
  const char *timeline[] = {"timeline", path, NULL};
  run(&cmds[6], 2, timeline);
  const char *timeline_svg[] = {"timeline", path, "-o", svg, NULL};
  run(&cmds[6], 4, timeline_svg);
  static const char *const sorts[] = {"calls", "allocated", "temporary",
                                      "peak"};
  for (int k = 0; k < 4; k++) {
    const char *h[] = {"history", path,        "--sort", sorts[k],
                       "--key",   keys[k % 3], NULL};
    run(&cmds[7], 6, h);
  }
  const char *hist_cum[] = {"history", path,  "--cumulative",
                            "--limit", "all", NULL};
  run(&cmds[7], 5, hist_cum);
  const char *peak[] = {"peak", path, "--key", "traceback", NULL};
  run(&cmds[8], 4, peak);
  const char *peak_cum[] = {"peak", path, "--cumulative", NULL};
  run(&cmds[8], 3, peak_cum);
  const char *threads[] = {"threads", path, "--limit", "all", NULL};
  run(&cmds[9], 4, threads);
  // A thread filter by id and by name, on the commands that take one.
  const char *by_id[] = {"stats", path, "--thread", "1", NULL};
  run(&cmds[0], 4, by_id);
  const char *by_name[] = {"top", path, "--thread", "main", NULL};
  run(&cmds[2], 4, by_name);
  // The history's thread filter (the records carry their thread): by name
  // and by id, with a second thread (an include of either).
  const char *hist_thread[] = {"history", path,       "--thread",
                               "parser",  "--thread", "1",
                               "--key",   "filename", NULL};
  run(&cmds[7], 8, hist_thread);
  const char *peak_thread[] = {"peak", path, "--thread", "writer", NULL};
  run(&cmds[8], 4, peak_thread);
  close(fd);
  return 0;
}
