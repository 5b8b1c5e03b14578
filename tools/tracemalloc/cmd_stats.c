/* cmd_stats.c - `tracemalloc stats SNAP`: str(Statistic) lines of
 * Snapshot.statistics(key, cumulative), in CPython's order.
 *
 * Design: everything CPython-specific (grouping, cumulative counting, the
 * descending (size, count, traceback) order, the text) is the library's; the
 * command only loads, filters, and prints up to --limit lines.
 */
#include "cli.h"

int cmd_stats(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  tm_snapshot_t *snap = NULL;
  tm_statistics_t *st = NULL;
  rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK &&
      tm_snapshot_statistics(snap, o.key, o.cumulative, &st) != TM_OK)
    rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
  if (rc == CLI_OK) {
    size_t n = tm_statistics_count(st);
    const tm_statistic_t *items = tm_statistics_items(st);
    if (o.has_limit && o.limit < n)
      n = o.limit;
    for (size_t i = 0; i < n; i++)
      puts(cli_statistic(&items[i]));
    rc = cli_finish_output(stdout, "<stdout>");
  }
  tm_statistics_free(st);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
