/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_peak.c - `tracemalloc peak SNAP`: what was live when the traced
 * memory last reached its peak, as `stats` prints a snapshot: one
 * str(Statistic) line per group, CPython's order. The peak's live set comes
 * from the snapshot's history (tm_snapshot_peak: per traceback, its bytes
 * and blocks at the peak, exact); FILTERS apply to the history first.
 */
#include "cli.h"

int cmd_peak(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  cli_escape_stdout(false);
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  o.reports_history = true;
  tm_snapshot_t *snap = NULL, *peak = NULL;
  tm_statistics_t *st = NULL;
  rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK && tm_snapshot_peak(snap, &peak) != TM_OK)
    rc = cli_error(CLI_USAGE, "%s: %s", o.args[0], tm_error_message());
  if (rc == CLI_OK &&
      tm_snapshot_statistics(peak, o.key, o.cumulative, &st) != TM_OK)
    rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
  if (rc == CLI_OK)
    rc = cli_print_statistics(st, &o);
  tm_statistics_free(st);
  tm_snapshot_free(peak);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
