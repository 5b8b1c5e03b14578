/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* suppress.h - `leaks --suppress FILE`: known blocks a leak report leaves
 * out (suppress.c has the rules). */
#ifndef TM_CLI_SUPPRESS_H
#define TM_CLI_SUPPRESS_H

#include <stdint.h>

#include "tracemalloc.h"

typedef struct cli_suppress cli_suppress_t;

/* Read the suppression file at path. On error prints one line
 * "tracemalloc: error: PATH: reason" and returns CLI_USAGE (a file that
 * cannot be read or is not a suppression file) or CLI_FAILURE (out of
 * memory); else CLI_OK with *out set. */
int cli_suppress_load(const char *path, cli_suppress_t **out);
void cli_suppress_free(cli_suppress_t *s);

/* A new snapshot (*kept: same limit and info) with the traces of snap that
 * no pattern matches, in order; what was left out is counted in s (reset
 * by each call). CLI_OK, or CLI_FAILURE after printing the error. */
int cli_suppress_apply(cli_suppress_t *s, const tm_snapshot_t *snap,
                       tm_snapshot_t **kept);

/* For a classified leak report (one record per traceback): start a count,
 * then ask for each record whether a pattern matches a frame of tb; when
 * one does, the record's blocks and bytes are counted against it and
 * cli_suppress_record returns 1 (leave it out), else 0; -1 when out of
 * memory (after printing the error). cli_suppress_print then says what
 * was left out. */
void cli_suppress_reset(cli_suppress_t *s);
int cli_suppress_record(cli_suppress_t *s, const tm_traceback_t *tb,
                        uint64_t blocks, uint64_t bytes);

/* How many blocks the last cli_suppress_apply left out. */
uint64_t cli_suppress_blocks(const cli_suppress_t *s);

/* What the last cli_suppress_apply left out:
 *   Suppressed (FILE): 348 B in 3 blocks; 1 of 2 patterns matched:
 *     cache_put: 348 B in 3 blocks
 * or "Suppressed (FILE): nothing; 0 of 2 patterns matched". */
void cli_suppress_print(const cli_suppress_t *s);

#endif /* TM_CLI_SUPPRESS_H */
