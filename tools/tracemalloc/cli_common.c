/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cli_common.c - the option parser, error reporting, snapshot loading and
 * formatting helpers shared by the subcommands.
 *
 * Design: one table-free parser for every subcommand; each command says which
 * options it accepts (cli_command_t.options), everything else is a usage
 * error (exit 2). Long options take "--opt VALUE" or "--opt=VALUE"; "-o"
 * also takes "-oFILE"; "--" ends the options; "-" alone is a positional
 * argument (stdin). The CLI is a normal program: it may use malloc, but every
 * string the library hands out is released with tm_free.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistd.h>

#include "cli.h"
#include "snapshot_io.h"

int cli_usage_error(const cli_command_t *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tracemalloc: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (cmd)
    fprintf(stderr, "\nTry 'tracemalloc %s --help'.\n", cmd->name);
  else
    fputs("\nTry 'tracemalloc --help'.\n", stderr);
  return CLI_USAGE;
}

int cli_error(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tracemalloc: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return code;
}

static bool parse_size(const char *s, size_t *out) {
  if (!*s)
    return false;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
      return false;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = (size_t)v;
  return true;
}

typedef struct opt_def {
  const char *name;
  unsigned flag;
  bool takes_value;
} opt_def_t;

static const opt_def_t opt_defs[] = {
    {"--key", OPT_KEY, true},
    {"--cumulative", OPT_CUMULATIVE, false},
    {"--limit", OPT_LIMIT, true},
    {"--all-frames", OPT_FILTERS, false},
    {"--include", OPT_FILTERS, true},
    {"--exclude", OPT_FILTERS, true},
    {"--include-domain", OPT_FILTERS, true},
    {"--exclude-domain", OPT_FILTERS, true},
    {"--thread", OPT_FILTERS, true},
    {"--output", OPT_OUTPUT, true},
    {"-o", OPT_OUTPUT, true},
    {"--format", OPT_FORMAT, true},
    {"--title", OPT_TITLE, true},
    {"--width", OPT_WIDTH, true},
    {"--all-domains", OPT_ALL_DOMAINS, false},
    {"--by-line", OPT_BY_LINE, false},
    {"--weight", OPT_WEIGHT, true},
    {"--suppress", OPT_SUPPRESS, true},
    {"--reachable", OPT_REACHABLE, false},
    {"--sort", OPT_SORT, true},
};

static int apply_option(const cli_command_t *cmd, cli_opts_t *o,
                        const char *name, const char *value) {
  char err[256];
  size_t n;
  if (strcmp(name, "--key") == 0) {
    // The library's error is CPython's ("unknown key_type: 'x'"), written
    // for Python callers; a command line user needs the valid names.
    if (tm_key_parse(value, &o->key) != TM_OK)
      return cli_usage_error(cmd,
                             "unknown --key '%s': expected filename, lineno "
                             "or traceback",
                             value);
    o->key_set = true;
  } else if (strcmp(name, "--cumulative") == 0) {
    o->cumulative = true;
  } else if (strcmp(name, "--all-frames") == 0) {
    o->filters.all_frames = true;
  } else if (strcmp(name, "--all-domains") == 0) {
    o->all_domains = true;
  } else if (strcmp(name, "--reachable") == 0) {
    o->reachable = true;
  } else if (strcmp(name, "--limit") == 0 && strcmp(value, "all") == 0) {
    // Every command with --limit: every line or group, whatever its default.
    o->limit_all = true;
    o->has_limit = false;
  } else if (strcmp(name, "--limit") == 0) {
    o->limit_all = false;
    if (!parse_size(value, &o->limit))
      return cli_usage_error(cmd,
                             "invalid --limit '%s': expected a "
                             "non-negative integer or all",
                             value);
    o->has_limit = true;
  } else if (cli_filter_option_takes_value(name)) {
    if (cli_filters_add(&o->filters, name, value, err, sizeof err) != 0)
      return cli_usage_error(cmd, "%s: %s", name, err);
  } else if (strcmp(name, "--output") == 0 || strcmp(name, "-o") == 0) {
    o->output = value;
  } else if (strcmp(name, "--format") == 0) {
    static const char *const formats[] = {"json", "binary", "pickle", "pprof",
                                          "collapsed"};
    bool known = false;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
      known |= strcmp(value, formats[i]) == 0;
    if (!known)
      return cli_usage_error(cmd,
                             "unknown --format '%s': expected json, binary, "
                             "pickle, pprof or collapsed",
                             value);
    o->format = value;
  } else if (strcmp(name, "--title") == 0) {
    o->title = value;
  } else if (strcmp(name, "--by-line") == 0) {
    o->by_line = true;
  } else if (strcmp(name, "--weight") == 0) {
    if (strcmp(value, "bytes") != 0 && strcmp(value, "blocks") != 0)
      return cli_usage_error(
          cmd, "unknown --weight '%s': expected bytes or blocks", value);
    o->weight_blocks = strcmp(value, "blocks") == 0;
  } else if (strcmp(name, "--sort") == 0) {
    static const char *const sorts[] = {"calls", "allocated", "temporary",
                                        "peak"};
    size_t k = 0;
    while (k < 4 && strcmp(value, sorts[k]) != 0)
      k++;
    if (k == 4)
      return cli_usage_error(cmd,
                             "unknown --sort '%s': expected calls, "
                             "allocated, temporary or peak",
                             value);
    o->sort = (cli_sort_t)k;
  } else if (strcmp(name, "--suppress") == 0) {
    o->suppress = value; // read by the command, which reports its errors
  } else if (strcmp(name, "--width") == 0) {
    if (!parse_size(value, &n) || n < 200 || n > 100000)
      return cli_usage_error(cmd,
                             "invalid --width '%s': expected 200 to "
                             "100000",
                             value);
    o->width = (unsigned)n;
  }
  return CLI_OK;
}

