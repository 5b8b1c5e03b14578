/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_timeline.c - `tracemalloc timeline SNAP [-o chart.svg]`: memory over
 * time (tm_snapshot_timeline) as an ASCII chart in the style of massif's
 * ms_print, or as a static SVG chart.
 *
 * The ASCII chart. COLS x ROWS cells; column c covers the times
 * [c, c + 1) * T / COLS of the timeline's span T (the last column includes
 * T). A column's height is the largest current of the points that fall in
 * it, or, without one, the current of the last point before it (the last
 * value known: a step, as the SVG draws it), scaled so that the largest
 * current is ROWS rows, rounded to the nearest row. The column of the
 * largest current (the peak; the earliest if several) is drawn with '#',
 * the others with ':' as ms_print draws ordinary snapshots. The y axis is
 * labelled with the peak and 0 in CPython's _format_size style, the x axis
 * with 0 and T in the unit that keeps T under 10,000.
 *
 * The SVG draws the same function as the ASCII chart: each point's value
 * held until the next point (a step, as ms_print's columns), never a
 * straight line between two points, which would invent values that were
 * never measured (docs/cli.md, "Memory over time"). The current as a
 * filled step area with its outline, each point marked by a dot on it (so
 * that sparse samples show as such), the peak counter
 * (get_traced_memory()'s peak at each point) as a dashed step line, the
 * largest current marked by a red dot with its size and time, axes with
 * ticks labelled in _format_size style and in the time unit (the time
 * ticks at round values: time_tick_step), the program
 * in the title. No script: any viewer shows it. Text is escaped for XML.
 * Geometry is fixed (docs/cli.md) so that tests can find what they check:
 * the plot area is <rect id="plot">, the marker <circle id="peak">.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "snapshot_io.h"
#include "utf8.h"

enum { COLS = 72, ROWS = 20 };

/* The unit in which t (ns) is under 10,000, and its size in ns. */
static const char *time_unit(uint64_t t, double *scale) {
  if (t < 10000) {
    *scale = 1;
    return "ns";
  }
  if (t < 10000000) {
    *scale = 1e3;
    return "us";
  }
  if (t < 10000000000ull) {
    *scale = 1e6;
    return "ms";
  }
  *scale = 1e9;
  return "s";
}

/* The point with the largest current (the earliest of equals). */
static size_t peak_index(const tm_timeline_point_t *p, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (p[i].current > p[best].current)
      best = i;
  return best;
}

static size_t column_of(uint64_t t, uint64_t span) {
  if (span == 0)
    return COLS - 1;
  size_t c = (size_t)((unsigned __int128)t * COLS / span);
  return c >= COLS ? COLS - 1 : c;
}

static const char *program_of(const tm_snapshot_t *snap, int64_t *pid) {
  tm_snapshot_info_t info;
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  *pid = -1;
  if (tm_snapshot_get_info(snap, &info) != TM_OK)
    return "";
  *pid = info.pid;
  return info.program ? info.program : "";
}

static void print_ascii(const tm_timeline_point_t *p, size_t n,
                        const char *program, int64_t pid) {
  uint64_t span = p[n - 1].time_ns;
  size_t ip = peak_index(p, n);
  uint64_t top = p[ip].current;
  double scale;
  const char *unit = time_unit(span, &scale);

  printf("Memory over time: %s", *program ? program : "(unknown program)");
  if (pid >= 0)
    printf(" (pid %" PRId64 ")", pid);
  printf(", %zu point%s over %.1f %s\n", n, n == 1 ? "" : "s",
         (double)span / scale, unit);
  // cli_size's buffer is reused by the next call: one per printf.
  printf("Peak: %s at %.1f %s (allocation %" PRIu64 ")",
         cli_size((double)top, false), (double)p[ip].time_ns / scale, unit,
         p[ip].allocations);
  printf("; at the end: %s\n\n", cli_size((double)p[n - 1].current, false));

  // Column heights: the step function of current, the max within a column.
  uint64_t value[COLS] = {0};
  bool has[COLS] = {false};
  for (size_t i = 0; i < n; i++) {
    size_t c = column_of(p[i].time_ns, span);
    if (!has[c] || p[i].current > value[c])
      value[c] = p[i].current;
    has[c] = true;
  }
  uint64_t carry = 0; // the current of the last point before column c
  for (size_t c = 0, i = 0; c < COLS; c++) {
    while (i < n && column_of(p[i].time_ns, span) <= c)
      i++;
    if (!has[c])
      value[c] = carry;
    carry = i ? p[i - 1].current : 0;
  }
  unsigned height[COLS];
  for (size_t c = 0; c < COLS; c++)
    height[c] =
        top ? (unsigned)(((unsigned __int128)value[c] * ROWS + top / 2) / top)
            : 0;
  size_t pc = column_of(p[ip].time_ns, span);

  char top_label[64], zero_label[64];
  snprintf(top_label, sizeof top_label, "%s", cli_size((double)top, false));
  snprintf(zero_label, sizeof zero_label, "%s", cli_size(0, false));
  int w = (int)strlen(top_label);
  if ((int)strlen(zero_label) > w)
    w = (int)strlen(zero_label);
  for (unsigned r = ROWS; r >= 1; r--) {
    printf("%*s %c", w, r == ROWS ? top_label : "", r == ROWS ? '^' : '|');
    char line[COLS + 1];
    size_t len = 0;
    for (size_t c = 0; c < COLS; c++) {
      char ch = height[c] >= r ? (c == pc ? '#' : ':') : ' ';
      line[c] = ch;
      if (ch != ' ')
        len = c + 1;
    }
    line[len] = '\0';
    printf("%s\n", line);
  }
  printf("%*s +", w, zero_label);
  for (size_t c = 0; c < COLS; c++)
    putchar('-');
  printf("->%s\n", unit);
  char end[32];
  snprintf(end, sizeof end, "%.1f", (double)span / scale);
  printf("%*s 0%*s\n", w, "", COLS, end);
}

/* ---- SVG ---------------------------------------------------------------- */

enum {
  SVG_W = 900,
  SVG_H = 500,
  PLOT_X0 = 100,
  PLOT_X1 = 870,
  PLOT_Y0 = 70,
  PLOT_Y1 = 430,
  NTICKS = 4
};

static void xml_text(FILE *out, const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    if (c == '&')
      fputs("&amp;", out);
    else if (c == '<')
      fputs("&lt;", out);
    else if (c == '>')
      fputs("&gt;", out);
    else if (c == '"')
      fputs("&quot;", out);
    else if (c < 0x20)
      fputc('?', out);
    if (c == '&' || c == '<' || c == '>' || c == '"' || c < 0x20) {
      i++;
      continue;
    }
    if (c < 0x80) {
      fputc(c, out);
      i++;
      continue;
    }
    uint32_t cp;
    size_t len = tm_utf8_decode(u + i, n - i, &cp);
    if (len == 0 || cp == 0xfffe || cp == 0xffff) { // not XML characters
      fputs("\xEF\xBF\xBD", out);                   // U+FFFD
      i += len ? len : 1;
    } else {
      fwrite(u + i, 1, len, out);
      i += len;
    }
  }
}

/* The step through the points in plot coordinates: each point's value
 * (the current, or the peak counter when `peak`) held until the next
 * point's time, then a vertical edge to the next value. Each coordinate
 * pair is preceded by a space. */
static void step_points(FILE *out, const tm_timeline_point_t *p, size_t n,
                        uint64_t span, uint64_t ymax, bool peak) {
  double pw = PLOT_X1 - PLOT_X0, ph = PLOT_Y1 - PLOT_Y0, held = 0;
  for (size_t i = 0; i < n; i++) {
    double x = PLOT_X0 + (span ? (double)p[i].time_ns / (double)span * pw : pw);
    double y =
        PLOT_Y1 - (double)(peak ? p[i].peak : p[i].current) / (double)ymax * ph;
    if (i)
      fprintf(out, " %.2f,%.2f", x, held);
    fprintf(out, " %.2f,%.2f", x, y);
    held = y;
  }
}

/* The time axis's tick step, in the axis unit: the smallest 1, 2 or 5
 * times a power of ten that cuts `span` (in that unit) into at most
 * NTICKS + 1 intervals, so that the ticks fall on round values (0, 20, 40
 * ms, not 0, 31.72, 63.44 ms) as in any chart tool. *decimals: the digits
 * after the point that its multiples need. */
static double time_tick_step(double span, int *decimals) {
  double raw = span / (NTICKS + 1);
  *decimals = 0;
  if (!(raw > 0)) // an empty span: one tick, at 0
    return 1;
  // raw = f * 10^e with 1 <= f < 10.
  int e = 0;
  double p10 = 1;
  while (p10 * 10 <= raw) {
    p10 *= 10;
    e++;
  }
  while (p10 > raw) {
    p10 /= 10;
    e--;
  }
  double m = raw / p10 <= 1 ? 1 : raw / p10 <= 2 ? 2 : raw / p10 <= 5 ? 5 : 10;
  if (m == 10) {
    m = 1;
    p10 *= 10;
    e++;
  }
  *decimals = e < 0 ? -e : 0;
  return m * p10;
}

static void write_svg(FILE *out, const tm_timeline_point_t *p, size_t n,
                      const char *program, int64_t pid) {
  uint64_t span = p[n - 1].time_ns;
  size_t ip = peak_index(p, n);
  uint64_t ymax = 0;
  for (size_t i = 0; i < n; i++)
    if (p[i].peak > ymax)
      ymax = p[i].peak;
  if (ymax == 0)
    ymax = 1;
  double scale;
  const char *unit = time_unit(span, &scale);
  double pw = PLOT_X1 - PLOT_X0, ph = PLOT_Y1 - PLOT_Y0;
#define XOF(t) (PLOT_X0 + (span ? (double)(t) / (double)span * pw : pw))
#define YOF(v) (PLOT_Y1 - (double)(v) / (double)ymax * ph)

  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
          "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
          "font-family=\"Verdana, sans-serif\" font-size=\"12\">\n",
          SVG_W, SVG_H, SVG_W, SVG_H);
  fprintf(out,
          "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
          "fill=\"#ffffff\"/>\n",
          SVG_W, SVG_H);
  fputs("<text x=\"450\" y=\"26\" font-size=\"17\" text-anchor=\"middle\">"
        "Memory over time: ",
        out);
  xml_text(out, *program ? program : "(unknown program)");
  if (pid >= 0)
    fprintf(out, " (pid %" PRId64 ")", pid);
  fputs("</text>\n", out);
  fprintf(out,
          "<text x=\"450\" y=\"46\" text-anchor=\"middle\" fill=\"#555\">"
          "peak %s at %.1f %s; %zu points over %.1f %s</text>\n",
          cli_size((double)p[ip].current, false), (double)p[ip].time_ns / scale,
          unit, n, (double)span / scale, unit);
  fprintf(out,
          "<rect id=\"plot\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
          "fill=\"#fbfbfb\" stroke=\"#999\" data-span-ns=\"%" PRIu64
          "\" data-ymax=\"%" PRIu64 "\"/>\n",
          PLOT_X0, PLOT_Y0, PLOT_X1 - PLOT_X0, PLOT_Y1 - PLOT_Y0, span, ymax);
  // Grid, ticks and their labels.
  for (int k = 0; k <= NTICKS; k++) {
    double v = (double)ymax * k / NTICKS, y = YOF(v);
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"#e4e4e4\"/><text x=\"%d\" y=\"%.1f\" "
            "text-anchor=\"end\">%s</text>\n",
            PLOT_X0, y, PLOT_X1, y, PLOT_X0 - 6, y + 4, cli_size(v, false));
  }
  // Time ticks at round values (time_tick_step) from 0 up to the span.
  int decimals;
  double step = time_tick_step((double)span / scale, &decimals);
  for (int k = 0;; k++) {
    double tu = step * k; // in the axis unit
    if (tu * scale > (double)span * (1 + 1e-9) && k > 0)
      break;
    double x = XOF(tu * scale);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
            "stroke=\"#999\"/><text x=\"%.1f\" y=\"%d\" "
            "text-anchor=\"middle\">%.*f</text>\n",
            x, PLOT_Y1, x, PLOT_Y1 + 5, x, PLOT_Y1 + 19, decimals, tu);
  }
  fprintf(out,
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (%s since "
          "tracing started)</text>\n",
          (PLOT_X0 + PLOT_X1) / 2, PLOT_Y1 + 40, unit);
  fprintf(out,
          "<text x=\"24\" y=\"%d\" text-anchor=\"middle\" "
          "transform=\"rotate(-90 24 %d)\">traced memory</text>\n",
          (PLOT_Y0 + PLOT_Y1) / 2, (PLOT_Y0 + PLOT_Y1) / 2);
  // The current: a filled step area, its outline and the points; the peak
  // so far as a dashed step line.
  fprintf(out, "<polygon fill=\"#1f6fd1\" fill-opacity=\"0.18\" points=\"");
  fprintf(out, "%.2f,%d", XOF(p[0].time_ns), PLOT_Y1);
  step_points(out, p, n, span, ymax, false);
  fprintf(out, " %.2f,%d\"/>\n", XOF(p[n - 1].time_ns), PLOT_Y1);
  fputs("<polyline id=\"current\" fill=\"none\" stroke=\"#1f6fd1\" "
        "stroke-width=\"2\" points=\"",
        out);
  step_points(out, p, n, span, ymax, false);
  fputs("\"/>\n", out);
  // Zero-length segments with round caps: one dot per point, one element.
  fputs("<path id=\"samples\" fill=\"none\" stroke=\"#1f6fd1\" "
        "stroke-width=\"5\" stroke-linecap=\"round\" d=\"",
        out);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%sM%.2f,%.2fh0", i ? " " : "", XOF(p[i].time_ns),
            YOF(p[i].current));
  fputs("\"/>\n", out);
  fputs("<polyline id=\"peakline\" fill=\"none\" stroke=\"#e08000\" "
        "stroke-width=\"1.5\" stroke-dasharray=\"6 4\" points=\"",
        out);
  step_points(out, p, n, span, ymax, true);
  fputs("\"/>\n", out);
  // The peak marker and its label (left of it when it is on the right).
  double mx = XOF(p[ip].time_ns), my = YOF(p[ip].current);
  bool left = mx > (PLOT_X0 + PLOT_X1) / 2.0;
  fprintf(out,
          "<circle id=\"peak\" cx=\"%.2f\" cy=\"%.2f\" r=\"6\" "
          "fill=\"#e00000\" data-time-ns=\"%" PRIu64 "\" data-bytes=\"%" PRIu64
          "\"/>\n",
          mx, my, p[ip].time_ns, p[ip].current);
  fprintf(out,
          "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" fill=\"#333\">"
          "peak %s at %.1f %s</text>\n",
          left ? mx - 10 : mx + 10, my < PLOT_Y0 + 20 ? my + 18 : my - 8,
          left ? "end" : "start", cli_size((double)p[ip].current, false),
          (double)p[ip].time_ns / scale, unit);
  // Legend.
  fprintf(out,
          "<line x1=\"%d\" y1=\"58\" x2=\"%d\" y2=\"58\" stroke=\"#1f6fd1\" "
          "stroke-width=\"2\"/><text x=\"%d\" y=\"62\">current</text>\n"
          "<line x1=\"%d\" y1=\"58\" x2=\"%d\" y2=\"58\" stroke=\"#e08000\" "
          "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"%d\" "
          "y=\"62\">peak so far</text>\n",
          PLOT_X1 - 200, PLOT_X1 - 180, PLOT_X1 - 175, PLOT_X1 - 100,
          PLOT_X1 - 80, PLOT_X1 - 75);
  fputs("</svg>\n", out);
