/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* suppress.c - `leaks --suppress FILE`: leave known blocks (a cache kept
 * until exit on purpose, a library's one-off buffers) out of a leak report,
 * and say what was left out.
 *
 * The file: one pattern per line, Python's fnmatch rules (the filters'
 * matcher, fnmatch.c: `*`, `?`, `[...]`, `[!...]`, whole string, case
 * sensitive); leading and trailing blanks are ignored, and so are blank
 * lines and lines whose first non-blank character is `#`. A trace is
 * suppressed when a pattern matches, for ANY frame of its traceback, the
 * frame's file name, its function name, or "file:line":
 *
 *   # glibc's stdio buffers
 *   *libio*
 *   app::Cache::put(*
 *   *src/server.c:42
 *
 * The credit goes to the first pattern of the file that matches, so the
 * per-pattern counts add up to the total.
 *
 * Bounds: the file is read up to 1 MiB (a bigger one is refused, as is one
 * with a NUL byte: neither is a list of patterns). A traceback's verdict is
 * computed once per distinct traceback (a snapshot interns them), so the
 * work is (distinct frames) x (patterns), whatever the number of traces;
 * the kept traces are copied into a new snapshot once per traceback, as
 * Snapshot.filter_traces does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ptr_map.h"
#include "snapshot.h"
#include "suppress.h"

enum { SUPPRESS_MAX_FILE = 1 << 20 };

typedef struct pattern {
  char *text;
  tm_glob_t *glob;
  uint64_t blocks, bytes; /* credited by the last apply */
} pattern_t;

struct cli_suppress {
  char *path;
  pattern_t *p;
  size_t n;
  char *label; /* "file:line" scratch */
  size_t label_cap;
};

void cli_suppress_free(cli_suppress_t *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++) {
    free(s->p[i].text);
    tm_glob_free(s->p[i].glob);
  }
  free(s->p);
  free(s->path);
  free(s->label);
  free(s);
}

/* The whole file into a NUL-terminated buffer, at most SUPPRESS_MAX_FILE
 * bytes. CLI_OK or the exit code after the error line. The buffer starts
 * at the file's size (or 4 KiB for a pipe) and doubles: a suppression file
 * is small, and a 1 MiB buffer per run cost the fuzzer of the report
 * commands an mmap/munmap pair each time. */