static void print_command_help(const cli_command_t *cmd) {
  printf("usage: tracemalloc %s %s\n\n%s", cmd->name, cmd->synopsis, cmd->help);
}

/* One option at argv[*i]; may consume the next argument as its value. */
static int parse_option(const cli_command_t *cmd, int argc, char **argv, int *i,
                        cli_opts_t *o) {
  const char *arg = argv[*i], *value = NULL;
  char name[64];
  const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
  size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
  if (strncmp(arg, "-o", 2) == 0 && arg[2] != '\0' && arg[1] != '-') {
    nlen = 2; // -oFILE
    value = arg + 2;
  }
  snprintf(name, sizeof name, "%.*s", (int)nlen, arg);
  const opt_def_t *def = NULL;
  for (size_t k = 0; k < sizeof opt_defs / sizeof opt_defs[0]; k++)
    if (strcmp(opt_defs[k].name, name) == 0 &&
        (cmd->options & opt_defs[k].flag))
      def = &opt_defs[k];
  if (!def)
    return cli_usage_error(cmd, "unknown option '%s' for '%s'", name,
                           cmd->name);
  if (eq)
    value = eq + 1;
  if (def->takes_value && !value) {
    if (*i + 1 >= argc)
      return cli_usage_error(cmd, "option '%s' needs a value", name);
    value = argv[++*i];
  } else if (!def->takes_value && value) {
    return cli_usage_error(cmd, "option '%s' takes no value", name);
  }
  return apply_option(cmd, o, name, value);
}

int cli_parse(const cli_command_t *cmd, int argc, char **argv, cli_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->key = TM_KEY_LINENO;
  o->format = "json";
  o->width = 1200;
  bool only_args = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!only_args && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
      print_command_help(cmd);
      return -1;
    }
    if (!only_args && strcmp(arg, "--") == 0) {
      only_args = true;
    } else if (!only_args && arg[0] == '-' && arg[1] != '\0') {
      int st = parse_option(cmd, argc, argv, &i, o);
      if (st != CLI_OK)
        return st;
    } else if (o->nargs >= cmd->max_args) {
      return cli_usage_error(cmd, "unexpected argument '%s'", arg);
    } else {
      o->args[o->nargs++] = arg;
    }
  }
  if (o->nargs < cmd->min_args)
    return cli_usage_error(cmd, "'%s' needs %s", cmd->name,
                           cmd->min_args == 2 ? "two snapshot files (OLD NEW)"
                                              : "a snapshot file");
  if (o->cumulative && o->key == TM_KEY_TRACEBACK)
    return cli_usage_error(cmd, "cumulative mode cannot by used with key "
                                "type 'traceback'");
  cli_filters_finish(&o->filters);
  return CLI_OK;
}

void cli_opts_free(cli_opts_t *o) { cli_filters_free(&o->filters); }

/* Read stdin (for the path "-") as a file is read: format checked first. */
static int load_stdin(tm_snapshot_t **out) {
  tm_status_t st = tm_io_load_fd(STDIN_FILENO, "<stdin>", out);
  if (st != TM_OK)
    return cli_error(st == TM_ENOMEM ? CLI_FAILURE : CLI_USAGE, "%s",
                     tm_error_message());
  return CLI_OK;
}