#undef XOF
#undef YOF
}

/* The error for a snapshot without points, saying what is missing and why:
 * only tm_take_snapshot in a tracing process (and so every dump the runtime
 * writes, and tm_snapshot_dump of such a snapshot) gives a snapshot its
 * timeline. A snapshot with an allocation history but no timeline comes
 * most likely from one of those through a function that keeps the history
 * only (tm_take_peak_snapshot, tm_snapshot_peak, tm_snapshot_filter_traces,
 * `export` with FILTERS). */
static int no_timeline(const char *path, const tm_snapshot_t *snap,
                       bool empty_section) {
  if (empty_section)
    return cli_error(CLI_USAGE,
                     "%s: the snapshot's timeline section has no point "
                     "(the runtime writes at least two: this one was made "
                     "by hand or with tm_snapshot_set_timeline)",
                     path);
  if (tm_snapshot_history(snap, NULL))
    return cli_error(
        CLI_USAGE,
        "%s: the snapshot has no timeline section, as the snapshots of "
        "tm_take_peak_snapshot, tm_snapshot_peak and filters have none (they "
        "keep the allocation history, not the timeline); the snapshot of "
        "tm_take_snapshot, and so the exit dump, has one",
        path);
  return cli_error(CLI_USAGE,
                   "%s: the snapshot has no timeline section: only the "
                   "snapshots of tm_take_snapshot in a traced program, and "
                   "their dumps, have one (not CPython's, hand-built ones, "
                   "or those of a runtime before timelines)",
                   path);
}

