/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_leaks_class.c - `tracemalloc leaks SNAP` for a dump written with
 * TRACEMALLOC_LEAKS=1: the reachability classification the runtime made at
 * exit (runtime/core/leak_scan.c), instead of every live block:
 *
 *   Leak summary: 96 B definitely lost in 2 blocks, 64 B indirectly lost
 *   in 2 blocks (./demo, pid 4242)
 *   Still reachable: 1.0 KiB in 1 block (not listed; --reachable)
 *
 *   Definitely lost #1: size=32 B, count=1, average=32 B
 *     File "demo.c", line 12
 *   ...
 *
 * Definitely lost groups first, then indirectly lost, then (--reachable)
 * reachable, each biggest first, at most --limit groups in all (10 by
 * default). Filters keep the classification's records whose traceback
 * they keep (runtime/snapshot/filter.c), as they keep traces.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cli.h"
#include "snapshot.h"
#include "suppress.h"

static const char *const kind_name[] = {"", "Definitely lost",
                                        "Indirectly lost", "Reachable"};

int cli_leaks_classified(const tm_snapshot_t *snap, const cli_opts_t *op,
                         struct cli_suppress *sup) {
  size_t n;
  const tm_leak_rec_t *recs = tm_snapshot_leaks(snap, &n);
  if (!recs)
    return -1;
  tm_leak_rec_t *r = malloc((n ? n : 1) * sizeof *r);
  if (!r)
    return cli_error(CLI_FAILURE, "out of memory");
  uint64_t bytes[4] = {0}, blocks[4] = {0}, suppressed_lost = 0;
  size_t shown = 0;
  if (sup)
    cli_suppress_reset(sup);
  for (size_t i = 0; i < n; i++) {
    // Suppressions apply to what the report lists: the reachable blocks
    // only with --reachable (else they would count as suppressed leaks).
    bool listed = recs[i].kind != TM_LEAK_REACHABLE || op->reachable;
    int left_out = sup && listed
                       ? cli_suppress_record(sup, recs[i].tb, recs[i].blocks,
                                             recs[i].bytes)
                       : 0;
    if (left_out < 0) {
      free(r);
      return CLI_FAILURE;
    }
    if (left_out) {
      suppressed_lost += recs[i].kind != TM_LEAK_REACHABLE;
      continue;
    }
    bytes[recs[i].kind & 3] += recs[i].bytes;
    blocks[recs[i].kind & 3] += recs[i].blocks;
    if (recs[i].kind != TM_LEAK_REACHABLE || op->reachable)
      r[shown++] = recs[i];
  }
  qsort(r, shown, sizeof *r, tm_leak_rec_report_order);
  tm_snapshot_info_t info = {.size = sizeof info};
  tm_snapshot_get_info(snap, &info);
  if (blocks[TM_LEAK_DIRECT] + blocks[TM_LEAK_INDIRECT] == 0) {
    // Say why nothing is listed: suppressions or filters may be the reason.
    printf("%s", suppressed_lost ? "No leaks: every lost block was "
                                   "suppressed."
                 : op->filters.count
                     ? "No leaks in the blocks the filters keep."
                     : "No leaks: every traced block was reachable at exit.");
  } else {
    printf("Leak summary: %s definitely lost in %llu block%s",
           cli_size((double)bytes[TM_LEAK_DIRECT], false),
           (unsigned long long)blocks[TM_LEAK_DIRECT],
           blocks[TM_LEAK_DIRECT] == 1 ? "" : "s");
    printf(", %s indirectly lost in %llu block%s",
           cli_size((double)bytes[TM_LEAK_INDIRECT], false),
           (unsigned long long)blocks[TM_LEAK_INDIRECT],
           blocks[TM_LEAK_INDIRECT] == 1 ? "" : "s");
  }
  if (info.program && *info.program && info.pid >= 0)
    printf(" (%s, pid %lld)", info.program, (long long)info.pid);
  putchar('\n');
  printf("Still reachable: %s in %llu block%s%s\n",
         cli_size((double)bytes[TM_LEAK_REACHABLE], false),
         (unsigned long long)blocks[TM_LEAK_REACHABLE],
         blocks[TM_LEAK_REACHABLE] == 1 ? "" : "s",
         op->reachable ? "" : " (not listed; --reachable)");
  if (sup)
    cli_suppress_print(sup);
  if (info.dropped_traces)
    printf("Warning: %llu allocations were not traced (the runtime ran out of "
           "memory); their leaks, if any, are not listed.\n",
           (unsigned long long)info.dropped_traces);
  size_t limit = cli_group_limit(op, 10);
  for (size_t i = 0; i < shown && i < limit; i++) {
    tm_statistic_t st = {.traceback = r[i].tb,
                         .size = (size_t)r[i].bytes,
                         .count = (size_t)r[i].blocks};
    printf("\n%s ", kind_name[r[i].kind & 3]);
    cli_print_group(i + 1, &st);
  }
  if (shown > limit)
    printf("\n... %zu more traceback%s not shown (--limit N or --limit "
           "all)\n",
           shown - limit, shown - limit == 1 ? "" : "s");
  free(r);
  return cli_finish_output(stdout, "<stdout>");
}
