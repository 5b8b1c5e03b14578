/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_stats.c - `tracemalloc stats SNAP`: str(Statistic) lines of
 * Snapshot.statistics(key, cumulative), in CPython's order.
 *
 * Design: everything CPython-specific (grouping, cumulative counting, the
 * descending (size, count, traceback) order, the text) is the library's; the
 * command only loads, filters, and prints up to --limit lines.
 */
#include "cli.h"

int cmd_stats(const cli_command_t *cmd, int argc, char **argv) {
  cli_report_t r;
  // CPython prints names raw; so do we, except to a terminal.
  cli_escape_stdout(false);
  int rc = cli_report_begin(cmd, argc, argv, NULL, &r);
  tm_statistics_t *st = r.stats;
  const cli_opts_t *op = &r.opts;
  if (rc == CLI_OK) {
    size_t n = tm_statistics_count(st);
    const tm_statistic_t *items = tm_statistics_items(st);
    if (op->has_limit && op->limit < n)
      n = op->limit;
    for (size_t i = 0; i < n; i++)
      puts(cli_statistic(&items[i]));
    rc = cli_finish_output(stdout, "<stdout>");
  }
  return cli_report_end(&r, rc);
}