static int read_file(const char *path, char **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cli_error(CLI_USAGE, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  size_t cap = 4096;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    cap = st.st_size < SUPPRESS_MAX_FILE ? (size_t)st.st_size + 2
                                         : (size_t)SUPPRESS_MAX_FILE + 2;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return cli_error(CLI_FAILURE, "out of memory");
  }
  size_t n = 0;
  int rc = CLI_OK;
  while (rc == CLI_OK) {
    if (n + 1 == cap) { // full but for the NUL: grow, up to the limit
      size_t ncap =
          cap * 2 < SUPPRESS_MAX_FILE + 2 ? cap * 2 : SUPPRESS_MAX_FILE + 2;
      char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
      if (!nb) {
        rc = cli_error(CLI_FAILURE, "out of memory");
        break;
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      rc = cli_error(CLI_USAGE, "%s: cannot read: %s", path, strerror(errno));
    else if (r == 0)
      break;
    else if ((n += (size_t)r) > SUPPRESS_MAX_FILE)
      rc = cli_error(CLI_USAGE, "%s: larger than 1 MiB: not a suppression file",
                     path);
  }
  close(fd);
  if (rc != CLI_OK) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return CLI_OK;
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int add_pattern(cli_suppress_t *s, const char *p, size_t len,
                       size_t *cap) {
  if (s->n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    pattern_t *np = realloc(s->p, ncap * sizeof *np);
    if (!np)
      return cli_error(CLI_FAILURE, "out of memory");
    s->p = np;
    *cap = ncap;
  }
  pattern_t *pt = &s->p[s->n];
  memset(pt, 0, sizeof *pt);
  pt->text = strndup(p, len);
  pt->glob = pt->text ? tm_glob_compile(pt->text, false) : NULL;
  if (!pt->glob) {
    free(pt->text);
    return cli_error(CLI_FAILURE, "out of memory");
  }
  s->n++;
  return CLI_OK;
}

int cli_suppress_load(const char *path, cli_suppress_t **out) {
  *out = NULL;
  char *buf = NULL;
  size_t len = 0;
  int rc = read_file(path, &buf, &len);
  if (rc != CLI_OK)
    return rc;
  cli_suppress_t *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    free(buf);
    return cli_error(CLI_FAILURE, "out of memory");
  }
  size_t cap = 0, lineno = 1;
  for (size_t i = 0; rc == CLI_OK && i < len; lineno++) {
    size_t start = i;
    while (i < len && buf[i] != '\n' && buf[i] != '\0')
      i++;
    if (i < len && buf[i] == '\0') {
      rc =
          cli_error(CLI_USAGE, "%s: line %zu: NUL byte: not a suppression file",
                    path, lineno);
      break;
    }
    size_t end = i;
    i += i < len; // the '\n'
    while (start < end && blank(buf[start]))
      start++;
    while (end > start && blank(buf[end - 1]))
      end--;
    if (start == end || buf[start] == '#')
      continue;
    rc = add_pattern(s, buf + start, end - start, &cap);
  }
  free(buf);
  if (rc != CLI_OK) {
    cli_suppress_free(s);
    return rc;
  }
  *out = s;
  return CLI_OK;
}

/* ---- Matching ----------------------------------------------------------- */

static bool glob_str(const tm_glob_t *g, const char *str) {
  return str && tm_glob_match(g, str, strlen(str), false);
}

/* "file:line" of a frame in s->label; false on out-of-memory. */
static bool frame_label(cli_suppress_t *s, const tm_frame_t *f) {
  size_t need = strlen(f->filename) + 12;
  if (need > s->label_cap) {
    char *l = realloc(s->label, need);
    if (!l)
      return false;
    s->label = l;
    s->label_cap = need;
  }
  snprintf(s->label, s->label_cap, "%s:%u", f->filename, f->lineno);
  return true;
}

/* The index of the first pattern (in file order) that matches a frame of
 * tb, -1 for none, -2 on out-of-memory. Frames outside, so that each
 * frame's "file:line" is built once; a frame only tries the patterns before
 * the best match so far. */
static long verdict(cli_suppress_t *s, const tm_traceback_t *tb) {
  size_t n = tm_traceback_length(tb), best = s->n;
  const tm_frame_t *f = tm_traceback_frames(tb);
  for (size_t i = 0; i < n && best > 0; i++) {
    if (!frame_label(s, &f[i]))
      return -2;
    for (size_t k = 0; k < best; k++) {
      const tm_glob_t *g = s->p[k].glob;
      if (glob_str(g, f[i].filename) || glob_str(g, f[i].function) ||
          glob_str(g, s->label)) {
        best = k;
        break;
      }
    }
  }
  return best < s->n ? (long)best : -1;
}

/* ---- Copying what is kept ----------------------------------------------- */

/* A slot of the per-traceback cache (ptr_map.h: the key first). */
typedef struct tb_slot {
  const tm_traceback_t *tb;
  long verdict;
  const tm_traceback_t *copy; /* in the kept snapshot, once needed */
} tb_slot_t;

int cli_suppress_apply(cli_suppress_t *s, const tm_snapshot_t *snap,
                       tm_snapshot_t **kept) {
  *kept = NULL;
  cli_suppress_reset(s);
  tm_snapshot_t *dst = NULL;
  tm_ptr_map_t cache;
  tm_ptr_map_init(&cache, sizeof(tb_slot_t), 128);
  tm_status_t st = tm_snapshot_new_like(snap, &dst);
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; st == TM_OK && i < n; i++) {
    bool added;
    tb_slot_t *e = tm_ptr_map_get(&cache, t[i].traceback, &added);
    if (e && added)
      e->verdict = verdict(s, t[i].traceback);
    if (e && e->verdict >= 0) {
      // A loaded snapshot's sizes total at most 2^63-1: exact.
      s->p[e->verdict].blocks++;
      s->p[e->verdict].bytes += t[i].size;
    } else if (e && e->verdict == -1 &&
               (e->copy ||
                (e->copy = tm_snapshot_copy_traceback(dst, e->tb)))) {
      st = tm_snapshot_append_thread(dst, t[i].domain, t[i].size, e->copy,
                                     t[i].thread);
    } else { // no slot, or out of memory matching or copying
      st = TM_ENOMEM;
    }
  }
  tm_ptr_map_free(&cache);
  if (st != TM_OK) {
    tm_snapshot_free(dst);
    return cli_error(CLI_FAILURE, "%s: out of memory applying suppressions",
                     s->path);
  }
  *kept = dst;
  return CLI_OK;
}

void cli_suppress_reset(cli_suppress_t *s) {
  for (size_t k = 0; k < s->n; k++)
    s->p[k].blocks = s->p[k].bytes = 0;
}

int cli_suppress_record(cli_suppress_t *s, const tm_traceback_t *tb,
                        uint64_t blocks, uint64_t bytes) {
  long v = verdict(s, tb);
  if (v == -2)
    return cli_error(CLI_FAILURE, "%s: out of memory applying suppressions",
                     s->path),
           -1;
  if (v < 0)
    return 0;
  // The records of a loaded snapshot total at most 2^63-1 bytes: exact.
  s->p[v].blocks += blocks;
  s->p[v].bytes += bytes;
  return 1;
}

uint64_t cli_suppress_blocks(const cli_suppress_t *s) {
  uint64_t blocks = 0;
  for (size_t k = 0; k < s->n; k++)
    blocks += s->p[k].blocks;
  return blocks;
}

void cli_suppress_print(const cli_suppress_t *s) {
  uint64_t blocks = 0, bytes = 0;
  size_t used = 0;
  for (size_t k = 0; k < s->n; k++) {
    blocks += s->p[k].blocks;
    bytes += s->p[k].bytes;
    used += s->p[k].blocks != 0;
  }
  printf("Suppressed (%s): ", s->path);
  if (blocks)
    printf("%s in %llu block%s", cli_size((double)bytes, false),
           (unsigned long long)blocks, blocks == 1 ? "" : "s");
  else
    printf("nothing");
  printf("; %zu of %zu pattern%s matched%s\n", used, s->n, s->n == 1 ? "" : "s",
         used ? ":" : "");
  for (size_t k = 0; k < s->n; k++)
    if (s->p[k].blocks)
      printf("  %s: %s in %llu block%s\n", s->p[k].text,
             cli_size((double)s->p[k].bytes, false),
             (unsigned long long)s->p[k].blocks,
             s->p[k].blocks == 1 ? "" : "s");
}
