/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_flamegraph.c - `tracemalloc flamegraph SNAP -o out.svg`: a
 * self-contained, interactive SVG flame graph of the live heap by traceback,
 * in the style of flamegraph.pl.
 *
 * Design: the traceback statistics (one entry per distinct frame sequence)
 * are merged into a prefix tree from the oldest frame (the root, drawn at the
 * bottom) to the allocation site (on top); a box's width is proportional to
 * the bytes (or, with --weight blocks, the blocks) allocated under it.
 *
 * A node is one function of one file under one parent: the frames of a
 * function at different lines are one box, labelled with the line that holds
 * most of its weight (the tooltip says how many lines it covers). Frames
 * without a function name, and every frame with --by-line, are keyed by
 * file and line instead. Siblings are ordered by weight, largest first.
 *
 * Output bounds: a box narrower than one pixel of the image is not drawn,
 * nor anything above it (its weight stays in its parent, which is as wide as
 * it was: the gap at the parent's top end is the remainder); labels and file
 * names are cut at MAX_LABEL bytes; boxes are chosen from the rows nearest
 * the root up while their markup fits in MAX_BOX_BYTES (the subtitle says
 * how many were left out), so the output is bounded whatever the input.
 * Building the tree, ordering it and drawing are iterative and O(F log F) in
 * the F frames of the distinct tracebacks: a 10,000-frame traceback is a
 * 10,000-node chain.
 *
 * Each box is <g class="f" data-o data-v data-d>: its offset and width in
 * weight units (exact integers) and its depth, which the embedded script
 * (flamegraph_script.c) uses to zoom; a <title> with three lines (the label,
 * the file and line, the sizes), which is the tooltip, the details line and
 * what a search matches; the <rect>; the label cut to fit, in <text>. The
 * colours are a stable hash of the function (or file) name, so two graphs
 * of the same program look alike. Without script (an <img>), the picture is
 * the same, without interaction.
 *
 * Text is escaped for XML: &, <, >, " and ' as entities; control characters
 * (invalid in XML 1.0) as '?'; bytes that are not valid UTF-8 (C file names
 * are bytes) and U+FFFE/U+FFFF (not XML characters) as U+FFFD. Nothing of
 * the snapshot goes into the script.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flamegraph_script.h"
#include "snapshot_io.h"
#include "utf8.h"

/* The prefix tree, flat: nodes by index (0 is the root), children as a
 * linked list, and a hash table from (parent, filename, function, key line)
 * to the child so that adding a path costs O(frames) whatever the fan-out.
 * Strings are interned per snapshot, so pointers compare. */
typedef struct node {
  const char *filename, *function; /* NULL for the root */
  unsigned keyline; /* the line in the key: 0 when merged by function */
  unsigned lineno;  /* the line shown: keyline, or the heaviest line */
  uint32_t parent, first, last, next; /* 0 = none (the root is no child) */
  uint32_t depth;
  uint32_t nlines; /* distinct lines merged into this node */
  bool drawn;
  uint64_t size, count, best; /* best: the weight of line `lineno` */
} node_t;

/* The weight of each line of a node merged by function, to choose the line
 * its label shows. Open addressing; node 0 marks an empty slot. */
typedef struct line_sum {
  uint32_t node;
  unsigned line;
  uint64_t size, count;
} line_sum_t;

typedef struct tree {
  node_t *nodes;
  size_t n, cap;
  uint32_t *slots; /* open addressing; 0 = empty, else node index */
  size_t nslots;
  line_sum_t *lines;
  size_t nline, nlslots;
  bool by_line;
  bool blocks; /* weight: blocks, not bytes */
} tree_t;

/* Geometry in pixels. CHAR_W is the width the label fitting assumes for a
 * character of the 12 px font (flamegraph.pl's 0.59 em); the script uses
 * the same value. */
enum { FRAME_H = 17, PAD = 10, TITLE_H = 50, DETAILS_H = 22, CHAR_W = 7 };
/* Output bounds (docs/cli.md): labels and file names of at most MAX_LABEL
 * bytes, and boxes, the shallowest first, while their markup totals at most
 * MAX_BOX_BYTES; BOX_MARKUP bounds a box's markup besides its escaped
 * texts. The SVG is at most MAX_BOX_BYTES plus the script and the header. */
enum { MAX_LABEL = 300, BOX_MARKUP = 400 };
#define MAX_BOX_BYTES ((size_t)16 << 20)

static uint64_t weight_of(const tree_t *t, uint64_t size, uint64_t count) {
  return t->blocks ? count : size;
}

static uint64_t mix(uint64_t h) {
  h *= 0x9E3779B97F4A7C15u;
  return h ^ (h >> 29);
}

static uint64_t slot_hash(uint32_t parent, const char *file, const char *func,
                          unsigned line) {
  uint64_t h = mix((uint64_t)(uintptr_t)file);
  h = mix(h ^ (uint64_t)(uintptr_t)func);
  return mix(h ^ ((uint64_t)parent << 32 | line));
}

static bool tree_init(tree_t *t, bool by_line, bool blocks) {
  memset(t, 0, sizeof *t);
  t->by_line = by_line;
  t->blocks = blocks;
  t->cap = 1024;
  t->nodes = calloc(t->cap, sizeof *t->nodes);
  t->nslots = 2048;
  t->slots = calloc(t->nslots, sizeof *t->slots);
  t->nlslots = 1024;
  t->lines = calloc(t->nlslots, sizeof *t->lines);
  t->n = 1; // the root
  return t->nodes && t->slots && t->lines;
}

static void tree_free(tree_t *t) {
  free(t->nodes);
  free(t->slots);
  free(t->lines);
}

static bool grow_slots(tree_t *t) {
  size_t ns = t->nslots * 2;
  uint32_t *s = calloc(ns, sizeof *s);
  if (!s)
    return false;
  for (size_t i = 1; i < t->n; i++) {
    const node_t *k = &t->nodes[i];
    size_t j =
        slot_hash(k->parent, k->filename, k->function, k->keyline) & (ns - 1);
    while (s[j])
      j = (j + 1) & (ns - 1);
    s[j] = (uint32_t)i;
  }
  free(t->slots);
  t->slots = s;
  t->nslots = ns;
  return true;
}

/* Frames with a function name are merged by function unless --by-line. */
static bool merged(const tree_t *t, const tm_frame_t *f) {
  return !t->by_line && f->function && *f->function;
}

static unsigned key_line(const tree_t *t, const tm_frame_t *f) {
  return merged(t, f) ? 0 : f->lineno;
}

/* The child of `parent` for frame f, created if needed; 0 on failure. */
static uint32_t child(tree_t *t, uint32_t parent, const tm_frame_t *f) {
  const char *func = f->function && *f->function ? f->function : NULL;
  unsigned line = key_line(t, f);
  size_t mask = t->nslots - 1;
  size_t j = slot_hash(parent, f->filename, func, line) & mask;
  for (; t->slots[j]; j = (j + 1) & mask) {
    const node_t *k = &t->nodes[t->slots[j]];
    if (k->parent == parent && k->filename == f->filename &&
        k->function == func && k->keyline == line)
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
  k->function = func;
  k->keyline = line;
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

static size_t line_slot(const line_sum_t *tab, size_t nslots, uint32_t node,
                        unsigned line) {
  size_t mask = nslots - 1;
  size_t j = mix((uint64_t)node << 32 | line) & mask;
  while (tab[j].node && (tab[j].node != node || tab[j].line != line))
    j = (j + 1) & mask;
  return j;
}

/* Add a group's weight to line `line` of the merged node `node`. */
static bool add_line(tree_t *t, uint32_t node, unsigned line, uint64_t size,
                     uint64_t count) {
  if (2 * (t->nline + 1) > t->nlslots) {
    size_t ns = t->nlslots * 2;
    line_sum_t *tab = calloc(ns, sizeof *tab);
    if (!tab)
      return false;
    for (size_t i = 0; i < t->nlslots; i++)
      if (t->lines[i].node)
        tab[line_slot(tab, ns, t->lines[i].node, t->lines[i].line)] =
            t->lines[i];
    free(t->lines);
    t->lines = tab;
    t->nlslots = ns;
  }
  line_sum_t *e = &t->lines[line_slot(t->lines, t->nlslots, node, line)];
  if (!e->node) {
    *e = (line_sum_t){node, line, 0, 0};
    t->nline++;
  }
  e->size += size;
  e->count += count;
  return true;
}

/* Add one traceback group: frames are most recent first, the tree is
 * oldest first. The loader refuses snapshots whose sizes total more than
 * 2^63-1, so the sums cannot wrap. Returns false on out-of-memory. */
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
    if (merged(t, &f[i]) && !add_line(t, cur, f[i].lineno, s->size, s->count))
      return false;
  }
  return true;
}

/* Each node's number of lines and the heaviest one (the smallest line
 * number on a tie) for its label. Nodes keyed by line have that one. */
static void choose_lines(tree_t *t) {
  for (size_t i = 1; i < t->n; i++)
    if (t->nodes[i].function == NULL || t->by_line)
      t->nodes[i].nlines = 1; // keyed by line: the lines table has none
  for (size_t i = 0; i < t->nlslots; i++) {
    const line_sum_t *e = &t->lines[i];
    if (!e->node)
      continue;
    node_t *k = &t->nodes[e->node];
    uint64_t w = weight_of(t, e->size, e->count);
    if (k->nlines++ == 0 || w > k->best ||
        (w == k->best && e->line < k->lineno)) {
      k->best = w;
      k->lineno = e->line;
    }
  }
}

static const tree_t *sort_tree; // qsort has no context argument

static int by_parent_then_weight(const void *a, const void *b) {
  const node_t *x = &sort_tree->nodes[*(const uint32_t *)a];
  const node_t *y = &sort_tree->nodes[*(const uint32_t *)b];
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  uint64_t wx = weight_of(sort_tree, x->size, x->count);
  uint64_t wy = weight_of(sort_tree, y->size, y->count);
  if (wx != wy)
    return wx > wy ? -1 : 1;
  // Equal weights keep their order of insertion (biggest group first).
  return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Relink every node's children by weight, largest first: one sort of all
 * nodes by (parent, weight), no recursion. */
static bool sort_children(tree_t *t) {
  if (t->n < 2)
    return true;
  uint32_t *ids = malloc((t->n - 1) * sizeof *ids);
  if (!ids)
    return false;
  for (size_t i = 1; i < t->n; i++)
    ids[i - 1] = (uint32_t)i;
  sort_tree = t;
  qsort(ids, t->n - 1, sizeof *ids, by_parent_then_weight);
  for (size_t i = 0; i < t->n; i++)
    t->nodes[i].first = t->nodes[i].last = 0;
  for (size_t i = 0; i < t->n - 1; i++) {
    node_t *k = &t->nodes[ids[i]], *p = &t->nodes[k->parent];
    k->next = 0;
    if (p->last)
      t->nodes[p->last].next = ids[i];
    else
      p->first = ids[i];
    p->last = ids[i];
  }
  free(ids);
  return true;
}

/* Write s escaped for XML (only count when out is NULL), at most max_chars
 * code points (then ".."). Returns the number of bytes. */
static size_t put_xml(FILE *out, const char *str, size_t max_chars) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), chars = 0, bytes = 0;
  for (size_t i = 0; i < n; chars++) {
    const char *esc = NULL;
    if (chars == max_chars)
      esc = "..";
    unsigned char c = s[i];
    size_t len = 1;
    uint32_t cp;
    if (esc)
      len = n - i; // the rest
    else if (c == '&')
      esc = "&amp;";
    else if (c == '<')
      esc = "&lt;";
    else if (c == '>')
      esc = "&gt;";
    else if (c == '"')
      esc = "&quot;";
    else if (c == '\'')
      esc = "&apos;";
    else if (c < 0x20 || c == 0x7f)
      esc = "?";
    else if (c >= 0x80 && ((len = tm_utf8_decode(s + i, n - i, &cp)) == 0 ||
                           cp == 0xFFFE || cp == 0xFFFF)) {
      esc = "\xEF\xBF\xBD";
      len = len ? len : 1;
    }
    if (esc) {
      bytes += strlen(esc);
      if (out)
        fputs(esc, out);
    } else {
      bytes += len;
      if (out)
        fwrite(s + i, 1, len, out);
    }
    i += len;
  }
  return bytes;
}

