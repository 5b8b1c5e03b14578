/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* init.c - runtime start-up: the constructor, TRACEMALLOC and
 * TRACEMALLOC_DUMP, the fork handlers, and the pass's module hook.
 *
 * Design. tm_runtime_init is idempotent and safe to call from anywhere,
 * including a malloc hook and itself: the first caller does the work (other
 * threads wait for it, the same thread returns at once), everything else is
 * one acquire load. The environment is read with secure_getenv once.
 * Invalid values print exactly one warning line on stderr and leave tracing
 * off; the runtime never aborts the program.
 *
 * One runtime per process. The first thing the initialisation does is to
 * claim the process (rendezvous.h): a copy that finds another one already
 * active stays dormant. An instrumented executable initialises from its
 * .preinit_array (preinit.c), before any library's constructor; a
 * libtracemalloc.so from its constructor or, loaded as a dependency of a
 * `tmcc -shared` library, before that library's constructors.
 *
 * Fork. The prepare handler takes, in the documented order, the control
 * lock, every trace-table lock, the intern lock, raw_alloc's locks and the
 * shadow-stack registry lock, so
 * the child starts with consistent tables and keeps tracing with the same
 * traces (as the parent's copy of memory says), while the parent goes on
 * unchanged.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "dump_path.h"
#include "dump_triggers.h"
#include "error.h"
#include "history.h"
#include "internal.h"
#include "leaks.h"
#include "raw_alloc.h"
#include "rendezvous.h"
#include "shadow_stack.h"
#include "site_sections.h"
#include "thread_registry.h"
#include "trace_table.h"
#include "traceback.h"
#include "warn.h"

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state;
static __thread int init_on_this_thread;
static char dump_path[PATH_MAX];

long tm_init_parse_nframe(const char *value) {
  if (!value || !*value)
    return 0;
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (end == value || *end != '\0' || errno == ERANGE || v < 0 || v > INT_MAX)
    return -1;
  return v > TM_MAX_NFRAME ? -2 : v;
}

/* Before tracing starts, so that its first record is bounded already. */
static void max_memory_from_env(void) {
  const char *value = secure_getenv("TRACEMALLOC_MAX_MEMORY");
  long long bytes = tm_init_parse_size(value);
  char shown[80];
  if (bytes < 0)
    tm_warn(
        "tracemalloc: warning: TRACEMALLOC_MAX_MEMORY=%s: invalid size "
        "(a positive number of bytes, or with a K, M or G suffix), no limit",
        tm_printable(value, shown, sizeof shown));
  else if (bytes > 0)
    tm_init_set_max_memory((size_t)bytes);
}

static void start_from_env(void) {
  const char *value = secure_getenv("TRACEMALLOC");
  long n = tm_init_parse_nframe(value);
  char shown[80];
  if (n == -1)
    tm_warn("tracemalloc: warning: TRACEMALLOC=%s: invalid number of frames, "
            "tracing stays off",
            tm_printable(value, shown, sizeof shown));
  else if (n == -2)
    tm_warn("tracemalloc: warning: TRACEMALLOC=%s: the number of frames must "
            "be in range [1; 65535], tracing stays off",
            tm_printable(value, shown, sizeof shown));
  else if (n > 0)
    tm_start((int)n);
}

/* The exit dump, and every dump of dump_triggers.c (the next %n). */
bool tm_env_dump(long pid, bool verbose) {
  // %n: this process's dumps, numbered from 0 (dump_path.h).
  static _Atomic unsigned long dump_seq;
  char path[PATH_MAX];
  if (!tm_dump_path_expand(dump_path, pid, atomic_fetch_add(&dump_seq, 1),
                           program_invocation_short_name, path, sizeof path)) {
    if (verbose)
      tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP: path too long, no "
              "snapshot written");
    return false;
  }
  if (!tm_is_tracing()) {
    // CPython's "must be tracing" names the module; say what to set here,
    // or that the program itself stopped it (TRACEMALLOC would not help).
    if (verbose)
      tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP=%s: tracing is off "
              "(%s), no snapshot written",
              path, tm_tracing_off_reason());
    return false;
  }
  struct stat st_path;
  if (stat(path, &st_path) == 0 && S_ISDIR(st_path.st_mode)) {
    if (verbose)
      tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP=%s: is a directory (end "
              "it with / to write %s/<program>.<pid>.tmd), no snapshot written",
              path, path);
    return false;
  }
  int saved_errno = errno;
  tm_snapshot_t *snap = NULL;
  tm_status_t st = tm_take_snapshot(&snap);
  if (st == TM_OK)
    st = tm_leaks_attach(snap); // TRACEMALLOC_LEAKS=1's classification
  if (st == TM_OK) {
    // The writer's own stdio allocations are not traced.
    tm_reentrant += TM_REENTRANT_IGNORE;
    st = tm_snapshot_dump(snap, path);
    tm_reentrant -= TM_REENTRANT_IGNORE;
  }
  // The variable's value as set (the error names the expanded path).
  if (st != TM_OK && verbose)
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP=%s: %s, no snapshot "
            "written",
            dump_path, tm_error_message());
  tm_snapshot_free(snap);
  errno = saved_errno;
  return st == TM_OK;
}

