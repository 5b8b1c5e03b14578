/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* main.c - `tracemalloc`: read snapshot dumps (binary or JSON) and print
 * CPython's statistics, diffs and a few human reports.
 *
 * Design: this file only holds the command table and the dispatch; each
 * subcommand lives in cmd_<name>.c and shares the option parser, loader and
 * output helpers of cli_common.c. The command-line contract (subcommands,
 * options, exit codes, error lines) is fixed by docs/design.md; the statistic
 * and diff lines are exactly CPython's str() because they come from the
 * library's tm_format_* functions.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define FILTERS_HELP                                                           \
  "FILTERS (CPython's Filter and DomainFilter; applied before grouping):\n"    \
  "  --include GLOB[:LINE]   keep traces whose most recent frame matches\n"    \
  "  --exclude GLOB[:LINE]   drop traces whose most recent frame matches\n"    \
  "                          (GLOB: fnmatch; LINE is split off only if the\n"  \
  "                          text after the last ':' is all digits)\n"         \
  "  --all-frames            match GLOB filters against every frame\n"         \
  "  --include-domain D      keep traces of domain D\n"                        \
  "  --exclude-domain D      drop traces of domain D\n"                        \
  "  --thread ID|NAME        keep traces of that thread (kernel id if all\n"   \
  "                          digits, else exact name; repeat for several)\n"

#define GROUP_HELP                                                             \
  "  --key KEY               filename, lineno (default) or traceback\n"        \
  "  --cumulative            count every frame of a traceback, not only the\n" \
  "                          most recent one (not with --key traceback)\n"     \
  "  --limit N|all           print at most N lines (all: every line, the\n"    \
  "                          default)\n"

