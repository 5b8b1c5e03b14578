/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* filter_args.h - the CLI's FILTERS options, parsed into tm_filter_t.
 *
 *   --include GLOB[:LINE]   Filter(True, GLOB, LINE)
 *   --exclude GLOB[:LINE]   Filter(False, GLOB, LINE)
 *   --all-frames            all_frames=True on every GLOB filter
 *   --include-domain D      DomainFilter(True, D)
 *   --exclude-domain D      DomainFilter(False, D)
 *   --thread ID|NAME        keep the traces of that thread: a kernel thread
 *                           id when all digits, else a thread name (exact);
 *                           repeated, any of them (inclusive filters: any())
 *
 * A pattern may itself contain ':' (C++ names, Windows-looking paths), so
 * LINE is split off only when the text after the LAST ':' is one or more
 * ASCII digits; "a:b.c" is the pattern "a:b.c", "x.c:12" is ("x.c", 12) and
 * "x.c:" is the pattern "x.c:". Kept apart from main.c so that the fuzzer
 * (fuzz/fuzz_filter_args.c) can drive it directly.
 */
#ifndef TM_CLI_FILTER_ARGS_H
#define TM_CLI_FILTER_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tracemalloc.h"

typedef struct cli_filters {
  tm_filter_t *items; /* filename_pattern and thread_name strings are
                         owned (malloc) */
  size_t count, cap;
  bool all_frames;
} cli_filters_t;

/* True if `option` is one of the FILTERS options that take a value. */
bool cli_filter_option_takes_value(const char *option);

/* Add the filter for `option` (one of the four above) with `value`.
 * Returns 0, or -1 with a one-line reason in err (no "error:" prefix). */
int cli_filters_add(cli_filters_t *f, const char *option, const char *value,
                    char *err, size_t errlen);

/* Apply --all-frames to the GLOB filters; call once all options are read. */
void cli_filters_finish(cli_filters_t *f);

void cli_filters_free(cli_filters_t *f);

/* For each --include/--exclude filter that matches no trace of any of
 * snaps[0..nsnaps) (the loaded snapshots, before filtering; none if they
 * have no trace), one line "tracemalloc: warning: --exclude 'GLOB' matches
 * no trace ..." to out, and for each --thread that names no thread of any:
 * a filter that silently does nothing (a relative pattern for absolute
 * names, a typo) is otherwise indistinguishable from one that works. `diff`
 * passes both snapshots: a filter that matches in one of them works.
 * `history`: the command reports the allocation history (history, peak),
 * whose records count as traces here.
 * Returns the number of lines written. */
size_t cli_filters_warn_unmatched(const cli_filters_t *f,
                                  const tm_snapshot_t *const *snaps,
                                  size_t nsnaps, bool history, FILE *out);

#endif /* TM_CLI_FILTER_ARGS_H */
