/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_report.c - TRACEMALLOC_LEAKS and TRACEMALLOC_LEAKS_EXITCODE: the
 * environment, the atexit order, the report on stderr, and the
 * classification attached to the exit dump.
 *
 * Order at exit (atexit runs the last registered first): the scan
 * (registered after the exit dump), then the exit dump (which attaches the
 * classification), then the report and, when there were leaks and
 * TRACEMALLOC_LEAKS_EXITCODE is set, _exit with that status after stdio is
 * flushed - what LeakSanitizer does. Registered at initialisation, these
 * run after every atexit handler and destructor the program registered
 * later, so what those free is not reported.
 *
 * The report is LeakSanitizer's shape: definitely lost first, then
 * indirectly lost, each group biggest first, one line with its bytes and
 * blocks and then its traceback with source lines (most recent call
 * first, Traceback.format), at most REPORT_MAX groups, then the summary
 * line. Nothing is printed when nothing leaked.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "leaks.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "snapshot_build.h"
#include "warn.h"

enum { REPORT_MAX = 100 };

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||     \
    __has_feature(memory_sanitizer) || __has_feature(hwaddress_sanitizer) ||   \
    __has_feature(leak_sanitizer)
#define TM_LEAKS_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) ||           \
    defined(__SANITIZE_HWADDRESS__)
#define TM_LEAKS_SANITIZED 1
#endif

static int exit_code = -1; // TRACEMALLOC_LEAKS_EXITCODE, or -1
static _Atomic bool armed; // TRACEMALLOC_LEAKS=1 took effect

int tm_leaks_parse_exitcode(const char *value) {
  if (!value || !*value)
    return -2;
  int v = 0;
  for (const char *p = value; *p; p++) {
    if (*p < '0' || *p > '9' || p - value >= 3)
      return -1;
    v = v * 10 + (*p - '0');
  }
  return v <= 255 ? v : -1;
}

/* Heap sort (no qsort: glibc's may call malloc). */
static void sort_recs(tm_leak_rec_t *r, size_t n) {
  for (size_t start = n / 2; n > 1;) {
    size_t root, end = n;
    if (start > 0) {
      root = --start;
    } else {
      tm_leak_rec_t t = r[0];
      r[0] = r[--n];
      r[n] = t;
      end = n;
      root = 0;
      if (n <= 1)
        break;
    }
    for (size_t child; (child = 2 * root + 1) < end; root = child) {
      if (child + 1 < end &&
          tm_leak_rec_report_order(&r[child], &r[child + 1]) < 0)
        child++;
      if (tm_leak_rec_report_order(&r[root], &r[child]) >= 0)
        break;
      tm_leak_rec_t t = r[root];
      r[root] = r[child];
      r[child] = t;
    }
  }
}

/* True when something leaked. */
static bool report(void) {
  size_t n;
  const tm_leak_rec_t *recs = tm_snapshot_leaks(tm_leaks_result(), &n);
  uint64_t bytes = 0, blocks = 0;
  size_t groups = 0;
  for (size_t i = 0; i < n; i++)
    if (recs[i].kind != TM_LEAK_REACHABLE) {
      bytes += recs[i].bytes;
      blocks += recs[i].blocks;
      groups++;
    }
  if (!groups)
    return false;
  tm_leak_rec_t *sorted = tm_raw_alloc(n * sizeof *sorted, TM_MEM_OBJECTS);
  if (!sorted) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS=1: out of memory, no "
            "leak report");
    return true;
  }
  memcpy(sorted, recs, n * sizeof *sorted);
  sort_recs(sorted, n);
  fprintf(stderr,
          "\n=================================================="
          "===============\n"
          "tracemalloc: detected memory leaks (pid %ld)\n",
          (long)getpid());
  for (size_t i = 0; i < groups && i < REPORT_MAX; i++) {
    const tm_leak_rec_t *r = &sorted[i];
    fprintf(stderr,
            "\n%s leak of %llu byte(s) in %llu object(s) allocated "
            "from:\n",
            r->kind == TM_LEAK_DIRECT ? "Direct" : "Indirect",
            (unsigned long long)r->bytes, (unsigned long long)r->blocks);
    // With function names, as LeakSanitizer's report and `tracemalloc
    // leaks` give them: a one-frame traceback (TRACEMALLOC=1) still says
    // which function allocated.
    char *text = NULL;
    if (tm_traceback_format_ex(r->tb, false, 0, true, TM_FORMAT_FUNCTIONS,
                               &text) == TM_OK &&
        text && *text)
      fprintf(stderr, "%s\n", text);
    else
      fprintf(stderr, "  <unknown>\n");
    tm_free(text);
  }
  if (groups > REPORT_MAX)
    fprintf(stderr, "\n... %zu more traceback(s) not shown\n",
            groups - REPORT_MAX);
  fprintf(stderr,
          "\nSUMMARY: tracemalloc: %llu byte(s) leaked in %llu "
          "allocation(s).\n",
          (unsigned long long)bytes, (unsigned long long)blocks);
  tm_raw_free(sorted);
  return true;
}

