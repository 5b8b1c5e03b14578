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
 *
 * Domains. Domain 0 is the heap (malloc, new, ...). Other domains hold
 * blocks a program tracks itself with tm_track (a pool, an arena, a GPU
 * heap), and those are often carved out of a malloc'ed block that domain 0
 * already counts: adding the two would count the same bytes twice. So by
 * default only domain 0 is reported, with one line saying what other
 * domains hold; --all-domains reports each domain in a section of its own,
 * with its own summary, and never adds bytes across domains.
 *
 * Suppressions (--suppress FILE, suppress.c) leave known blocks out of
 * each domain's report; the summary says what they left out.
 * A dump written with TRACEMALLOC_LEAKS=1 carries the runtime's
 * reachability classification: then cmd_leaks_class.c reports it instead.
 *
 * Bounds: at most --limit groups (10 by default, `--limit all` for every
 * one), each with at most CLI_MAX_FRAMES frames.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cli.h"
#include "suppress.h"

/* Per-domain totals, sorted by domain. */
typedef struct domain_sum {
  unsigned domain;
  uint64_t size, count;
} domain_sum_t;

static int cmp_domain(const void *a, const void *b) {
  unsigned x = ((const domain_sum_t *)a)->domain;
  unsigned y = ((const domain_sum_t *)b)->domain;
  return x < y ? -1 : x > y;
}

/* The domains present in snap with their totals (sizes total at most 2^63-1
 * in a loaded snapshot, so the sums are exact). NULL on out-of-memory. */
static domain_sum_t *domain_sums(const tm_snapshot_t *snap, size_t *n) {
  size_t ntr = tm_snapshot_count(snap), nd = 0;
  const tm_trace_t *t = tm_snapshot_traces(snap);
  domain_sum_t *d = malloc((ntr ? ntr : 1) * sizeof *d);
  if (!d)
    return NULL;
  for (size_t i = 0; i < ntr; i++)
    d[i] = (domain_sum_t){t[i].domain, t[i].size, 1};
  qsort(d, ntr, sizeof *d, cmp_domain);
  for (size_t i = 0; i < ntr; i++) {
    if (nd && d[nd - 1].domain == d[i].domain) {
      d[nd - 1].size += d[i].size;
      d[nd - 1].count++;
    } else {
      d[nd++] = d[i];
    }
  }
  *n = nd;
  return d;
}

static void print_summary(const tm_snapshot_t *snap, const char *what,
                          const tm_statistics_t *st, bool first,
                          bool suppressed) {
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
    printf("No leaks%s: %s.", what,
           suppressed ? "every block still allocated was suppressed"
                      : "no traced block was still allocated");
  else
    printf("Leak summary%s: %s in %llu block%s from %zu traceback%s", what,
           cli_size((double)size, false), (unsigned long long)count,
           count == 1 ? "" : "s", n, n == 1 ? "" : "s");
  if (info.program && *info.program && info.pid >= 0)
    printf(" (%s, pid %lld)", info.program, (long long)info.pid);
  putchar('\n');
  if (first && info.dropped_traces)
    printf("Warning: %llu allocations were not traced (the runtime ran out of "
           "memory); their leaks, if any, are not listed.\n",
           (unsigned long long)info.dropped_traces);
}

/* One domain's groups: the summary, then at most `limit` groups. With
 * --suppress, what the patterns match is left out first, and said so under
 * the summary. */