/* The number of characters put_xml writes for s: code points, an invalid
 * byte counting one (it becomes U+FFFD). */
static size_t xml_chars(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), chars = 0;
  uint32_t cp;
  for (size_t i = 0; i < n; chars++) {
    size_t len = s[i] < 0x80 ? 1 : tm_utf8_decode(s + i, n - i, &cp);
    i += len ? len : 1;
  }
  return chars;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash && slash[1] ? slash + 1 : path;
}

/* Print into buf (cap bytes); a cut text ends in "..." (at most MAX_LABEL
 * bytes in all). */
static void cut_printf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cut_printf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n >= cap)
    memcpy(buf + cap - 4, "...", 4);
}

/* A box's texts: its label, "function (file.c:LINE)" with the function's
 * short name (short_name.c) and the file's base name, or "file.c:LINE" for
 * a frame without a function name; and where it is, the whole file name
 * and the line(s), then the whole function name when the label shortened
 * it. */
typedef struct texts {
  char label[MAX_LABEL + 1], where[MAX_LABEL + 1];
} texts_t;

static void texts_of(const node_t *n, texts_t *x) {
  if (!n->filename) {
    snprintf(x->label, sizeof x->label, "all");
    snprintf(x->where, sizeof x->where, "every traceback");
    return;
  }
  char name[MAX_LABEL + 1] = "";
  if (n->function) {
    cli_short_function_name(n->function, name, sizeof name);
    cut_printf(x->label, sizeof x->label, "%s (%s:%u)", name,
               base_name(n->filename), n->lineno);
  } else {
    cut_printf(x->label, sizeof x->label, "%s:%u", base_name(n->filename),
               n->lineno);
  }
  const char *in = n->function && strcmp(name, n->function) != 0 ? ", in " : "";
  const char *full = *in ? n->function : "";
  if (n->nlines > 1)
    cut_printf(x->where, sizeof x->where, "%s:%u and %u other line%s%s%s",
               n->filename, n->lineno, n->nlines - 1, n->nlines == 2 ? "" : "s",
               in, full);
  else
    cut_printf(x->where, sizeof x->where, "%s:%u%s%s", n->filename, n->lineno,
               in, full);
}

