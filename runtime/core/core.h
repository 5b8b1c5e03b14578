/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* core.h - glue between the tracing core's files that the hooks do not need
 * (internal.h is the hooks' view). */
#ifndef TM_CORE_H
#define TM_CORE_H

#include <stdbool.h>
#include <stddef.h>

/* The control lock that serialises tm_start / tm_stop / tm_clear_traces,
 * for the fork handlers (taken first, before every table lock). */
void tm_module_atfork_prepare(void);
void tm_module_atfork_parent(void);
void tm_module_atfork_child(void);

/* Why tracing is off, for the warnings of what needs it at exit (the
 * dump, the leak check): the program stopped it (tm_stop since the last
 * tm_start), or it was never started (then say what to set). */
const char *tm_tracing_off_reason(void);

/* Parse a TRACEMALLOC value like CPython's PYTHONTRACEMALLOC (strtol base
 * 10: leading blanks, a sign and leading zeros allowed; nothing after the
 * digits). Returns the number of frames (0: off), or -1 when the value is
 * not a number / negative / too big for an int, -2 when it is a number
 * above 65535. NULL and "" are 0. */
long tm_init_parse_nframe(const char *value);

/* Parse a TRACEMALLOC_MAX_MEMORY value (max_memory.c): decimal digits and
 * an optional binary suffix K, M or G (either case; 1K = 1024), nothing
 * else. Returns the size in bytes, 0 for NULL or "" (no limit), -1 when the
 * value is not such a size, is 0, or does not fit in 63 bits. */
long long tm_init_parse_size(const char *value);

/* Bound the runtime's tables (TM_MEM_TABLES) to `bytes`; 0: no bound. */
void tm_init_set_max_memory(size_t bytes);

#endif /* TM_CORE_H */