/* history and peak with an inclusive --thread on a snapshot that has
 * threads but whose history records have none (a dump written before the
 * history carried threads): the filter keeps no record; say why rather
 * than print nothing. (A snapshot without threads gets the unmatched
 * --thread warning instead.) */
static void warn_threadless_history(const cli_filters_t *f,
                                    const tm_snapshot_t *snap, FILE *out) {
  bool thread_filter = false;
  for (size_t i = 0; i < f->count; i++)
    thread_filter |=
        f->items[i].kind == TM_FILTER_THREAD && f->items[i].inclusive;
  size_t n, nthreads;
  const tm_history_t *h = tm_snapshot_history(snap, &n);
  tm_snapshot_threads(snap, &nthreads);
  if (!thread_filter || !h || !n || !nthreads)
    return;
  for (size_t i = 0; i < n; i++)
    if (h[i].thread != TM_THREAD_NONE)
      return;
  fprintf(out, "tracemalloc: warning: --thread: the snapshot's allocation "
               "history records no threads (a dump written before the "
               "history carried them), so --thread keeps none of it\n");
}

/* Load path (or stdin for "-"), unfiltered. */
static int load_raw(const char *path, tm_snapshot_t **out) {
  *out = NULL;
  if (strcmp(path, "-") == 0)
    return load_stdin(out);
  tm_status_t st = tm_snapshot_load(path, out);
  // The library's message already starts with the file name. Invalid or
  // unreadable input is exit 2; running out of memory is a failure (1).
  if (st != TM_OK)
    return cli_error(st == TM_ENOMEM ? CLI_FAILURE : CLI_USAGE, "%s",
                     tm_error_message());
  return CLI_OK;
}

/* Replace *snap by its filtered copy (nothing to do without filters). */
static int apply_filters(const char *path, const cli_opts_t *o,
                         tm_snapshot_t **snap) {
  if (o->filters.count == 0)
    return CLI_OK;
  tm_snapshot_t *filtered = NULL;
  tm_status_t st = tm_snapshot_filter_traces(*snap, o->filters.items,
                                             o->filters.count, &filtered);
  tm_snapshot_free(*snap);
  *snap = filtered;
  if (st != TM_OK)
    return cli_error(CLI_FAILURE, "%s: %s", path, tm_error_message());
  return CLI_OK;
}

int cli_load(const char *path, const cli_opts_t *o, tm_snapshot_t **out) {
  int rc = load_raw(path, out);
  if (rc != CLI_OK || o->filters.count == 0)
    return rc;
  const tm_snapshot_t *one = *out;
  cli_filters_warn_unmatched(&o->filters, &one, 1, o->reports_history, stderr);
  if (o->reports_history)
    warn_threadless_history(&o->filters, *out, stderr);
  return apply_filters(path, o, out);
}

int cli_load_pair(const char *old_path, const char *new_path,
                  const cli_opts_t *o, tm_snapshot_t **old_snap,
                  tm_snapshot_t **new_snap) {
  *new_snap = NULL;
  int rc = load_raw(old_path, old_snap);
  if (rc == CLI_OK)
    rc = load_raw(new_path, new_snap);
  if (rc == CLI_OK && o->filters.count) {
    const tm_snapshot_t *both[2] = {*old_snap, *new_snap};
    cli_filters_warn_unmatched(&o->filters, both, 2, false, stderr);
  }
  if (rc == CLI_OK)
    rc = apply_filters(old_path, o, old_snap);
  if (rc == CLI_OK)
    rc = apply_filters(new_path, o, new_snap);
  if (rc != CLI_OK) {
    tm_snapshot_free(*old_snap);
    tm_snapshot_free(*new_snap);
    *old_snap = *new_snap = NULL;
  }
  return rc;
}

int cli_report_begin(const cli_command_t *cmd, int argc, char **argv,
                     const tm_key_t *key, cli_report_t *r) {
  r->snap = NULL;
  r->stats = NULL;
  int rc = cli_parse(cmd, argc, argv, &r->opts);
  if (rc != CLI_OK)
    return rc;
  rc = cli_load(r->opts.args[0], &r->opts, &r->snap);
  if (rc != CLI_OK)
    return rc;
  tm_key_t k = key ? *key : r->opts.key;
  bool cumulative = key ? false : r->opts.cumulative;
  if (tm_snapshot_statistics(r->snap, k, cumulative, &r->stats) != TM_OK)
    return cli_error(CLI_FAILURE, "%s: %s", r->opts.args[0],
                     tm_error_message());
  return CLI_OK;
}

int cli_report_end(cli_report_t *r, int rc) {
  tm_statistics_free(r->stats);
  tm_snapshot_free(r->snap);
  cli_opts_free(&r->opts);
  return rc < 0 ? CLI_OK : rc;
}