/* How much of a label of `chars` characters fits in px pixels, as the
 * script's fit(): all of it (SIZE_MAX), its start and ".." (the number of
 * characters kept), or nothing (0). */
static size_t fit_chars(size_t chars, double px) {
  size_t fit = px > 8 ? (size_t)((px - 6) / CHAR_W) : 0;
  return chars <= fit ? SIZE_MAX : fit >= 3 ? fit - 2 : 0;
}

/* An upper bound of the bytes draw_box writes for n, px pixels wide: the
 * markup, the escaped label in the title and (as it fits) in the text, and
 * the escaped place. */
static size_t box_bytes(const node_t *n, double px) {
  texts_t x;
  texts_of(n, &x);
  size_t keep = fit_chars(xml_chars(x.label), px);
  return BOX_MARKUP + put_xml(NULL, x.label, SIZE_MAX) +
         (keep ? put_xml(NULL, x.label, keep) : 0) +
         put_xml(NULL, x.where, SIZE_MAX);
}

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

typedef struct layout {
  FILE *out;
  const tree_t *t;
  double scale; /* pixels per weight unit */
  uint64_t total;
  double bottom; /* y of the root row's bottom edge */
} layout_t;

static void draw_box(const layout_t *L, const node_t *n, uint64_t offset) {
  FILE *out = L->out;
  uint64_t w = weight_of(L->t, n->size, n->count);
  double x = PAD + (double)offset * L->scale, px = (double)w * L->scale;
  double y = L->bottom - (double)(n->depth + 1) * FRAME_H;
  texts_t tx;
  texts_of(n, &tx);
  const char *label = tx.label, *where = tx.where;
  fprintf(out, "<g class=\"f\" data-o=\"%llu\" data-v=\"%llu\" data-d=\"%u\">",
          (unsigned long long)offset, (unsigned long long)w, n->depth);
  fputs("<title>", out);
  put_xml(out, label, SIZE_MAX);
  fputc('\n', out);
  put_xml(out, where, SIZE_MAX);
  fprintf(out, "\n%s in %llu block%s: %.2f%% of all %s</title>",
          cli_size((double)n->size, false), (unsigned long long)n->count,
          n->count == 1 ? "" : "s",
          L->total ? 100.0 * (double)w / (double)L->total : 0.0,
          L->t->blocks ? "blocks" : "bytes");
  uint32_t h = hash_name(n->function   ? n->function
                         : n->filename ? n->filename
                                       : "");
  fprintf(out,
          "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
          "fill=\"rgb(%u,%u,%u)\" rx=\"2\"/>",
          x, y, px, FRAME_H - 1, 205 + h % 50, (h >> 8) % 230, (h >> 16) % 55);
  size_t keep = fit_chars(xml_chars(label), px);
  if (keep) {
    fprintf(out, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 12);
    put_xml(out, label, keep);
    fputs("</text>", out);
  }
  fputs("</g>\n", out);
}

