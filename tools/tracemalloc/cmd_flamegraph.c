/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_flamegraph.c - `tracemalloc flamegraph SNAP -o out.svg`: a
 * self-contained SVG flame graph of live bytes by traceback.
 *
 * Design: the traceback statistics (one entry per distinct frame sequence)
 * are merged into a prefix tree from the oldest frame (the root, drawn at the
 * bottom) to the allocation site (on top); a box's width is proportional to
 * the bytes allocated under it. Boxes narrower than half a pixel are not
 * drawn (nor their children), at most MAX_BOXES boxes are drawn (the
 * shallowest rows first; the subtitle says how many were left out) and
 * labels are cut at MAX_LABEL bytes, so the output is bounded whatever the
 * input; building the tree and drawing are iterative and linear in the
 * frames of the distinct tracebacks. Each box carries a <title> tooltip with
 * the frame, bytes, block count and share. The colours are a stable hash of the
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
#include "snapshot_io.h"
#include "utf8.h"

/* The prefix tree, flat: nodes by index (0 is the root), children as a
 * linked list in insertion order, and a hash table from (parent, filename,
 * lineno) to the child so that adding a path costs O(frames) whatever the
 * fan-out. Strings are interned per snapshot, so pointers compare. Nothing
 * recurses: a 10,000-frame traceback is a 10,000-node chain. */
typedef struct node {
  const char *filename, *function; /* NULL for the root */
  unsigned lineno;
  uint32_t parent, first, last, next; /* 0 = none (the root is no child) */
  uint32_t depth;
  bool drawn;
  uint64_t size, count;
} node_t;

typedef struct tree {
  node_t *nodes;
  size_t n, cap;
  uint32_t *slots; /* open addressing; 0 = empty, else node index */
  size_t nslots;
  size_t depth; /* deepest path */
} tree_t;

enum { FRAME_H = 17, PAD = 10, TITLE_H = 46 };
/* Output bounds (docs/cli.md): at most MAX_BOXES boxes, the shallowest
 * first, and labels of at most MAX_LABEL bytes, so that the SVG stays a few
 * tens of MB at worst whatever the snapshot holds. */
enum { MAX_BOXES = 30000, MAX_LABEL = 300 };

static uint64_t slot_hash(uint32_t parent, const char *file, unsigned line) {
  uint64_t h = (uint64_t)(uintptr_t)file * 0x9E3779B97F4A7C15u;
  h ^= ((uint64_t)parent << 32 | line) * 0xC2B2AE3D27D4EB4Fu;
  return h ^ (h >> 29);
}

static bool tree_init(tree_t *t) {
  memset(t, 0, sizeof *t);
  t->cap = 1024;
  t->nodes = calloc(t->cap, sizeof *t->nodes);
  t->nslots = 2048;
  t->slots = calloc(t->nslots, sizeof *t->slots);
  t->n = 1; // the root
  return t->nodes && t->slots;
}

static bool grow_slots(tree_t *t) {
  size_t ns = t->nslots * 2;
  uint32_t *s = calloc(ns, sizeof *s);
  if (!s)
    return false;
  for (size_t i = 1; i < t->n; i++) {
    const node_t *k = &t->nodes[i];
    size_t j = slot_hash(k->parent, k->filename, k->lineno) & (ns - 1);
    while (s[j])
      j = (j + 1) & (ns - 1);
    s[j] = (uint32_t)i;
  }
  free(t->slots);
  t->slots = s;
  t->nslots = ns;
  return true;
}

/* The child of `parent` for frame f, created if needed; 0 on failure. */
static uint32_t child(tree_t *t, uint32_t parent, const tm_frame_t *f) {
  size_t mask = t->nslots - 1;
  size_t j = slot_hash(parent, f->filename, f->lineno) & mask;
  for (; t->slots[j]; j = (j + 1) & mask) {
    const node_t *k = &t->nodes[t->slots[j]];
    if (k->parent == parent && k->filename == f->filename &&
        k->lineno == f->lineno)
      return t->slots[j];
  }
  if (t->n >= UINT32_MAX)
    return 0;
  if (t->n == t->cap) {
    node_t *nn = realloc(t->nodes, 2 * t->cap * sizeof *nn);
    if (!nn)
      return 0;
    t->nodes = nn;
    t->cap *= 2;
  }
  uint32_t id = (uint32_t)t->n++;
  node_t *k = &t->nodes[id];
  memset(k, 0, sizeof *k);
  k->filename = f->filename;
  k->function = f->function;
  k->lineno = f->lineno;
  k->parent = parent;
  k->depth = t->nodes[parent].depth + 1;
  node_t *p = &t->nodes[parent];
  if (p->last)
    t->nodes[p->last].next = id;
  else
    p->first = id;
  p->last = id;
  t->slots[j] = id;
  if (2 * t->n > t->nslots && !grow_slots(t))
    return 0;
  return id;
}

/* Add one traceback group: frames are most recent first, the tree is
 * oldest first. Returns false on out-of-memory. */
