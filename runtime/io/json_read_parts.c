/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_read_parts.c - the parts of a "tracemalloc-json" document that the
 * traces and the optional members share (json_read.h): frames, tracebacks
 * and function names, their interning, and arrays read element by element.
 */
#include <stdio.h>
#include <string.h>

#include "json_read.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"

/* ["file", line] */
static tm_status_t read_frame(jp_t *p, tm_frame_t *f) {
  TRY(tm_json_expect(p, '[', "to start a frame [filename, lineno]"));
  if (tm_json_peek(p) != '"')
    return jfail(p, "frame: expected the filename string");
  TRY(tm_json_read_string(p));
  f->filename =
      tm_snapshot_intern_string(p->snap, (const char *)p->str.data, p->str.len);
  if (!f->filename)
    return tm_json_fail(p, TM_ENOMEM, "out of memory");
  f->function = NULL;
  TRY(tm_json_expect(p, ',', "after the filename of a frame"));
  uint64_t line;
  TRY(tm_json_read_int(p, "frame line number", 0, UINT32_MAX, NULL, &line));
  f->lineno = (unsigned int)line;
  return tm_json_expect(p, ']', "to end a frame [filename, lineno]");
}

/* [[file, line], ...] into p->frames; returns the count. */
static tm_status_t read_traceback(jp_t *p, size_t *nframe) {
  TRY(tm_json_expect(p, '[', "to start a traceback"));
  size_t n = 0;
  if (tm_json_peek(p) == ']') {
    p->pos++;
    *nframe = 0;
    return TM_OK;
  }
  for (;;) {
    if (n == p->frames_cap) {
      size_t cap = p->frames_cap ? p->frames_cap * 2 : 64;
      tm_frame_t *f =
          tm_raw_realloc(p->frames, cap * sizeof *f, TM_MEM_OBJECTS);
      if (!f)
        return tm_json_fail(p, TM_ENOMEM, "out of memory");
      p->frames = f;
      p->frames_cap = cap;
    }
    TRY(read_frame(p, &p->frames[n++]));
    int c = tm_json_peek(p);
    if (c == ']') {
      p->pos++;
      *nframe = n;
      return TM_OK;
    }
    if (c != ',')
      return jfail(p, "expected ',' or ']' in a traceback");
    p->pos++;
  }
}

/* "functions": [name|null, ...] into p->funcs; returns the count. */
static tm_status_t read_functions(jp_t *p, size_t *nfunc) {
  TRY(tm_json_expect(p, '[', "to start the functions list"));
  size_t n = 0;
  if (tm_json_peek(p) == ']') {
    p->pos++;
    *nfunc = 0;
    return TM_OK;
  }
  for (;;) {
    if (n == p->funcs_cap) {
      size_t cap = p->funcs_cap ? p->funcs_cap * 2 : 64;
      const char **f =
          tm_raw_realloc(p->funcs, cap * sizeof *f, TM_MEM_OBJECTS);
      if (!f)
        return tm_json_fail(p, TM_ENOMEM, "out of memory");
      p->funcs = f;
      p->funcs_cap = cap;
    }
    int c = tm_json_peek(p);
    if (c == 'n') {
      TRY(tm_json_read_literal(p, "null"));
      p->funcs[n++] = NULL;
    } else if (c == '"') {
      TRY(tm_json_read_string(p));
      const char *name = tm_snapshot_intern_string(
          p->snap, (const char *)p->str.data, p->str.len);
      if (!name)
        return tm_json_fail(p, TM_ENOMEM, "out of memory");
      p->funcs[n++] = name;
    } else {
      return jfail(p, "functions: expected a function name or null");
    }
    c = tm_json_peek(p);
    if (c == ']') {
      p->pos++;
      *nfunc = n;
      return TM_OK;
    }
    if (c != ',')
      return jfail(p, "expected ',' or ']' in the functions list");
    p->pos++;
  }
}

