/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_threads.c - `tracemalloc threads SNAP`: the live memory of each
 * thread that allocated while tracing, biggest first.
 *
 * Output (the form is ours; sizes are CPython's _format_size):
 *
 *   Threads: 3 (1 ended)
 *   #1: tid 4243 "parser": size=64.0 KiB, count=16, average=4096 B
 *   #2: tid 4244 "writer" (ended): size=1024 B, count=1, average=1024 B
 *   #3: tid 4242 "server": size=0 B, count=0
 *   No thread: size=40 B, count=1, average=40 B
 *   Total: size=65.0 KiB, count=18
 *
 * Every thread of the snapshot's table is listed, also those with no live
 * block (they allocated since tracing started and freed it all). Order:
 * size, then count, descending, then tid ascending. "No thread" sums the
 * traces whose thread is unknown (a snapshot built by hand, a thread past
 * the runtime's 4096 per clear, or a dump
 * written before threads were recorded); it is printed only when there are
 * some. The FILTERS apply first, so `threads SNAP --include '*db.c'`
 * splits the memory of the db*.c files by thread.
 *
 * Hook: when the snapshot carries per-traceback allocation counters
 * (issue 12 section 1, the history engineer's part), "calls=N" goes after
 * count in each line: per thread, the sum of the counters of the runtime
 * tracebacks of that thread (runtime tracebacks are per thread,
 * runtime/core/thread_registry.h, so the counters split by thread for
 * free). Add it in row_t and print_row.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct row {
  int64_t tid;
  const char *name;
  bool ended;
  uint64_t size, count;
} row_t;

static int row_order(const void *a, const void *b) {
  const row_t *x = a, *y = b;
  if (x->size != y->size)
    return x->size > y->size ? -1 : 1;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void print_sizes(uint64_t size, uint64_t count) {
  printf("size=%s, count=%llu", cli_size((double)size, false),
         (unsigned long long)count);
  if (count)
    printf(", average=%s", cli_size((double)size / (double)count, false));
  putchar('\n');
}

static void print_row(size_t index, const row_t *r) {
  printf("#%zu: tid %lld \"%s\"%s: ", index + 1, (long long)r->tid, r->name,
         r->ended ? " (ended)" : "");
  print_sizes(r->size, r->count);
}

int cmd_threads(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  cli_escape_stdout(true);
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK)
    return rc < 0 ? CLI_OK : rc;
  tm_snapshot_t *snap = NULL;
  rc = cli_load(o.args[0], &o, &snap);
  size_t nthreads = 0, ended = 0;
  const tm_thread_info_t *th =
      snap ? tm_snapshot_threads(snap, &nthreads) : NULL;
  row_t *rows = rc == CLI_OK ? calloc(nthreads + 1, sizeof *rows) : NULL;
  if (rc == CLI_OK && !rows) {
    cli_error(CLI_FAILURE, "out of memory");
    rc = CLI_FAILURE;
  } else if (rc == CLI_OK && rows) {
    for (size_t i = 0; i < nthreads; i++) {
      rows[i + 1] = (row_t){th[i].tid, th[i].name, th[i].ended, 0, 0};
      ended += th[i].ended;
    }
    // rows[0] is "no thread"; a loaded snapshot's sizes total at most
    // 2^63-1, so the sums are exact.
    size_t n = tm_snapshot_count(snap);
    const tm_trace_t *t = tm_snapshot_traces(snap);
    uint64_t total_size = 0;
    for (size_t i = 0; i < n; i++) {
      row_t *r = &rows[t[i].thread <= nthreads ? t[i].thread : 0];
      r->size += t[i].size;
      r->count++;
      total_size += t[i].size;
    }
    qsort(rows + 1, nthreads, sizeof *rows, row_order);
    size_t shown = cli_group_limit(&o, nthreads);
    if (shown > nthreads)
      shown = nthreads;
    printf("Threads: %zu (%zu ended)\n", nthreads, ended);
    for (size_t i = 0; i < shown; i++)
      print_row(i, &rows[i + 1]);
    if (shown < nthreads) {
      uint64_t size = 0, count = 0;
      for (size_t i = shown; i < nthreads; i++) {
        size += rows[i + 1].size;
        count += rows[i + 1].count;
      }
      printf("%zu other threads: ", nthreads - shown);
      print_sizes(size, count);
    }
    if (rows[0].count) {
      printf("No thread: ");
      print_sizes(rows[0].size, rows[0].count);
    }
    printf("Total: size=%s, count=%zu\n", cli_size((double)total_size, false),
           n);
    rc = cli_finish_output(stdout, "<stdout>");
  }
  free(rows);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