static int report_domain(const tm_snapshot_t *all, const cli_opts_t *op,
                         cli_suppress_t *sup, unsigned domain, bool say_domain,
                         bool first) {
  tm_filter_t keep = {
      .kind = TM_FILTER_DOMAIN, .inclusive = true, .domain = domain};
  tm_snapshot_t *snap = NULL;
  tm_statistics_t *st = NULL;
  if (tm_snapshot_filter_traces(all, &keep, 1, &snap) != TM_OK)
    return cli_error(CLI_FAILURE, "%s: %s", op->args[0], tm_error_message());
  if (sup) {
    tm_snapshot_t *kept = NULL;
    int rc = cli_suppress_apply(sup, snap, &kept);
    tm_snapshot_free(snap);
    if (rc != CLI_OK)
      return rc;
    snap = kept;
  }
  if (tm_snapshot_statistics(snap, TM_KEY_TRACEBACK, false, &st) != TM_OK) {
    tm_snapshot_free(snap);
    return cli_error(CLI_FAILURE, "%s: %s", op->args[0], tm_error_message());
  }
  char what[48] = "";
  if (say_domain)
    snprintf(what, sizeof what, " (domain %u)", domain);
  print_summary(all, what, st, first, sup && cli_suppress_blocks(sup) != 0);
  if (sup)
    cli_suppress_print(sup);
  size_t n = tm_statistics_count(st), limit = cli_group_limit(op, 10);
  const tm_statistic_t *items = tm_statistics_items(st);
  for (size_t i = 0; i < n && i < limit; i++) {
    putchar('\n');
    cli_print_group(i + 1, &items[i]);
  }
  if (n > limit)
    printf("\n... %zu more traceback%s not shown (--limit N or --limit "
           "all)\n",
           n - limit, n - limit == 1 ? "" : "s");
  tm_statistics_free(st);
  tm_snapshot_free(snap);
  return CLI_OK;
}

int cmd_leaks(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  cli_escape_stdout(true);
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  tm_snapshot_t *snap = NULL;
  domain_sum_t *d = NULL;
  size_t nd = 0;
  cli_suppress_t *sup = NULL;
  if (o.suppress)
    rc = cli_suppress_load(o.suppress, &sup);
  if (rc == CLI_OK)
    rc = cli_load(o.args[0], &o, &snap);
  // TRACEMALLOC_LEAKS=1's classification, when the dump has one.
  int classified = rc == CLI_OK ? cli_leaks_classified(snap, &o, sup) : -1;
  bool by_thread = false;
  for (size_t i = 0; i < o.filters.count; i++)
    by_thread |= o.filters.items[i].kind == TM_FILTER_THREAD;
  if (classified < 0 && rc == CLI_OK && !o.reachable)
    fprintf(stderr,
            by_thread
                ? "tracemalloc: note: %s: with --thread every live block of "
                  "the thread is listed, lost or not (a leak "
                  "classification, if the dump has one, records no "
                  "threads)\n"
                : "tracemalloc: note: %s: no leak classification: every "
                  "live block is listed (an exit dump of a program run "
                  "with TRACEMALLOC_LEAKS=1 tells lost blocks from "
                  "reachable ones)\n",
            o.args[0]);
  if (classified < 0 && rc == CLI_OK && o.reachable)
    fprintf(stderr,
            "tracemalloc: warning: %s: %s: --reachable ignored, "
            "every live block is listed\n",
            o.args[0],
            "no leak classification (only an exit dump of a normal exit "
            "with TRACEMALLOC_LEAKS=1 has one)");
  if (classified >= 0) {
    cli_suppress_free(sup);
    tm_snapshot_free(snap);
    cli_opts_free(&o);
    return classified;
  }
  if (rc == CLI_OK && !(d = domain_sums(snap, &nd)))
    rc = cli_error(CLI_FAILURE, "out of memory");
  if (rc == CLI_OK && d && !o.all_domains) {
    rc = report_domain(snap, &o, sup, 0, false, true);
    for (size_t i = 0; rc == CLI_OK && i < nd; i++)
      if (d[i].domain != 0)
        printf("%sDomain %u (not included; --all-domains): %s in %llu "
               "block%s\n",
               i == 0 || d[i - 1].domain == 0 ? "\n" : "", d[i].domain,
               cli_size((double)d[i].size, false),
               (unsigned long long)d[i].count, d[i].count == 1 ? "" : "s");
  } else if (rc == CLI_OK && d) {
    if (nd == 0)
      rc = report_domain(snap, &o, sup, 0, false, true);
    for (size_t i = 0; rc == CLI_OK && i < nd; i++) {
      if (i)
        putchar('\n');
      rc = report_domain(snap, &o, sup, d[i].domain, true, i == 0);
    }
  }
  if (rc == CLI_OK)
    rc = cli_finish_output(stdout, "<stdout>");
  free(d);
  cli_suppress_free(sup);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
