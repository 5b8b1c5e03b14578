/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cli.h - what the `tracemalloc` subcommands share: the option parser, the
 * snapshot loader with the CLI's error convention, and output helpers.
 *
 * Exit codes (docs/design.md): 0 ok, 1 failure (cannot write the output, out of
 * memory), 2 usage error or unreadable/invalid input. Errors are one line on
 * stderr: "tracemalloc: error: FILE: reason"; usage errors add a hint line.
 */
#ifndef TM_CLI_H
#define TM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "filter_args.h"
#include "tracemalloc.h"

enum { CLI_OK = 0, CLI_FAILURE = 1, CLI_USAGE = 2 };

/* Which options a subcommand accepts. */
enum {
  OPT_KEY = 1 << 0,         /* --key filename|lineno|traceback */
  OPT_CUMULATIVE = 1 << 1,  /* --cumulative */
  OPT_LIMIT = 1 << 2,       /* --limit N|all */
  OPT_FILTERS = 1 << 3,     /* FILTERS */
  OPT_OUTPUT = 1 << 4,      /* -o FILE, --output FILE */
  OPT_FORMAT = 1 << 5,      /* --format json|binary */
  OPT_TITLE = 1 << 6,       /* --title TEXT */
  OPT_WIDTH = 1 << 7,       /* --width PIXELS */
  OPT_ALL_DOMAINS = 1 << 8, /* --all-domains */
  OPT_BY_LINE = 1 << 10,    /* --by-line (flamegraph) */
  OPT_WEIGHT = 1 << 11,     /* --weight bytes|blocks (flamegraph) */
  OPT_SUPPRESS = 1 << 12,   /* --suppress FILE (leaks) */
  OPT_REACHABLE = 1 << 13,  /* --reachable (leaks) */
  OPT_SORT = 1 << 14,       /* --sort calls|allocated|temporary|peak */
};

/* history --sort: what orders the groups, largest first. */
typedef enum cli_sort {
  CLI_SORT_CALLS,
  CLI_SORT_ALLOCATED,
  CLI_SORT_TEMPORARY,
  CLI_SORT_PEAK,
} cli_sort_t;

/* How many frames of one traceback the human reports (traceback, leaks)
 * print, most recent first: Python's default sys.tracebacklimit. With the
 * default --limit of 10 groups this bounds what a crafted snapshot can make
 * them print (docs/cli.md). */
enum { CLI_MAX_FRAMES = 1000 };
/* Longest line those reports print (PATH_MAX plus the frame's decoration);
 * a longer one is cut and says how many bytes were left out. */
enum { CLI_MAX_LINE = 4200 };

typedef struct cli_command {
  const char *name;
  const char *synopsis; /* "SNAP [options]" */
  const char *summary;  /* one line for `tracemalloc --help` */
  const char *help;     /* the option list for `tracemalloc CMD --help` */
  unsigned options;     /* OPT_* accepted */
  int min_args, max_args;
  int (*run)(const struct cli_command *cmd, int argc, char **argv);
} cli_command_t;

typedef struct cli_opts {
  tm_key_t key;
  bool key_set;
  bool cumulative;
  bool has_limit;
  bool limit_all; /* --limit all */
  size_t limit;
  bool all_domains;
  bool reachable;
  cli_filters_t filters;
  const char *output; /* NULL: stdout */
  const char *format; /* "json" (default), "binary", "pickle", "pprof",
                         "collapsed" */
  const char *title;
  unsigned width;
  bool by_line;         /* flamegraph: one box per line, not per function */
  bool weight_blocks;   /* flamegraph --weight blocks: widths by block count */
  const char *suppress; /* --suppress FILE; NULL: none */
  cli_sort_t sort;      /* history --sort (default calls) */
  bool reports_history; /* history, peak: cli_load warns when --thread
                           meets a history without threads */
  const char *args[2];  /* positional arguments */
  int nargs;
} cli_opts_t;

/* Parse argv (argv[0] is the subcommand). Returns -1 when --help was printed
 * (exit 0), CLI_OK, or CLI_USAGE after printing the usage error. */
int cli_parse(const cli_command_t *cmd, int argc, char **argv, cli_opts_t *o);
void cli_opts_free(cli_opts_t *o);

/* `tracemalloc leaks` for a snapshot with a leak classification
 * (TRACEMALLOC_LEAKS=1, cmd_leaks_class.c): prints it, minus the records
 * whose traceback a pattern of sup (NULL: none) matches, and returns the
 * exit status; -1 (nothing printed) when snap has none. */
struct cli_suppress;
int cli_leaks_classified(const tm_snapshot_t *snap, const cli_opts_t *op,
                         struct cli_suppress *sup);