/* Read the member at p if it is one of those (*handled), else leave it. */
tm_status_t tm_json_read_tb_member(jp_t *p, tb_members_t *m, bool *handled) {
  *handled = true;
  if (tm_json_key_is(p, "traceback")) {
    TRY(tm_json_mark_key(p, &m->seen, TB_TRACEBACK));
    return read_traceback(p, &m->nframe);
  }
  if (tm_json_key_is(p, "total_nframe")) {
    TRY(tm_json_mark_key(p, &m->seen, TB_TOTAL));
    if (tm_json_peek(p) == 'n')
      return tm_json_read_literal(p, "null");
    return tm_json_read_int(p, "total_nframe", 0, UINT32_MAX - 1, NULL,
                            &m->total);
  }
  if (tm_json_key_is(p, "functions")) {
    TRY(tm_json_mark_key(p, &m->seen, TB_FUNCS));
    return read_functions(p, &m->nfunc);
  }
  *handled = false;
  return TM_OK;
}

/* "functions", when present, names each frame of "traceback": one entry per
 * frame. `what` and `index` name the object (which starts at `start`). */
tm_status_t tm_json_attach_functions(jp_t *p, const tb_members_t *m,
                                     const char *what, size_t index,
                                     size_t start) {
  if (!(m->seen & TB_FUNCS))
    return TM_OK;
  if (m->nfunc != m->nframe) {
    p->pos = start;
    return jfail(p,
                 "%s %zu: \"functions\" has %zu entries, the traceback "
                 "%zu frames",
                 what, index, m->nfunc, m->nframe);
  }
  for (size_t i = 0; i < m->nframe; i++)
    p->frames[i].function = p->funcs[i];
  return TM_OK;
}

/* The traceback read, interned in the snapshot; an empty one is CPython's
 * ("<unknown>", 0) (io.h). */
tm_status_t tm_json_intern_tb(jp_t *p, const tb_members_t *m,
                              const tm_traceback_t **out) {
  tm_frame_t unknown = {NULL, 0, NULL};
  const tm_frame_t *frames = p->frames;
  size_t nframe = m->nframe;
  if (nframe == 0) {
    unknown.filename = tm_snapshot_intern_string(p->snap, TM_IO_UNKNOWN_FILE,
                                                 strlen(TM_IO_UNKNOWN_FILE));
    if (!unknown.filename)
      return tm_json_fail(p, TM_ENOMEM, "out of memory");
    frames = &unknown;
    nframe = 1;
  }
  *out =
      tm_snapshot_intern_traceback(p->snap, frames, nframe, (uint32_t)m->total);
  return *out ? TM_OK : tm_json_fail(p, TM_ENOMEM, "out of memory");
}

/* A JSON array, element by element. With elem_size > 0 the elements are
 * read into one buffer grown as needed, *out gets it (tm_raw_free; also
 * on failure) and *n their count. `array` and `element` name them in the
 * messages ("the traces array", "after a trace"). */
tm_status_t tm_json_read_array(jp_t *p, const char *array, const char *element,
                               size_t elem_size, tm_json_element_fn one,
                               void **out, size_t *n) {
  char context[64];
  snprintf(context, sizeof context, "to start the %s array", array);
  TRY(tm_json_expect(p, '[', context));
  unsigned char *buf = NULL;
  size_t count = 0, cap = 0;
  tm_status_t st = TM_OK;
  if (tm_json_peek(p) == ']')
    p->pos++;
  else
    for (;;) {
      if (elem_size && count == cap) {
        cap = cap ? cap * 2 : 16;
        unsigned char *r = tm_raw_realloc(buf, cap * elem_size, TM_MEM_OBJECTS);
        if (!r) {
          st = tm_json_fail(p, TM_ENOMEM, "out of memory");
          break;
        }
        buf = r;
      }
      if ((st = one(p, count, elem_size ? buf + count * elem_size : NULL)) !=
          TM_OK)
        break;
      count++;
      int c = tm_json_peek(p);
      if (c == ']') {
        p->pos++;
        break;
      }
      if (c != ',') {
        st = c ? jfail(p, "expected ',' or ']' after %s", element)
               : jfail(p, "unexpected end of input in the %s array", array);
        break;
      }
      p->pos++;
    }
  if (out)
    *out = buf;
  else
    tm_raw_free(buf);
  if (n)
    *n = count;
  return st;
}
