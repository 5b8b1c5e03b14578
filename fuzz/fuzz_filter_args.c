/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_filter_args.c - libFuzzer target for the CLI's FILTERS parser
 * (tools/tracemalloc/filter_args.c) and, through it, the library's filter
 * engine and fnmatch with hostile patterns.
 *
 * Input: lines; the first byte of a line picks the option ('0' --include,
 * '1' --exclude, '2' --include-domain, '3' --exclude-domain, '4'
 * --all-frames, anything else: the raw text before the first ' ' is the
 * option name), the rest is the value. Accepted filters are applied to a
 * small fixed snapshot; a rejection must come with a non-empty reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_args.h"
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tm_snapshot_t *sample(void) {
  static tm_snapshot_t *s;
  if (s)
    return s;
  tm_snapshot_new(4, &s);
  tm_frame_t f1[] = {{"a.py", 2, NULL}, {"b.py", 4, NULL}};
  tm_frame_t f2[] = {{"caf\xc3\xa9/[x]*.c", 0, NULL}, {"weird:12", 5, NULL}};
  tm_frame_t f3[] = {{"<unknown>", 0, NULL}};
  tm_snapshot_add_trace(s, 0, 10, f1, 2, 2);
  tm_snapshot_add_trace(s, 1, 20, f2, 2, TM_TOTAL_NFRAME_NONE);
  tm_snapshot_add_trace(s, 7, 30, f3, 1, 1);
  return s;
}

static void one_line(cli_filters_t *f, const char *line) {
  static const char *const names[] = {"--include", "--exclude",
                                      "--include-domain", "--exclude-domain"};
  char err[256] = "";
  char option[64];
  const char *value;
  if (line[0] >= '0' && line[0] <= '3') {
    snprintf(option, sizeof option, "%s", names[line[0] - '0']);
    value = line + 1;
  } else if (line[0] == '4') {
    f->all_frames = true;
    return;
  } else {
    const char *sp = strchr(line, ' ');
    size_t n = sp ? (size_t)(sp - line) : strlen(line);
    snprintf(option, sizeof option, "%.*s", (int)(n < 63 ? n : 63), line);
    value = sp ? sp + 1 : "";
  }
  if (cli_filters_add(f, option, value, err, sizeof err) != 0)
    FUZZ_ASSERT(err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  if (size > 4096)
    return 0;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  cli_filters_t f = {0};
  for (char *line = text, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    one_line(&f, line);
  }
  cli_filters_finish(&f);
  tm_snapshot_t *out = NULL;
  if (tm_snapshot_filter_traces(sample(), f.items, f.count, &out) == TM_OK)
    FUZZ_ASSERT(tm_snapshot_count(out) <= tm_snapshot_count(sample()));
  tm_snapshot_free(out);
  cli_filters_free(&f);
  free(text);
  return 0;
}
