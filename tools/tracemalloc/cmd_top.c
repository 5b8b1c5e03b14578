/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_top.c - `tracemalloc top SNAP`: a short summary of the snapshot and the
 * biggest allocation lines with their source, in the spirit of the
 * "display_top" recipe of CPython's documentation.
 *
 * Output (the form is ours; the statistic lines are str(Statistic)):
 *
 *   Snapshot: ./server (pid 4242), 2026-11-21 04:42:48 UTC
 *   Traced memory: current 1.5 MiB, peak 2.0 MiB
 *   Traces: 1234 (dropped: 0), traceback limit 25
 *   Runtime memory: 512 KiB
 *
 *   Top 10 lines:
 *   #1: src/a.c:12: size=10.0 KiB, count=3, average=3413 B
 *     File "src/a.c", line 12, in read_request
 *       buf = malloc(n);
 *   #2: lib.py:3: size=1024 B, count=1, average=1024 B
 *       data = bytearray(1024)          (no function name: source only)
 *   ...
 *   5 other: size=120 B, count=5
 *   Total: size=12.3 KiB, count=40
 *
 * A peak snapshot (tm_take_peak_snapshot: tm_snapshot_info_t's
 * peak_live_set) gets a "Live set: at the peak (...)" line after the first,
 * and its traced memory reads "Traced memory when the snapshot was taken":
 * the traces are the peak's live set, the figures the process's at the
 * snapshot's time (its current is not the traces' total).
 *
 * Values the snapshot does not know (JSON input) print as "unknown". The
 * summary describes the whole snapshot; the lines and totals come after the
 * FILTERS.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void print_summary(const tm_snapshot_t *snap, size_t ntraces) {
  tm_snapshot_info_t info = {.size = sizeof info};
  tm_snapshot_get_info(snap, &info);
  const char *program =
      info.program && *info.program ? info.program : "<unknown program>";
  printf("Snapshot: %s", program);
  if (info.pid >= 0)
    printf(" (pid %lld)", (long long)info.pid);
  if (info.time_ns > 0) {
    time_t t = (time_t)(info.time_ns / 1000000000);
    struct tm tm;
    char when[64];
    if (gmtime_r(&t, &tm) &&
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm))
      printf(", %s", when);
  }
  putchar('\n');
  // A peak snapshot's traces are not those of the time above, its traced
  // memory is: say which is which.
  if (info.peak_live_set)
    puts("Live set: at the peak (the traces below are the blocks live when "
         "the traced memory last reached its peak, not when the snapshot "
         "was taken)");
  const char *when = info.peak_live_set ? " when the snapshot was taken" : "";
  if (info.has_traced_memory) {
    printf("Traced memory%s: current %s", when,
           cli_size((double)info.traced_current, false));
    printf(", peak %s\n", cli_size((double)info.traced_peak, false));
  } else {
    printf("Traced memory%s: unknown\n", when);
  }
  // A JSON snapshot carries no runtime info: say "unknown", not 0.
  bool known =
      (info.program && *info.program) || info.pid >= 0 || info.time_ns > 0;
  printf("Traces: %zu (dropped: ", ntraces);
  if (known)
    printf("%llu", (unsigned long long)info.dropped_traces);
  else
    printf("unknown");
  printf("), traceback limit %d\n", tm_snapshot_traceback_limit(snap));
  if (info.tracemalloc_memory)
    printf("Runtime memory: %s\n",
           cli_size((double)info.tracemalloc_memory, false));
  else
    puts("Runtime memory: unknown");
  if (info.dropped_traces)
    puts("Warning: some allocations could not be traced; the statistics "
         "below miss them.");
}

static void print_lines(const tm_statistics_t *st, size_t limit) {
  size_t n = tm_statistics_count(st);
  const tm_statistic_t *items = tm_statistics_items(st);
  size_t shown = n < limit ? n : limit;
  printf("\nTop %zu lines:\n", shown);
  uint64_t total_size = 0, total_count = 0, other_size = 0, other_count = 0;
  for (size_t i = 0; i < n; i++) {
    total_size += items[i].size;
    total_count += items[i].count;
    if (i >= shown) {
      other_size += items[i].size;
      other_count += items[i].count;
      continue;
    }
    printf("#%zu: %s\n", i + 1, cli_statistic(&items[i]));
    // With a function name, the frame as the traceback report shows it;
    // without one (a snapshot from Python), "File" would only repeat the
    // statistic's file:line, so only the source line.
    const tm_traceback_t *tb = items[i].traceback;
    bool named = tm_traceback_length(tb) &&
                 tm_traceback_frames(tb)[0].function &&
                 *tm_traceback_frames(tb)[0].function;
    char *frame = cli_frame_lines(tb);
    const char *nl = frame ? strchr(frame, '\n') : NULL;
    if (named)
      cli_print_lines_cut(frame);
    else if (nl)
      cli_print_lines_cut(nl + 1);
    free(frame);
  }
  if (n > shown)
    printf("%zu other: size=%s, count=%llu\n", n - shown,
           cli_size((double)other_size, false),
           (unsigned long long)other_count);
  printf("Total: size=%s, count=%llu\n", cli_size((double)total_size, false),
         (unsigned long long)total_count);
}

int cmd_top(const cli_command_t *cmd, int argc, char **argv) {
  static const tm_key_t key = TM_KEY_LINENO;
  cli_report_t r;
  cli_escape_stdout(true);
  int rc = cli_report_begin(cmd, argc, argv, &key, &r);
  tm_snapshot_t *snap = r.snap;
  tm_statistics_t *st = r.stats;
  const cli_opts_t *op = &r.opts;
  if (rc == CLI_OK) {
    print_summary(snap, tm_snapshot_count(snap));
    print_lines(st, cli_group_limit(op, 10));
    rc = cli_finish_output(stdout, "<stdout>");
  }
  return cli_report_end(&r, rc);
}