/* Choose the boxes: breadth first from the root, a box at least one pixel
 * wide whose parent is drawn, while the boxes' bytes fit in MAX_BOX_BYTES.
 * Returns the number of boxes at least a pixel wide left out by the cap and
 * sets *rows to the deepest drawn row and *drawn to the number drawn. */
static size_t choose(tree_t *t, double scale, size_t *rows, size_t *drawn) {
  uint32_t *queue = malloc(t->n * sizeof *queue);
  size_t head = 0, tail = 0, skipped = 0, bytes = 0;
  *rows = 0;
  *drawn = 0;
  if (!queue)
    return 0;
  const node_t *root = &t->nodes[0];
  if ((double)weight_of(t, root->size, root->count) * scale >= 1.0)
    queue[tail++] = 0;
  while (head < tail) {
    node_t *n = &t->nodes[queue[head++]];
    double px = (double)weight_of(t, n->size, n->count) * scale;
    if (skipped || (bytes += box_bytes(n, px)) > MAX_BOX_BYTES) {
      skipped++; // and go on, to count every visible box left out
    } else {
      n->drawn = true;
      ++*drawn;
      if (n->depth > *rows)
        *rows = n->depth;
    }
    for (uint32_t k = n->first; k; k = t->nodes[k].next)
      if ((double)weight_of(t, t->nodes[k].size, t->nodes[k].count) * scale >=
          1.0)
        queue[tail++] = k;
  }
  free(queue);
  return skipped;
}

