/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_statistics_oracle.c - parity with CPython 3.11 on random inputs:
 * statistics() and compare_to() for every valid (key, cumulative) pair and
 * filter_traces() with random Filter / DomainFilter combinations, on the
 * snapshots of test_statistics_oracle_cases.h; and 3000 fnmatch cases of
 * test_filter_fnmatch_cases.h. The expected values were printed by CPython
 * 3.11 itself (str() of each result; the generators are in gen/), so this
 * pins exact text and order.
 */
#include <stdlib.h>

#include "test_snapshot_fixtures.h"

#include "test_filter_fnmatch_cases.h"
#include "test_statistics_oracle_cases.h"

static tm_snapshot_t *oc_snapshot(unsigned off, unsigned n) {
  tm_snapshot_t *s = NULL;
  CHECK(tm_snapshot_new(4, &s) == TM_OK);
  for (unsigned i = off; i < off + n; i++) {
    const oc_trace_t *t = &oc_traces[i];
    tm_frame_t f[4];
    for (unsigned k = 0; k < t->nframe; k++)
      f[k] = (tm_frame_t){t->file[k], t->line[k], NULL};
    CHECK(tm_snapshot_add_trace(s, t->domain, (size_t)t->size, f, t->nframe,
                                t->total) == TM_OK);
  }
  return s;
}

static void check_lines(const char *const *got, size_t ngot, unsigned off,
                        unsigned n, int c, int v) {
  CHECK(ngot <= 160);
  CHECK_EQ_INT(ngot, n);
  for (unsigned i = 0; i < n && i < ngot; i++) {
    if (strcmp(got[i], oc_lines[off + i]) != 0)
      fprintf(stderr, "case %d variant %d line %u\n", c, v, i);
    CHECK_EQ_STR(got[i], oc_lines[off + i]);
  }
}

static void run_case(int c) {
  const oc_case_t *oc = &oc_cases[c];
  tm_snapshot_t *s1 = oc_snapshot(oc->s1, oc->n1);
  tm_snapshot_t *s2 = oc_snapshot(oc->s2, oc->n2);
  static char buf[160][256];
  const char *lines[160];
  for (int v = 0; v < 5; v++) {
    tm_statistics_t *st = NULL;
    CHECK(tm_snapshot_statistics(s1, oc_variants[v].key,
                                 oc_variants[v].cumulative, &st) == TM_OK);
    size_t n = tm_statistics_count(st);
    for (size_t i = 0; i < n && i < 160; i++) {
      tm_format_statistic(buf[i], sizeof buf[i], &tm_statistics_items(st)[i]);
      lines[i] = buf[i];
    }
    check_lines(lines, n, oc->exp[v][0], oc->exp[v][1], c, v);
    tm_statistics_free(st);
    tm_statistic_diffs_t *d = NULL;
    CHECK(tm_snapshot_compare_to(s2, s1, oc_variants[v].key,
                                 oc_variants[v].cumulative, &d) == TM_OK);
    n = tm_statistic_diffs_count(d);
    for (size_t i = 0; i < n && i < 160; i++) {
      tm_format_statistic_diff(buf[i], sizeof buf[i],
                               &tm_statistic_diffs_items(d)[i]);
      lines[i] = buf[i];
    }
    check_lines(lines, n, oc->exp[5 + v][0], oc->exp[5 + v][1], c, 5 + v);
    tm_statistic_diffs_free(d);
  }
  tm_filter_t f[4];
  for (unsigned k = 0; k < oc->nfilters; k++) {
    const oc_filter_t *o = &oc_filters[oc->filters + k];
    f[k] = (tm_filter_t){o->kind, o->inclusive, o->pattern, o->lineno,
                         o->all_frames, o->has_domain, o->domain, 0, NULL};
  }
  tm_snapshot_t *r = NULL;
  CHECK(tm_snapshot_filter_traces(s1, f, oc->nfilters, &r) == TM_OK);
  /* map kept traces back to s1 indexes: in order, so a forward scan */
  char kept[256] = "";
  const tm_trace_t *t1 = tm_snapshot_traces(s1), *tr = tm_snapshot_traces(r);
  size_t j = 0;
  for (size_t i = 0; i < tm_snapshot_count(r); i++) {
    while (j < oc->n1 &&
           !(t1[j].domain == tr[i].domain && t1[j].size == tr[i].size &&
             tm_traceback_total_nframe(t1[j].traceback) ==
                 tm_traceback_total_nframe(tr[i].traceback) &&
             strcmp(fx_tb_raw(t1[j].traceback), fx_tb_raw(tr[i].traceback)) ==
                 0))
      j++;
    size_t len = strlen(kept);
    snprintf(kept + len, sizeof kept - len, "%s%zu", i ? " " : "", j++);
  }
  CHECK_EQ_STR(kept, oc->kept);
  tm_snapshot_free(r);
  tm_snapshot_free(s1);
  tm_snapshot_free(s2);
}

int main(void) {
  for (size_t c = 0; c < sizeof oc_cases / sizeof oc_cases[0]; c++)
    run_case((int)c);
  int bad = 0;
  for (size_t i = 0; i < sizeof fnmatch_cases / sizeof fnmatch_cases[0]; i++) {
    bool got = tm_filter_match_filename(fnmatch_cases[i].name,
                                        fnmatch_cases[i].pattern);
    if (got != (fnmatch_cases[i].match != 0) && bad++ < 10)
      fprintf(stderr, "fnmatch(%s, %s) = %d\n", fnmatch_cases[i].name,
              fnmatch_cases[i].pattern, got);
    CHECK(got == (fnmatch_cases[i].match != 0));
  }
  return CHECK_DONE();
}
