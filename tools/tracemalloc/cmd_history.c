/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_history.c - `tracemalloc history SNAP`: what each line allocated
 * since tracing started (the snapshot's allocation history, freed blocks
 * included), heaptrack's questions "which line allocates the most, most
 * often, most temporarily, and what did it hold at the peak":
 *
 *   a.c:12: calls=40000, allocated=2.4 MiB, temporary=39990, peak=640 B,
 *   live=0 B
 *
 * (one line per group; here wrapped). Groups as `stats` groups
 * (--key, --cumulative: tm_snapshot_history_statistics), largest first by
 * --sort, ties by allocated bytes, then CPython's traceback order. Sizes
 * are CPython's _format_size. A snapshot without a history (a CPython
 * JSON, a dump of an older runtime) is an error that says so.
 */
#include <stdlib.h>

#include "cli.h"

/* The --sort of this run: qsort's comparator takes no context. */
static cli_sort_t sort_by;

static uint64_t sort_value(const tm_history_stat_t *s) {
  switch (sort_by) {
  case CLI_SORT_ALLOCATED:
    return s->allocated;
  case CLI_SORT_TEMPORARY:
    return s->temporary;
  case CLI_SORT_PEAK:
    return s->peak_size;
  case CLI_SORT_CALLS:
    break;
  }
  return s->calls;
}

/* On pointers into the library's items: by --sort, largest first; ties
 * keep the library's order (allocated, then traceback), the position. */
static int order(const void *a, const void *b) {
  const tm_history_stat_t *x = *(const tm_history_stat_t *const *)a;
  const tm_history_stat_t *y = *(const tm_history_stat_t *const *)b;
  uint64_t vx = sort_value(x), vy = sort_value(y);
  if (vx != vy)
    return vx > vy ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* str(Traceback) of a group, as `stats` prints it; NULL when out of
 * memory. */
static const char *label(const tm_traceback_t *tb) {
  static char *buf;
  static size_t cap;
  size_t n = tm_format_traceback_str(NULL, 0, tb);
  if (n + 1 > cap) {
    char *p = realloc(buf, n + 1);
    if (!p)
      return NULL;
    buf = p;
    cap = n + 1;
  }
  tm_format_traceback_str(buf, cap, tb);
  return buf;
}

int cmd_history(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  cli_escape_stdout(false);
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  o.reports_history = true;
  tm_snapshot_t *snap = NULL;
  tm_history_stats_t *hs = NULL;
  rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK &&
      tm_snapshot_history_statistics(snap, o.key, o.cumulative, &hs) != TM_OK)
    rc = cli_error(CLI_USAGE, "%s: %s", o.args[0], tm_error_message());
  size_t n = tm_history_stats_count(hs);
  const tm_history_stat_t **sorted = NULL;
  if (rc == CLI_OK) {
    sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
      rc = cli_error(CLI_FAILURE, "out of memory");
  }
  if (rc == CLI_OK && sorted) {
    for (size_t i = 0; i < n; i++)
      sorted[i] = &tm_history_stats_items(hs)[i];
    sort_by = o.sort;
    qsort(sorted, n, sizeof *sorted, order);
    if (o.has_limit && o.limit < n)
      n = o.limit;
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
      const tm_history_stat_t *s = sorted[i];
      const char *where = label(s->traceback);
      if (!where) {
        rc = cli_error(CLI_FAILURE, "out of memory");
        break;
      }
      printf("%s: calls=%llu", where, (unsigned long long)s->calls);
      printf(", allocated=%s", cli_size((double)s->allocated, false));
      printf(", temporary=%llu", (unsigned long long)s->temporary);
      printf(", peak=%s", cli_size((double)s->peak_size, false));
      printf(", live=%s\n", cli_size((double)s->live_size, false));
    }
    if (rc == CLI_OK)
      rc = cli_finish_output(stdout, "<stdout>");
  }
  free(sorted);
  tm_history_stats_free(hs);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
