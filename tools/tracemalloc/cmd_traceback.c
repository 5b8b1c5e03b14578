/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_traceback.c - `tracemalloc traceback SNAP`: the biggest traceback
 * groups (Snapshot.statistics('traceback')), each followed by
 * Traceback.format(most_recent_first=True), like the "get the traceback of a
 * memory block" recipe of CPython's documentation:
 *
 *   Top 2 tracebacks (of 4):
 *   #1: size=66 B, count=1, average=66 B
 *     File "b.py", line 1
 *   #2: size=30 B, count=3, average=10 B
 *     File "a.py", line 2
 *     File "b.py", line 4
 *
 * (A header line is not str(Statistic): that would show the oldest frame,
 * which for a traceback group says little.)
 */
#include "cli.h"

int cmd_traceback(const cli_command_t *cmd, int argc, char **argv) {
  static const tm_key_t key = TM_KEY_TRACEBACK;
  cli_report_t r;
  cli_escape_stdout(true);
  int rc = cli_report_begin(cmd, argc, argv, &key, &r);
  tm_statistics_t *st = r.stats;
  const cli_opts_t *op = &r.opts;
  if (rc == CLI_OK) {
    size_t n = tm_statistics_count(st), limit = cli_group_limit(op, 10);
    size_t shown = n < limit ? n : limit;
    const tm_statistic_t *items = tm_statistics_items(st);
    printf("Top %zu tracebacks (of %zu):\n", shown, n);
    for (size_t i = 0; i < shown; i++) {
      cli_print_group(i + 1, &items[i]);
    }
    rc = cli_finish_output(stdout, "<stdout>");
  }
  return cli_report_end(&r, rc);
}
