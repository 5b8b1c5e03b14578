/* cmd_leaks.c - `tracemalloc leaks SNAP`: for a dump written at exit
 * (TRACEMALLOC_DUMP), everything still allocated, grouped by traceback,
 * largest first, each with its full traceback (most recent call first):
 *
 *   Leak summary: 5002 B in 2 blocks from 1 traceback (./server, pid 4242)
 *
 *   #1: size=5002 B, count=2, average=2501 B
 *     File "a.c", line 5
 *       p = malloc(n);
 *     File "b.c", line 4
 *
 * or "No leaks: no traced block was still allocated." Dropped traces are
 * reported, since blocks that were never traced cannot be listed.
 */
#include "cli.h"

static void print_summary(const tm_snapshot_t *snap,
                          const tm_statistics_t *st) {
  size_t n = tm_statistics_count(st);
  const tm_statistic_t *items = tm_statistics_items(st);
  uint64_t size = 0, count = 0;
  for (size_t i = 0; i < n; i++) {
    size += items[i].size;
    count += items[i].count;
  }
  tm_snapshot_info_t info = {.size = sizeof info};
  tm_snapshot_get_info(snap, &info);
  if (n == 0)
    printf("No leaks: no traced block was still allocated.");
  else
    printf("Leak summary: %s in %llu block%s from %zu traceback%s",
           cli_size((double)size, false), (unsigned long long)count,
           count == 1 ? "" : "s", n, n == 1 ? "" : "s");
  if (info.program && *info.program && info.pid >= 0)
    printf(" (%s, pid %lld)", info.program, (long long)info.pid);
  putchar('\n');
  if (info.dropped_traces)
    printf("Warning: %llu allocations were not traced (the runtime ran out of "
           "memory); their leaks, if any, are not listed.\n",
           (unsigned long long)info.dropped_traces);
}

int cmd_leaks(const cli_command_t *cmd, int argc, char **argv) {
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
    print_summary(snap, st);
    size_t n = tm_statistics_count(st);
    if (o.has_limit && o.limit < n)
      n = o.limit;
    const tm_statistic_t *items = tm_statistics_items(st);
    for (size_t i = 0; i < n; i++) {
      putchar('\n');
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