static const cli_command_t commands[] = {
    {"stats",
     "SNAP [--key filename|lineno|traceback] [--cumulative] "
     "[--limit N|all] [FILTERS]",
     "print str(Statistic) lines of Snapshot.statistics()",
     "Print one line per statistic of SNAP, exactly str(Statistic) of "
     "CPython,\n"
     "in CPython's order (largest first).\n\n" GROUP_HELP "\n" FILTERS_HELP,
     OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_stats},
    {"diff",
     "OLD NEW [--key filename|lineno|traceback] [--cumulative] "
     "[--limit N|all] [FILTERS]",
     "print str(StatisticDiff) lines of NEW.compare_to(OLD)",
     "Print one line per StatisticDiff of NEW.compare_to(OLD), exactly\n"
     "str(StatisticDiff) of CPython, in CPython's order. The filters apply\n"
     "to both snapshots.\n\n" GROUP_HELP "\n" FILTERS_HELP,
     OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS, 2, 2, cmd_diff},
    {"export",
     "SNAP [--format json|binary|pickle|pprof|collapsed] [-o FILE] [FILTERS]",
     "convert a snapshot to JSON, binary, or other tools' formats",
     "Write SNAP (after FILTERS) to FILE (written atomically) or to stdout:\n"
     "  json       tracemalloc-json, the exchange format (default)\n"
     "  binary     a binary dump\n"
     "  pickle     what Python's tracemalloc.Snapshot.dump writes: load it\n"
     "             with tracemalloc.Snapshot.load(FILE)\n"
     "  pprof      gzipped profile.proto (inuse_space, inuse_objects) for\n"
     "             go tool pprof and profiling services\n"
     "  collapsed  folded stacks ('main (a.c:3);f (b.c:9) BYTES') for\n"
     "             flamegraph.pl, inferno and speedscope\n\n"
     "  --format FORMAT         one of the above\n"
     "  -o, --output FILE       write to FILE instead of "
     "stdout\n\n" FILTERS_HELP,
     OPT_FORMAT | OPT_OUTPUT | OPT_FILTERS, 1, 1, cmd_export},
    {"top", "SNAP [--limit N|all] [FILTERS]",
     "summary and the biggest allocation lines, with source",
     "Print a summary of SNAP (program, pid, traced memory, dropped traces,\n"
     "runtime memory) and the N (default 10) biggest lines by lineno with\n"
     "their source line.\n\n"
     "  --limit N|all           show N lines (default 10)\n\n" FILTERS_HELP,
     OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_top},
    {"traceback", "SNAP [--limit N|all] [FILTERS]",
     "the biggest tracebacks, most recent call first",
     "Print the N (default 10) biggest traceback groups of SNAP, each with\n"
     "Traceback.format(most_recent_first=True).\n\n"
     "  --limit N|all           show N tracebacks (default "
     "10)\n\n" FILTERS_HELP,
     OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_traceback},
    {"leaks",
     "SNAP [--limit N|all] [--all-domains] [--reachable] [--suppress FILE] "
     "[FILTERS]",
     "everything still allocated in an at-exit dump, by traceback",
     "For a dump written at exit (TRACEMALLOC_DUMP): every block of domain 0\n"
     "(the heap) still allocated, grouped by traceback, largest first, with\n"
     "a summary. Other domains (tm_track) are only totalled: their blocks\n"
     "often live inside heap blocks already counted.\n"
     "A dump written with TRACEMALLOC_LEAKS=1 has a reachability\n"
     "classification: then only the definitely and indirectly lost blocks\n"
     "are listed.\n\n"
     "  --limit N|all           show at most N tracebacks (default 10)\n"
     "  --all-domains           report every domain, each on its own\n"
     "  --reachable             with a classification: list the reachable\n"
     "                          blocks too\n"
     "  --suppress FILE         leave out blocks with a frame whose file,\n"
     "                          function or file:line matches a pattern of\n"
     "                          FILE (fnmatch, one per line, # comments)\n"
     "\n" FILTERS_HELP,
     OPT_LIMIT | OPT_FILTERS | OPT_ALL_DOMAINS | OPT_SUPPRESS | OPT_REACHABLE,
     1, 1, cmd_leaks},
    {"history",
     "SNAP [--key filename|lineno|traceback] [--cumulative] "
     "[--sort calls|allocated|temporary|peak] [--limit N|all] [FILTERS]",
     "allocation calls, bytes, temporaries and peak share per line",
     "Print what each group of SNAP allocated since tracing started, freed\n"
     "blocks included, one line per group:\n"
     "  FILE:LINE: calls=N, allocated=SIZE, temporary=N, peak=SIZE, "
     "live=SIZE\n"
     "calls: allocations (a realloc is one, at its own line); allocated:\n"
     "their bytes; temporary: blocks freed before their thread allocated\n"
     "anything else; peak: the group's live bytes when the traced memory\n"
     "last reached its peak; live: its bytes in SNAP's traces. The history\n"
     "is kept per line and thread: FILTERS apply to it as to the traces\n"
     "(--thread: that thread's calls and bytes; the lines sum every\n"
     "thread otherwise).\n\n" GROUP_HELP
     "  --sort KEY              calls (default), allocated, temporary or "
     "peak:\n"
     "                          largest first\n"
     "\n" FILTERS_HELP,
     OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS | OPT_SORT, 1, 1,
     cmd_history},
    {"peak",
     "SNAP [--key filename|lineno|traceback] [--cumulative] [--limit N|all] "
     "[FILTERS]",
     "str(Statistic) lines of what was live at the peak",
     "Print one str(Statistic) line per group of the blocks that were live\n"
     "when the traced memory last reached its peak (tm_reset_peak moves\n"
     "it), in CPython's order (largest first). Sizes and counts are exact\n"
     "per group. FILTERS apply to the peak's blocks (--thread: the blocks\n"
     "that thread had allocated).\n\n" GROUP_HELP "\n" FILTERS_HELP,
     OPT_KEY | OPT_CUMULATIVE | OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_peak},
    {"flamegraph",
     "SNAP -o OUT.svg [--by-line] [--weight bytes|blocks] [--title TEXT] "
     "[--width PX] [FILTERS]",
     "an interactive SVG flame graph of live bytes by traceback",
     "Write a self-contained SVG flame graph of SNAP by traceback: the oldest\n"
     "frame at the bottom, the allocation site on top, widths proportional\n"
     "to live bytes. Boxes are 'function (file.c:LINE)', one per function\n"
     "(frames without a function name: one per line). Open it in a browser:\n"
     "click a box to zoom, Search (or Ctrl-F) highlights matching frames,\n"
     "hover a box for its details. Boxes narrower than one pixel are not\n"
     "drawn (their bytes stay in their caller's box).\n\n"
     "  -o, --output FILE       the SVG file to write (required)\n"
     "  --by-line               one box per source line, not per function\n"
     "  --weight bytes|blocks   widths by live bytes (default) or blocks\n"
     "  --title TEXT            title (default: \"Live bytes by traceback\",\n"
     "                          with --weight blocks \"Live blocks ...\")\n"
     "  --width PX              image width, 200..100000 (default "
     "1200)\n\n" FILTERS_HELP,
     OPT_OUTPUT | OPT_TITLE | OPT_WIDTH | OPT_FILTERS | OPT_BY_LINE |
         OPT_WEIGHT,
     1, 1, cmd_flamegraph},
    {"threads", "SNAP [--limit N|all] [FILTERS]",
     "live size and blocks of each thread, biggest first",
     "List every thread that allocated while tracing (kernel id, name, and\n"
     "whether it had ended when the snapshot was taken) with its live size\n"
     "and blocks, biggest first; then the traces of no known thread, and\n"
     "the total. FILTERS apply first.\n\n"
     "  --limit N|all           show N threads (default all)\n\n" FILTERS_HELP,
     OPT_LIMIT | OPT_FILTERS, 1, 1, cmd_threads},
    {"timeline", "SNAP [-o CHART.svg]",
     "memory over time: an ASCII chart, or an SVG chart",
     "Chart SNAP's timeline (the runtime samples traced memory at most every\n"
     "10 ms while tracing; docs/semantics.md): traced memory (current) over\n"
     "time since tracing started, the peak marked. Without -o, an ASCII\n"
     "chart in the style of massif's ms_print ('#': the column of the peak);\n"
     "with -o, a static SVG chart (no script): current, the peak so far as\n"
     "a dashed line, the peak marked in red, axes labelled.\n\n"
     "Between samples both charts hold the last sampled value (a step).\n\n"
     "  -o, --output FILE       write the SVG chart to FILE (a name ending\n"
     "                          in .svg)\n",
     OPT_OUTPUT, 1, 1, cmd_timeline},
};

static void print_global_help(FILE *f) {
  fprintf(
      f,
      "usage: tracemalloc COMMAND [options]\n\n"
      "Read tracemalloc snapshots: binary dumps (TRACEMALLOC_DUMP,\n"
      "tm_snapshot_dump) or tracemalloc-json, detected by content; '-' reads\n"
      "the snapshot from stdin.\n"
      "\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n'tracemalloc COMMAND --help' describes a command.\n"
             "Exit status: 0 ok, 1 failure, 2 usage error or invalid input.\n");
}

int main(int argc, char **argv) {
  if (argc < 2)
    return cli_usage_error(NULL, "no command given");
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
      strcmp(name, "help") == 0) {
    print_global_help(stdout);
    return cli_finish_output(stdout, "<stdout>");
  }
  if (strcmp(name, "--version") == 0) {
    printf("tracemalloc %s\n", TM_VERSION);
    return cli_finish_output(stdout, "<stdout>");
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(name, commands[i].name) == 0)
      return commands[i].run(&commands[i], argc - 1, argv + 1);
  if (name[0] == '-')
    return cli_usage_error(NULL, "unknown option '%s'", name);
  return cli_usage_error(NULL, "unknown command '%s'", name);
}
