/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
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
  static const tm_key_t key = TM_KEY_TRACEBACK;
  cli_report_t r;
  int rc = cli_report_begin(cmd, argc, argv, &key, &r);
  tm_snapshot_t *snap = r.snap;
  tm_statistics_t *st = r.stats;
  const cli_opts_t *op = &r.opts;
  if (rc == CLI_OK) {
    print_summary(snap, st);
    size_t n = tm_statistics_count(st);
    if (op->has_limit && op->limit < n)
      n = op->limit;
    const tm_statistic_t *items = tm_statistics_items(st);
    for (size_t i = 0; i < n; i++) {
      putchar('\n');
      cli_print_group(i + 1, &items[i]);
    }
    rc = cli_finish_output(stdout, "<stdout>");
  }
  return cli_report_end(&r, rc);
}
