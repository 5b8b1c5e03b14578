/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leaks.h - TRACEMALLOC_LEAKS=1: the reachability scan at exit
 * (leak_scan.c), its report on stderr and TRACEMALLOC_LEAKS_EXITCODE
 * (leak_report.c). docs/semantics.md, "Leaks", has the rules.
 */
#ifndef TM_LEAKS_H
#define TM_LEAKS_H

#include <stdbool.h>

#include "tracemalloc.h"
#include "visibility.h"

/* Read TRACEMALLOC_LEAKS and TRACEMALLOC_LEAKS_EXITCODE (a bad value: one
 * warning line, no leak check / no exit status change) and register the
 * report (which runs after the exit dump). True when the check is on: the
 * caller then registers the scan with tm_leaks_arm_scan after the exit
 * dump, so that atexit runs the scan first, then the dump, then the
 * report. */
TM_HIDDEN bool tm_leaks_arm_report(void);
TM_HIDDEN void tm_leaks_arm_scan(void);

/* True once the check is on (tm_leaks_arm_report returned true). Read by a
 * termination signal's handler (dump_triggers.c), which cannot run the
 * scan and says so. */
TM_HIDDEN bool tm_leaks_armed(void);

/* Classify every live traced block of domain 0 now (stops the other
 * threads for the scan). Keeps the result for tm_leaks_attach and the
 * report. */
TM_HIDDEN void tm_leaks_scan(void);

/* The last scan's classification (a snapshot holding only it), or NULL. */
TM_HIDDEN const tm_snapshot_t *tm_leaks_result(void);

/* Copy the last scan's classification into snap (the exit dump). A no-op
 * without a scan. */
TM_HIDDEN tm_status_t tm_leaks_attach(tm_snapshot_t *snap);

/* TRACEMALLOC_LEAKS_EXITCODE: 0..255; -1 when invalid; -2 for NULL or "". */
TM_HIDDEN int tm_leaks_parse_exitcode(const char *value);

#endif /* TM_LEAKS_H */