static void scan_at_exit(void) { tm_leaks_scan(); }

static void report_at_exit(void) {
  int saved_errno = errno;
  tm_reentrant += TM_REENTRANT_IGNORE;
  bool leaked = report();
  tm_reentrant -= TM_REENTRANT_IGNORE;
  errno = saved_errno;
  if (leaked && exit_code >= 0) {
    fflush(NULL); // what exit would still have done
    _exit(exit_code);
  }
}

bool tm_leaks_arm_report(void) {
  const char *value = secure_getenv("TRACEMALLOC_LEAKS");
  const char *code = secure_getenv("TRACEMALLOC_LEAKS_EXITCODE");
  char shown[80];
  bool on = false;
  if (value && *value && strcmp(value, "0") != 0) {
    if (strcmp(value, "1") != 0)
      tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS=%s: invalid value (1 "
              "or 0), no leak check",
              tm_printable(value, shown, sizeof shown));
    else
      on = true;
  }
#ifdef TM_LEAKS_SANITIZED
  if (on) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS=1: not available with a "
            "sanitizer runtime (its LeakSanitizer reports leaks), no leak "
            "check");
    on = false;
  }
#endif
  int c = tm_leaks_parse_exitcode(code);
  if (c == -1)
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS_EXITCODE=%s: invalid exit "
            "status (0 to 255), leaks do not change it",
            tm_printable(code, shown, sizeof shown));
  else if (c >= 0 && !on)
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS_EXITCODE=%s: "
            "TRACEMALLOC_LEAKS=1 is not set, ignored",
            tm_printable(code, shown, sizeof shown));
  else if (c >= 0)
    exit_code = c;
  if (!on)
    return false;
  if (atexit(report_at_exit) != 0) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_LEAKS=1: cannot register the "
            "exit handler, no leak check");
    return false;
  }
  atomic_store(&armed, true);
  return true;
}

bool tm_leaks_armed(void) { return atomic_load(&armed); }

void tm_leaks_arm_scan(void) { atexit(scan_at_exit); }

tm_status_t tm_leaks_attach(tm_snapshot_t *snap) {
  size_t n;
  const tm_leak_rec_t *src = tm_snapshot_leaks(tm_leaks_result(), &n);
  if (!src)
    return TM_OK;
  tm_leak_rec_t *recs =
      tm_raw_alloc((n ? n : 1) * sizeof *recs, TM_MEM_OBJECTS);
  size_t nf = 1;
  for (size_t i = 0; i < n; i++)
    if (src[i].tb->nframe > nf)
      nf = src[i].tb->nframe;
  tm_frame_t *frames = tm_raw_alloc(nf * sizeof *frames, TM_MEM_OBJECTS);
  tm_status_t st = recs && frames ? TM_OK : TM_ENOMEM;
  for (size_t i = 0; st == TM_OK && i < n; i++) {
    const tm_traceback_t *tb = src[i].tb;
    for (uint32_t k = 0; st == TM_OK && k < tb->nframe; k++) {
      const tm_frame_t *f = &tb->frames[k];
      const char *fn =
          tm_snapshot_intern_string(snap, f->filename, strlen(f->filename));
      const char *func = f->function
                             ? tm_snapshot_intern_string(snap, f->function,
                                                         strlen(f->function))
                             : NULL;
      if (!fn || (f->function && !func))
        st = TM_ENOMEM;
      frames[k] = (tm_frame_t){fn, f->lineno, func};
    }
    const tm_traceback_t *copy =
        st == TM_OK ? tm_snapshot_intern_traceback(snap, frames, tb->nframe,
                                                   tb->total_nframe)
                    : NULL;
    if (!copy)
      st = TM_ENOMEM;
    recs[i] = src[i];
    recs[i].tb = copy;
  }
  if (st == TM_OK)
    st = tm_snapshot_set_leaks(snap, recs, n);
  tm_raw_free(recs);
  tm_raw_free(frames);
  return st;
}