static bool add_path(tree_t *t, const tm_statistic_t *s) {
  size_t n = tm_traceback_length(s->traceback);
  const tm_frame_t *f = tm_traceback_frames(s->traceback);
  uint32_t cur = 0;
  t->nodes[0].size += s->size;
  t->nodes[0].count += s->count;
  for (size_t i = n; i-- > 0;) {
    cur = child(t, cur, &f[i]);
    if (!cur)
      return false;
    t->nodes[cur].size += s->size;
    t->nodes[cur].count += s->count;
  }
  if (n > t->depth)
    t->depth = n;
  return true;
}

static void tree_free(tree_t *t) {
  free(t->nodes);
  free(t->slots);
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
  if (strlen(buf) == cap - 1) // cut: say so ("..." after at most MAX_LABEL)
    memcpy(buf + cap - 4, "...", 4);
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

static void draw_box(const layout_t *L, const node_t *n, double x) {
  double w = (double)n->size * L->scale;
  char label[MAX_LABEL + 1];
  label_of(n, label, sizeof label);
  double y = L->height - PAD - (double)(n->depth + 1) * FRAME_H;
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
}

/* Choose the boxes: breadth first from the root, a box at least half a
 * pixel wide whose parent is drawn, until MAX_BOXES. Returns the number of
 * visible boxes left out by the cap and sets *rows to the deepest drawn
 * row. */
static size_t choose(tree_t *t, double scale, size_t *rows) {
  uint32_t *queue = malloc(t->n * sizeof *queue);
  size_t head = 0, tail = 0, drawn = 0, skipped = 0;
  *rows = 0;
  if (!queue)
    return 0;
  if ((double)t->nodes[0].size * scale >= 0.5)
    queue[tail++] = 0;
  while (head < tail) {
    node_t *n = &t->nodes[queue[head++]];
    if (drawn == MAX_BOXES) {
      skipped++; // and go on, to count every visible box left out
    } else {
      n->drawn = true;
      drawn++;
      if (n->depth > *rows)
        *rows = n->depth;
    }
    for (uint32_t k = n->first; k; k = t->nodes[k].next)
      if ((double)t->nodes[k].size * scale >= 0.5)
        queue[tail++] = k;
  }
  free(queue);
  return skipped;
}

/* Draw the chosen boxes in depth-first preorder (children left to right in
 * insertion order, i.e. biggest group first) with an explicit stack. */
static bool draw(const layout_t *L, const tree_t *t) {
  typedef struct item {
    uint32_t id;
    double x;
  } item_t;
  item_t *stack = malloc((t->n + 1) * sizeof *stack);
  if (!stack)
    return false;
  size_t sp = 0;
  if (t->nodes[0].drawn)
    stack[sp++] = (item_t){0, PAD};
  while (sp) {
    item_t it = stack[--sp];
    const node_t *n = &t->nodes[it.id];
    draw_box(L, n, it.x);
    // Push the children right to left so that the leftmost pops first.
    size_t mark = sp;
    double x = it.x;
    for (uint32_t k = n->first; k; k = t->nodes[k].next) {
      if (t->nodes[k].drawn)
        stack[sp++] = (item_t){k, x};
      x += (double)t->nodes[k].size * L->scale;
    }
    for (size_t i = mark, j = sp; i + 1 < j; i++, j--) {
      item_t tmp = stack[i];
      stack[i] = stack[j - 1];
      stack[j - 1] = tmp;
    }
  }
  free(stack);
  return true;
}

static bool write_svg(FILE *out, tree_t *t, unsigned width, const char *title) {
  const node_t *root = &t->nodes[0];
  layout_t L = {out, 0, root->size, 0};
  L.scale = root->size ? (width - 2.0 * PAD) / (double)root->size : 0;
  size_t rows = 0;
  size_t skipped = choose(t, L.scale, &rows);
  L.height = TITLE_H + (double)(rows + 1) * FRAME_H + 2 * PAD;
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
          "%llu block%s; oldest frame at the bottom",
          width / 2.0, cli_size((double)root->size, false),
          (unsigned long long)root->count, root->count == 1 ? "" : "s");
  if (skipped)
    fprintf(out, "; %zu deeper boxes not drawn (at most %d are)", skipped,
            MAX_BOXES);
  fputs("</text>\n", out);
  bool ok = draw(&L, t);
  fputs("</svg>\n", out);
  return ok;
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
  tree_t tree;
  if (!tree_init(&tree))
    rc = cli_error(CLI_FAILURE, "out of memory");
  if (rc == CLI_OK)
    rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK &&
      tm_snapshot_statistics(snap, TM_KEY_TRACEBACK, false, &st) != TM_OK)
    rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
  for (size_t i = 0; rc == CLI_OK && i < tm_statistics_count(st); i++)
    if (!add_path(&tree, &tm_statistics_items(st)[i]))
      rc = cli_error(CLI_FAILURE, "out of memory");
  if (rc == CLI_OK) {
    char *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&svg, &len);
    if (!mem) {
      rc = cli_error(CLI_FAILURE, "out of memory");
    } else {
      bool drawn = write_svg(mem, &tree, o.width,
                             o.title ? o.title : "Live bytes by traceback");
      if (fclose(mem) != 0 || !drawn)
        rc = cli_error(CLI_FAILURE, "out of memory");
      else if (tm_io_write_atomic(o.output, svg, len) != TM_OK)
        rc = cli_error(CLI_FAILURE, "%s", tm_error_message());
    }
    free(svg);
  }
  tree_free(&tree);
  tm_statistics_free(st);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
