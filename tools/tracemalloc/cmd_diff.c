/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_diff.c - `tracemalloc diff OLD NEW`: str(StatisticDiff) lines of
 * NEW.compare_to(OLD, key, cumulative), in CPython's order.
 *
 * Design: the filters apply to both snapshots before comparing (as a Python
 * user would filter_traces each one); the rest is the library's.
 */
#include "cli.h"

int cmd_diff(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  // CPython prints names raw; so do we, except to a terminal.
  cli_escape_stdout(false);
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  tm_snapshot_t *old_snap = NULL, *new_snap = NULL;
  tm_statistic_diffs_t *d = NULL;
  rc = cli_load_pair(o.args[0], o.args[1], &o, &old_snap, &new_snap);
  if (rc == CLI_OK && tm_snapshot_compare_to(new_snap, old_snap, o.key,
                                             o.cumulative, &d) != TM_OK)
    rc = cli_error(CLI_FAILURE, "%s: %s", o.args[1], tm_error_message());
  if (rc == CLI_OK) {
    size_t n = tm_statistic_diffs_count(d);
    const tm_statistic_diff_t *items = tm_statistic_diffs_items(d);
    if (o.has_limit && o.limit < n)
      n = o.limit;
    for (size_t i = 0; i < n; i++)
      puts(cli_statistic_diff(&items[i]));
    rc = cli_finish_output(stdout, "<stdout>");
  }
  tm_statistic_diffs_free(d);
  tm_snapshot_free(new_snap);
  tm_snapshot_free(old_snap);
  cli_opts_free(&o);
  return rc;
}
