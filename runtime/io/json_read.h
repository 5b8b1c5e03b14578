/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* json_read.h - what the JSON reader's files share: json_read.c reads
 * the document and its traces, json_read_sections.c the optional members
 * read after the traces ("leaks", "history", "threads", "timeline"), and
 * json_read_parts.c what both read (tracebacks, arrays).
 */
#ifndef TM_JSON_READ_H
#define TM_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_lex.h"
#include "visibility.h"

/* The members a trace object and a leak record share: "traceback",
 * "total_nframe" and the optional "functions". */
typedef struct tb_members {
  unsigned seen; /* TB_* */
  size_t nframe, nfunc;
  uint64_t total;
} tb_members_t;

enum { TB_TRACEBACK = 1, TB_TOTAL = 2, TB_FUNCS = 4 };

/* Read the member at p if it is "traceback", "total_nframe" or
 * "functions" (*handled), else leave it. */
TM_HIDDEN tm_status_t tm_json_read_tb_member(jp_t *p, tb_members_t *m,
                                             bool *handled);
/* "functions", when present, names each frame of "traceback": one entry
 * per frame. `what` and `index` name the object (which starts at
 * `start`). */
TM_HIDDEN tm_status_t tm_json_attach_functions(jp_t *p, const tb_members_t *m,
                                               const char *what, size_t index,
                                               size_t start);
/* The traceback read, interned in the snapshot; an empty one is CPython's
 * ("<unknown>", 0) (io.h). */
TM_HIDDEN tm_status_t tm_json_intern_tb(jp_t *p, const tb_members_t *m,
                                        const tm_traceback_t **out);

/* One element of a JSON array: element `index` into `slot` (NULL for an
 * array whose elements go straight into the snapshot). */
typedef tm_status_t (*tm_json_element_fn)(jp_t *p, size_t index, void *slot);

/* A JSON array, element by element. With elem_size > 0 the elements are
 * read into one buffer grown as needed, *out gets it (tm_raw_free; also
 * on failure) and *n their count. `array` and `element` name them in the
 * messages ("the traces array", "after a trace"). */
TM_HIDDEN tm_status_t tm_json_read_array(jp_t *p, const char *array,
                                         const char *element, size_t elem_size,
                                         tm_json_element_fn one, void **out,
                                         size_t *n);

/* The optional members, each read after the traces (json_read_sections.c):
 * "leaks" (the classification), "history" (the allocation history),
 * "threads" (the thread table; each trace's "thread" is checked against it
 * by the caller) and "timeline" (memory over time). */
TM_HIDDEN tm_status_t tm_json_read_leaks(jp_t *p);
TM_HIDDEN tm_status_t tm_json_read_history(jp_t *p);
TM_HIDDEN tm_status_t tm_json_read_threads(jp_t *p);
TM_HIDDEN tm_status_t tm_json_read_timeline(jp_t *p);

#endif /* TM_JSON_READ_H */