int cli_print_statistics(const tm_statistics_t *st, const cli_opts_t *o) {
  size_t n = tm_statistics_count(st);
  const tm_statistic_t *items = tm_statistics_items(st);
  if (o->has_limit && o->limit < n)
    n = o->limit;
  for (size_t i = 0; i < n; i++)
    puts(cli_statistic(&items[i]));
  return cli_finish_output(stdout, "<stdout>");
}

int cli_finish_output(FILE *f, const char *name) {
  if (fflush(f) != 0 || ferror(f))
    return cli_error(CLI_FAILURE, "%s: write error: %s", name, strerror(errno));
  return CLI_OK;
}

/* A growing buffer for the tm_format_* snprintf-style functions. */
typedef struct fmt_buf {
  char *p;
  size_t cap;
} fmt_buf_t;

static char *fit(fmt_buf_t *b, size_t need) {
  if (need + 1 > b->cap) {
    char *p = realloc(b->p, need + 1);
    if (!p)
      return NULL;
    b->p = p;
    b->cap = need + 1;
  }
  return b->p;
}

#define FORMAT_INTO(buf, fn, ...)                                              \
  do {                                                                         \
    if (!fit(&buf, 255))                                                       \
      return "?";                                                              \
    size_t need_ = fn(buf.p, buf.cap, __VA_ARGS__);                            \
    if (need_ >= buf.cap) {                                                    \
      if (!fit(&buf, need_))                                                   \
        return "?";                                                            \
      fn(buf.p, buf.cap, __VA_ARGS__);                                         \
    }                                                                          \
    return buf.p;                                                              \
  } while (0)

const char *cli_size(double size, bool sign) {
  static fmt_buf_t b;
  FORMAT_INTO(b, tm_format_size, size, sign);
}

const char *cli_statistic(const tm_statistic_t *st) {
  static fmt_buf_t b;
  FORMAT_INTO(b, tm_format_statistic, st);
}

const char *cli_statistic_diff(const tm_statistic_diff_t *d) {
  static fmt_buf_t b;
  FORMAT_INTO(b, tm_format_statistic_diff, d);
}

char *cli_frame_lines(const tm_traceback_t *tb) {
  char *text = NULL;
  // limit=1 keeps the most recent frame: '  File "f", line N, in F' and the
  // source line under it when readable.
  if (tm_traceback_format_ex(tb, true, 1, false, TM_FORMAT_FUNCTIONS, &text) !=
          TM_OK ||
      !text)
    return NULL;
  char *copy = *text ? strdup(text) : NULL;
  tm_free(text);
  return copy;
}

/* Print text line by line, each cut at CLI_MAX_LINE bytes: no real path is
 * longer than PATH_MAX, so only a crafted name is cut, and a report stays
 * bounded by its number of lines. */
void cli_print_lines_cut(const char *text) {
  while (*text) {
    const char *nl = strchr(text, '\n');
    size_t len = nl ? (size_t)(nl - text) : strlen(text);
    if (len > CLI_MAX_LINE)
      printf("%.*s... [%zu more bytes]\n", CLI_MAX_LINE, text,
             len - CLI_MAX_LINE);
    else
      printf("%.*s\n", (int)len, text);
    text += len + (nl != NULL);
  }
}

size_t cli_group_limit(const cli_opts_t *o, size_t dflt) {
  return o->limit_all ? SIZE_MAX : o->has_limit ? o->limit : dflt;
}

/* "size=..., count=N, average=..." for a group. */
void cli_print_group(size_t index, const tm_statistic_t *s) {
  printf("#%zu: size=%s, count=%zu", index, cli_size((double)s->size, false),
         s->count);
  if (s->count)
    printf(", average=%s", cli_size((double)s->size / (double)s->count, false));
  putchar('\n');
  char *text = NULL;
  size_t n = tm_traceback_length(s->traceback);
  // limit=K keeps the K most recent frames (Traceback.format's self[-K:]).
  if (tm_traceback_format_ex(s->traceback, n > CLI_MAX_FRAMES, CLI_MAX_FRAMES,
                             true, TM_FORMAT_FUNCTIONS, &text) == TM_OK &&
      text) {
    cli_print_lines_cut(text);
    tm_free(text);
  }
  if (n > CLI_MAX_FRAMES)
    printf("  ... %zu older frames not shown (at most %d are)\n",
           n - CLI_MAX_FRAMES, CLI_MAX_FRAMES);
}

bool cli_svg_name(const char *path) {
  size_t len = strlen(path);
  return len > 4 && strcasecmp(path + len - 4, ".svg") == 0;
}