/* Print "tracemalloc: error: <fmt>" and the hint for cmd (NULL: global);
 * returns CLI_USAGE. */
int cli_usage_error(const cli_command_t *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "tracemalloc: error: <fmt>"; returns `code`. */
int cli_error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Load a snapshot ("-" is stdin) and apply the FILTERS. On failure prints
 * the error and returns CLI_USAGE (invalid input) or CLI_FAILURE. */
int cli_load(const char *path, const cli_opts_t *o, tm_snapshot_t **out);

/* Both snapshots of `diff`, each filtered; the warnings about filters that
 * match nothing look at both (a filter that matches in one of them works),
 * so each is printed once. */
int cli_load_pair(const char *old_path, const char *new_path,
                  const cli_opts_t *o, tm_snapshot_t **old_snap,
                  tm_snapshot_t **new_snap);

/* What the reporting commands (stats, top, traceback, leaks) share: parsed
 * options, the loaded and filtered snapshot, and its statistics. */
typedef struct cli_report {
  cli_opts_t opts;
  tm_snapshot_t *snap;
  tm_statistics_t *stats;
} cli_report_t;

/* Parse argv, load SNAP (the first argument) with the FILTERS, and group it
 * by *key (not cumulative), or by --key/--cumulative when key is NULL.
 * Returns CLI_OK with r filled, -1 after --help, or an exit code after the
 * error was printed. End every report with cli_report_end. */
int cli_report_begin(const cli_command_t *cmd, int argc, char **argv,
                     const tm_key_t *key, cli_report_t *r);
/* Release the report; returns the exit code for rc (CLI_OK after --help). */
int cli_report_end(cli_report_t *r, int rc);

/* str(Statistic) lines of st on stdout, at most --limit of them, then
 * cli_finish_output (stats, peak). */
int cli_print_statistics(const tm_statistics_t *st, const cli_opts_t *o);

/* Flush stdout; CLI_FAILURE with an error line if writing failed. */
int cli_finish_output(FILE *f, const char *name);

/* Formatting helpers returning a pointer to a static or growing buffer that
 * stays valid until the next call of the same helper. */
const char *cli_size(double size, bool sign);

/* Does path end in ".svg" (any case)? The charts are SVG only: a .png
 * (or any other name) would get SVG bytes that its viewers refuse. */
bool cli_svg_name(const char *path);

/* `name` as a flame graph box shows it (short_name.c): a demangled C++
 * name without its return type, parameter list and qualifiers, template
 * arguments as "<..>"; a C name unchanged. Cut at cap - 1 bytes. */
void cli_short_function_name(const char *name, char *buf, size_t cap);
const char *cli_statistic(const tm_statistic_t *st);
const char *cli_statistic_diff(const tm_statistic_diff_t *d);

/* "#N: size=..., count=N, average=..." for a traceback group, then its
 * frames most recent first in Python's traceback module style
 * ('  File "a.c", line 5, in f' and the source line), at most CLI_MAX_FRAMES
 * frames (then one line saying how many older frames were left out). */
void cli_print_group(size_t index, const tm_statistic_t *s);

/* Print text line by line, each line cut at CLI_MAX_LINE bytes (saying how
 * many were left out). */
void cli_print_lines_cut(const char *text);

/* Escape control characters and bytes that are not UTF-8 in everything
 * later printed to stdout (term_escape.c): always when `always`, else only
 * when stdout is a terminal. */
void cli_escape_stdout(bool always);

/* The group limit of a human report: --limit N, all with --limit all, else
 * `dflt`. */
size_t cli_group_limit(const cli_opts_t *o, size_t dflt);

/* Frame 0 of tb as the reports print a frame: '  File "a.c", line 5, in f'
 * and, when readable, its source line under it; malloc'ed, NULL when the
 * traceback is empty (or out of memory). */
char *cli_frame_lines(const tm_traceback_t *tb);

/* The subcommands. */
int cmd_stats(const cli_command_t *cmd, int argc, char **argv);
int cmd_diff(const cli_command_t *cmd, int argc, char **argv);
int cmd_export(const cli_command_t *cmd, int argc, char **argv);
int cmd_top(const cli_command_t *cmd, int argc, char **argv);
int cmd_traceback(const cli_command_t *cmd, int argc, char **argv);
int cmd_leaks(const cli_command_t *cmd, int argc, char **argv);
int cmd_flamegraph(const cli_command_t *cmd, int argc, char **argv);
int cmd_threads(const cli_command_t *cmd, int argc, char **argv);
int cmd_timeline(const cli_command_t *cmd, int argc, char **argv);
int cmd_history(const cli_command_t *cmd, int argc, char **argv);
int cmd_peak(const cli_command_t *cmd, int argc, char **argv);

#endif /* TM_CLI_H */