static void dump_at_exit(void) { tm_env_dump((long)getpid(), true); }

/* True when the exit dump is registered. */
static bool dump_from_env(void) {
  const char *value = secure_getenv("TRACEMALLOC_DUMP");
  if (!value || !*value)
    return false;
  if (strlen(value) >= sizeof dump_path) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP: path too long, no "
            "snapshot will be written");
    return false;
  }
  strcpy(dump_path, value);
  if (atexit(dump_at_exit) != 0) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP=%s: cannot register the "
            "exit handler, no snapshot will be written",
            value);
    return false;
  }
  return true;
}

/* ---- fork ------------------------------------------------------------- */

static void atfork_prepare(void) {
  tm_reentrant++;
  tm_module_atfork_prepare();
  tm_trace_table_lock_all();
  tm_intern_atfork_prepare();
  tm_thread_registry_atfork_prepare();
  tm_hist_atfork_prepare();
  tm_raw_atfork_prepare();
  tm_shadow_atfork_prepare();
}

static void atfork_parent(void) {
  tm_shadow_atfork_parent();
  tm_raw_atfork_parent();
  tm_hist_atfork_parent();
  tm_thread_registry_atfork_parent();
  tm_intern_atfork_parent();
  tm_trace_table_unlock_all();
  tm_module_atfork_parent();
  tm_reentrant--;
}

static void atfork_child(void) {
  tm_shadow_atfork_child();
  tm_raw_atfork_child();
  tm_hist_atfork_child();
  tm_intern_atfork_child();
  tm_thread_registry_atfork_child();
  tm_trace_table_reset_locks();
  tm_module_atfork_child();
  tm_reentrant--;
  tm_dump_triggers_atfork_child();
}

/* ---- Initialisation --------------------------------------------------- */

static __attribute__((noinline)) void init_slow(void) {
  if (init_on_this_thread)
    return; // recursion (a malloc made by the initialisation itself)
  int expected = INIT_NONE;
  if (!atomic_compare_exchange_strong(&init_state, &expected, INIT_RUNNING)) {
    while (atomic_load_explicit(&init_state, memory_order_acquire) != INIT_DONE)
      sched_yield();
    return;
  }
  init_on_this_thread = 1;
  // libc may allocate for the runtime here (pthread_atfork, atexit).
  tm_reentrant += TM_REENTRANT_IGNORE;
  if (!tm_rendezvous_claim()) {
    // Another runtime copy traces this process: this one does nothing,
    // ever (no shadow stack, no environment, no dump, no fork handlers).
    tm_reentrant -= TM_REENTRANT_IGNORE;
    init_on_this_thread = 0;
    atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
    return;
  }
  tm_shadow_thread_init();
  tm_trace_table_init_barrier(); // before any trailer block
  tm_hooks_install(); // also links the hook objects into static programs
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
  max_memory_from_env();
  start_from_env();
  // atexit order (last registered first): quiesce the dump thread, the leak
  // scan, the exit dump, the leak report (leak_report.c).
  bool leaks = tm_leaks_arm_report();
  bool exit_dump = dump_from_env();
  if (leaks)
    tm_leaks_arm_scan();
  tm_dump_triggers_arm(exit_dump);
  tm_reentrant -= TM_REENTRANT_IGNORE;
  init_on_this_thread = 0;
  atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
}

void tm_runtime_init(void) {
  if (TM_LIKELY(atomic_load_explicit(&init_state, memory_order_acquire) ==
                INIT_DONE))
    return;
  init_slow();
}

/* Early, so that the main thread has its shadow stack before instrumented
 * constructors run, and TRACEMALLOC=N traces them. */
__attribute__((constructor(101))) static void tm_runtime_constructor(void) {
  tm_runtime_init();
}

TM_API void __tm_module_init_v4(const struct tm_site *begin,
                                const struct tm_site *end) {
  tm_runtime_init();
  if (tm_rendezvous_dormant())
    return;
  tm_shadow_thread_init();
  // Before any of the image's code runs (first constructor priority), so
  // a record naming one of its sites is readable from its first frame.
  tm_site_sections_add(begin, end);
  tm_intern_invalidate_caches(); // site addresses may be reused
}

TM_API void __tm_module_fini_v4(const struct tm_site *begin,
                                const struct tm_site *end) {
  if (tm_rendezvous_dormant())
    return;
  // Before the image is unmapped: a dead record may still name its sites.
  tm_site_sections_remove(begin, end);
  // And a new epoch: the limit-1 memo (shadow_below.c) takes a site's
  // frames from an entry made when the site was checked, without reading
  // it again; every thread retires those entries at its next capture.
  atomic_fetch_add_explicit(&tm_tb_epoch, 1, memory_order_relaxed);
}
