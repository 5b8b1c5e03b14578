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
      tm_snapshot_statistics(snap, TM_KEY_TRACEBACK, false, &st) != TM_OK)
    rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
  if (rc == CLI_OK) {
    size_t n = tm_statistics_count(st), limit = o.has_limit ? o.limit : 10;
    size_t shown = n < limit ? n : limit;
    const tm_statistic_t *items = tm_statistics_items(st);
    printf("Top %zu tracebacks (of %zu):\n", shown, n);
    for (size_t i = 0; i < shown; i++) {
      cli_print_group(i + 1, &items[i]);
      char *text = NULL;
      if (tm_traceback_format(items[i].traceback, false, 0, true, &text) ==
              TM_OK &&
          text) {
        if (*text)
          puts(text);
        tm_free(text);
      }
    }
    rc = cli_finish_output(stdout, "<stdout>");
  }
  tm_statistics_free(st);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
