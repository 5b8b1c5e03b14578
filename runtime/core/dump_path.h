/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_path.h - TRACEMALLOC_DUMP's template: the path of each dump.
 *
 *   %p  the process id (of the process that dumps: a forked child writes
 *       its own pid)
 *   %n  the sequence number of this dump in this process, from 0
 *   %%  a percent sign; any other '%' stays as it is
 *   a template ending in '/' names a directory: "<program>.<pid>.tmd" is
 *   appended (program: the short invocation name, "program" if empty)
 *
 * Pure string work, no allocation: init.c runs it at exit.
 */
#ifndef TM_DUMP_PATH_H
#define TM_DUMP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Expand `tmpl` into out[0..len). False when the result does not fit in
 * len bytes (with its NUL) or when one of its components is longer than
 * NAME_MAX (the file could not be created). */
bool tm_dump_path_expand(const char *tmpl, long pid, unsigned long seq,
                         const char *program, char *out, size_t len);

#endif /* TM_DUMP_PATH_H */
