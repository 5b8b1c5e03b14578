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
  if (rc == CLI_OK)
    rc = cli_print_statistics(r.stats, &r.opts);
  return cli_report_end(&r, rc);
}
