/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_flamegraph.c - `tracemalloc flamegraph SNAP -o out.svg`: a
 * self-contained SVG flame graph of live bytes by traceback.
 *
 * Design: the traceback statistics (one entry per distinct frame sequence)
 * are merged into a prefix tree from the oldest frame (the root, drawn at the
 * bottom) to the allocation site (on top); a box's width is proportional to
 * the bytes allocated under it. Boxes narrower than half a pixel are not
 * drawn (nor their children). Each box carries a <title> tooltip with the
 * frame, bytes, block count and share. The colours are a stable hash of the
 * label, so two graphs of the same program look alike. No script and no
 * external resource: the file opens in any browser.
 *
 * Text is escaped for XML: &, <, >, " and ' as entities; control characters
 * (invalid in XML 1.0) as '?'; bytes that are not valid UTF-8 (C file names
 * are bytes) as U+FFFD.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"

typedef struct node {
  const char *filename, *function; /* NULL for the root */
  unsigned lineno;
  uint64_t size, count;
  struct node **kids;
  size_t nkids, cap;
} node_t;

enum { FRAME_H = 17, PAD = 10, TITLE_H = 46 };

static node_t *child(node_t *n, const tm_frame_t *f) {
  for (size_t i = 0; i < n->nkids; i++) {
    node_t *k = n->kids[i];
    if (k->lineno == f->lineno && strcmp(k->filename, f->filename) == 0)
      return k;
  }
  if (n->nkids == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 4;
    node_t **k = realloc(n->kids, cap * sizeof *k);
    if (!k)
      return NULL;
    n->kids = k;
    n->cap = cap;
  }
  node_t *k = calloc(1, sizeof *k);
  if (!k)
    return NULL;
  k->filename = f->filename;
  k->function = f->function;
  k->lineno = f->lineno;
  n->kids[n->nkids++] = k;
  return k;
}

/* Add one traceback group: frames are most recent first, the tree is
 * oldest first. Returns false on out-of-memory. */
static bool add_path(node_t *root, const tm_statistic_t *s, size_t *depth) {
  size_t n = tm_traceback_length(s->traceback);
  const tm_frame_t *f = tm_traceback_frames(s->traceback);
  node_t *cur = root;
  root->size += s->size;
  root->count += s->count;
  for (size_t i = n; i-- > 0;) {
    cur = child(cur, &f[i]);
    if (!cur)
      return false;
    cur->size += s->size;
    cur->count += s->count;
  }
  if (n > *depth)
    *depth = n;
  return true;
}

static void free_tree(node_t *n) {
  for (size_t i = 0; i < n->nkids; i++) {
    free_tree(n->kids[i]);
    free(n->kids[i]);
  }
  free(n->kids);
}

/* Write s escaped for XML, at most max_chars code points (then ".."). */
static void put_xml(FILE *out, const char *str, size_t max_chars) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), chars = 0;
  for (size_t i = 0; i < n; chars++) {
    if (chars == max_chars) {
      fputs("..", out);
      return;
    }
    unsigned char c = s[i];
    size_t len = 1;
    uint32_t cp;
    if (c == '&')
      fputs("&amp;", out);
    else if (c == '<')
      fputs("&lt;", out);
    else if (c == '>')
      fputs("&gt;", out);
    else if (c == '"')
      fputs("&quot;", out);
    else if (c == '\'')
      fputs("&apos;", out);
    else if (c < 0x20 || c == 0x7f)
      fputc('?', out);
    else if (c < 0x80)
      fputc(c, out);
    else if ((len = tm_utf8_decode(s + i, n - i, &cp)) != 0)
      fwrite(s + i, 1, len, out);
    else {
      fputs("\xEF\xBF\xBD", out);
      len = 1;
    }
    i += len;
  }
}

static void label_of(const node_t *n, char *buf, size_t cap) {
  if (!n->filename)
    snprintf(buf, cap, "all");
  else if (n->function && *n->function)
    snprintf(buf, cap, "%s (%s:%u)", n->function, n->filename, n->lineno);
  else
    snprintf(buf, cap, "%s:%u", n->filename, n->lineno);
}