int cmd_timeline(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  // The chart is SVG only: a .png (or any other name) would get SVG bytes
  // that its viewers refuse.
  if (o.output && !cli_svg_name(o.output)) {
    rc = cli_usage_error(cmd,
                         "-o '%s': timeline writes SVG only; expected a file "
                         "name ending in .svg",
                         o.output);
    cli_opts_free(&o);
    return rc;
  }
  tm_snapshot_t *snap = NULL;
  rc = cli_load(o.args[0], &o, &snap);
  size_t n = 0;
  const tm_timeline_point_t *p =
      rc == CLI_OK ? tm_snapshot_timeline(snap, &n) : NULL;
  if (rc == CLI_OK && n == 0) {
    rc = no_timeline(o.args[0], snap, p != NULL);
    tm_snapshot_free(snap);
    cli_opts_free(&o);
    return rc;
  }
  int64_t pid = -1;
  const char *program = rc == CLI_OK ? program_of(snap, &pid) : "";
  if (rc == CLI_OK && !o.output) {
    cli_escape_stdout(false);
    print_ascii(p, n, program, pid);
    rc = cli_finish_output(stdout, "<stdout>");
  } else if (rc == CLI_OK) {
    char *svg = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&svg, &len);
    if (!mem) {
      rc = cli_error(CLI_FAILURE, "out of memory");
    } else {
      write_svg(mem, p, n, program, pid);
      if (fclose(mem) != 0)
        rc = cli_error(CLI_FAILURE, "out of memory");
      else if (tm_io_write_atomic(o.output, svg, len) != TM_OK)
        rc = cli_error(CLI_FAILURE, "%s", tm_error_message());
    }
    free(svg);
  }
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