/* Draw the chosen boxes in depth-first preorder (children left to right,
 * largest first) with an explicit stack; offsets are exact sums of the
 * weights to the left, drawn or not. */
static bool draw(const layout_t *L, const tree_t *t) {
  typedef struct item {
    uint32_t id;
    uint64_t offset;
  } item_t;
  item_t *stack = malloc((t->n + 1) * sizeof *stack);
  if (!stack)
    return false;
  size_t sp = 0;
  if (t->nodes[0].drawn)
    stack[sp++] = (item_t){0, 0};
  while (sp) {
    item_t it = stack[--sp];
    const node_t *n = &t->nodes[it.id];
    draw_box(L, n, it.offset);
    // Push the children right to left so that the leftmost pops first.
    size_t mark = sp;
    uint64_t offset = it.offset;
    for (uint32_t k = n->first; k; k = t->nodes[k].next) {
      if (t->nodes[k].drawn)
        stack[sp++] = (item_t){k, offset};
      offset += weight_of(t, t->nodes[k].size, t->nodes[k].count);
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

static void write_header(FILE *out, const tree_t *t, unsigned width,
                         double height, const char *title) {
  const node_t *root = &t->nodes[0];
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
          "width=\"%u\" height=\"%.0f\" viewBox=\"0 0 %u %.0f\">\n",
          width, height, width, height);
  fputs("<style>text{font-family:Verdana,sans-serif;font-size:12px;"
        "fill:#000}g.f{cursor:pointer}g.f:hover rect{stroke:#000;"
        "stroke-width:0.5}g.f text{pointer-events:none}"
        ".title{font-size:17px;text-anchor:middle}"
        ".sub{font-size:12px;text-anchor:middle;fill:#555}"
        ".btn{cursor:pointer;fill:#00c;text-decoration:underline}"
        ".hide{display:none}.parent{opacity:0.5}</style>\n",
        out);
  fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n",
          cli_flamegraph_script);
  fprintf(out,
          "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%.0f\" "
          "fill=\"#f8f8f0\"/>\n<text class=\"title\" x=\"%.1f\" y=\"24\">",
          width, height, width / 2.0);
  put_xml(out, title, SIZE_MAX);
  fprintf(out,
          "</text>\n<text class=\"sub\" x=\"%.1f\" y=\"42\">%s in "
          "%llu block%s; widths: %s; frames merged by %s; oldest frame at "
          "the bottom",
          width / 2.0, cli_size((double)root->size, false),
          (unsigned long long)root->count, root->count == 1 ? "" : "s",
          t->blocks ? "blocks" : "bytes", t->by_line ? "line" : "function");
}

static bool write_svg(FILE *out, tree_t *t, unsigned width, const char *title) {
  const node_t *root = &t->nodes[0];
  uint64_t total = weight_of(t, root->size, root->count);
  layout_t L = {out, t, 0, total, 0};
  L.scale = total ? (width - 2.0 * PAD) / (double)total : 0;
  size_t rows = 0, drawn = 0;
  size_t skipped = choose(t, L.scale, &rows, &drawn);
  size_t narrow = total ? t->n - drawn - skipped : 0;
  double height = TITLE_H + (double)(rows + 1) * FRAME_H + PAD + DETAILS_H;
  L.bottom = height - DETAILS_H;
  write_header(out, t, width, height, title);
  if (narrow)
    fprintf(out, "; %zu frame%s narrower than 1 px not drawn", narrow,
            narrow == 1 ? "" : "s");
  if (skipped)
    fprintf(out, "; %zu deeper boxes not drawn (at most %zu MiB of boxes are)",
            skipped, MAX_BOX_BYTES >> 20);
  fputs("</text>\n", out);
  fprintf(out,
          "<text id=\"unzoom\" class=\"btn hide\" x=\"%d\" y=\"24\">Reset "
          "Zoom</text>\n<text id=\"search\" class=\"btn\" x=\"%u\" y=\"24\" "
          "style=\"text-anchor:end\">Search</text>\n",
          PAD, width - PAD);
  bool ok = draw(&L, t);
  fprintf(out,
          "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n"
          "<text id=\"matched\" class=\"hide\" x=\"%u\" y=\"%.0f\" "
          "style=\"text-anchor:end\"> </text>\n</svg>\n",
          PAD, height - 7, width - PAD, height - 7);
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
  if (!cli_svg_name(o.output)) {
    rc = cli_usage_error(cmd,
                         "-o '%s': flamegraph writes SVG only; expected a "
                         "file name ending in .svg",
                         o.output);
    cli_opts_free(&o);
    return rc;
  }
  tm_snapshot_t *snap = NULL;
  tm_statistics_t *st = NULL;
  tree_t tree;
  if (!tree_init(&tree, o.by_line, o.weight_blocks))
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
    choose_lines(&tree);
    if (!sort_children(&tree))
      rc = cli_error(CLI_FAILURE, "out of memory");
  }
  if (rc == CLI_OK) {
    char *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&svg, &len);
    if (!mem) {
      rc = cli_error(CLI_FAILURE, "out of memory");
    } else {
      const char *title = o.title           ? o.title
                          : o.weight_blocks ? "Live blocks by traceback"
                                            : "Live bytes by traceback";
      bool drawn = write_svg(mem, &tree, o.width, title);
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