static uint32_t hash_label(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

typedef struct layout {
  FILE *out;
  double scale; /* pixels per byte */
  uint64_t total;
  double height;
} layout_t;

static void draw(const layout_t *L, const node_t *n, double x, size_t depth) {
  double w = (double)n->size * L->scale;
  if (w < 0.5)
    return;
  char label[1024];
  label_of(n, label, sizeof label);
  double y = L->height - PAD - (double)(depth + 1) * FRAME_H;
  uint32_t h = hash_label(label);
  fprintf(L->out, "<g><title>");
  put_xml(L->out, label, SIZE_MAX);
  fprintf(L->out, " (%s, %llu block%s, %.2f%%)</title>",
          cli_size((double)n->size, false), (unsigned long long)n->count,
          n->count == 1 ? "" : "s",
          L->total ? 100.0 * (double)n->size / (double)L->total : 0.0);
  fprintf(L->out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
          "fill=\"rgb(%u,%u,%u)\" rx=\"2\"/>",
          x, y, w, FRAME_H - 1, 205 + h % 50, (h >> 8) % 230, (h >> 16) % 55);
  size_t fit = w > 8 ? (size_t)((w - 6) / 7) : 0;
  if (fit >= 3) {
    fprintf(L->out, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + 12);
    put_xml(L->out, label, fit - 2);
    fputs("</text>", L->out);
  }
  fputs("</g>\n", L->out);
  for (size_t i = 0; i < n->nkids; i++) {
    draw(L, n->kids[i], x, depth + 1);
    x += (double)n->kids[i]->size * L->scale;
  }
}

static void write_svg(FILE *out, const node_t *root, size_t depth,
                      unsigned width, const char *title) {
  layout_t L = {out, 0, root->size, 0};
  L.height = TITLE_H + (double)(depth + 1) * FRAME_H + 2 * PAD;
  L.scale = root->size ? (width - 2.0 * PAD) / (double)root->size : 0;
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
          "width=\"%u\" height=\"%.0f\" viewBox=\"0 0 %u %.0f\">\n",
          width, L.height, width, L.height);
  fputs("<style>text{font-family:Verdana,sans-serif;font-size:12px;"
        "fill:#000}rect:hover{stroke:#000;stroke-width:0.5}"
        ".title{font-size:17px;text-anchor:middle}"
        ".sub{font-size:12px;text-anchor:middle;fill:#555}</style>\n",
        out);
  fprintf(out,
          "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%.0f\" "
          "fill=\"#f8f8f0\"/>\n<text class=\"title\" x=\"%.1f\" y=\"24\">",
          width, L.height, width / 2.0);
  put_xml(out, title, SIZE_MAX);
  fprintf(out,
          "</text>\n<text class=\"sub\" x=\"%.1f\" y=\"40\">%s in "
          "%llu block%s; oldest frame at the bottom</text>\n",
          width / 2.0, cli_size((double)root->size, false),
          (unsigned long long)root->count, root->count == 1 ? "" : "s");
  draw(&L, root, PAD, 0);
  fputs("</svg>\n", out);
}

int cmd_flamegraph(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  if (!o.output) {
    cli_opts_free(&o);
    return cli_usage_error(cmd, "'flamegraph' needs -o FILE");
  }
  tm_snapshot_t *snap = NULL;
  tm_statistics_t *st = NULL;
  node_t root = {0};
  size_t depth = 0;
  rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK &&
      tm_snapshot_statistics(snap, TM_KEY_TRACEBACK, false, &st) != TM_OK)
    rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
  for (size_t i = 0; rc == CLI_OK && i < tm_statistics_count(st); i++)
    if (!add_path(&root, &tm_statistics_items(st)[i], &depth))
      rc = cli_error(CLI_FAILURE, "out of memory");
  if (rc == CLI_OK) {
    char *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&svg, &len);
    if (!mem) {
      rc = cli_error(CLI_FAILURE, "out of memory");
    } else {
      write_svg(mem, &root, depth, o.width,
                o.title ? o.title : "Live bytes by traceback");
      if (fclose(mem) != 0)
        rc = cli_error(CLI_FAILURE, "out of memory");
      else if (tm_io_write_atomic(o.output, svg, len) != TM_OK)
        rc = cli_error(CLI_FAILURE, "%s", tm_error_message());
    }
    free(svg);
  }
  free_tree(&root);
  tm_statistics_free(st);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
