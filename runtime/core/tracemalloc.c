/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracemalloc.c - the module functions of CPython's tracemalloc: start,
 * stop, clear_traces, get_traced_memory, reset_peak, track/untrack, ...
 *
 * Design. tm_tracing is the switch the hooks read; the traceback limit is
 * read under a trace-table lock. start/stop/clear are serialised by a
 * control lock and change the tables with every table lock held, so a hook
 * racing with them either records before the clear or sees tracing off
 * (it re-checks under its shard lock). Every function raises tm_reentrant
 * while it works: the runtime never traces itself.
 */
#include "core.h"
#include "error.h"
#include "internal.h"
#include "raw_alloc.h"
#include "rendezvous.h"
#include "shadow_stack.h"
#include "spinlock.h"
#include "timeline.h"
#include "trace_table.h"

static tm_spinlock_t control_lock = TM_SPINLOCK_INIT;

void (*_Atomic tm_core_tracing_switched)(void);

/* Tell the hooks that tracing was switched (internal.h). */
static void tell_hooks(void) {
  void (*fn)(void) =
      atomic_load_explicit(&tm_core_tracing_switched, memory_order_acquire);
  if (fn)
    fn();
}

/* Set by tm_stop while tracing, cleared by tm_start (core.h). */
static _Atomic bool stopped_by_program;

const char *tm_tracing_off_reason(void) {
  return atomic_load_explicit(&stopped_by_program, memory_order_relaxed)
             ? "the program stopped it with tm_stop"
             : "set TRACEMALLOC=N to trace from the start";
}

static bool tracing(void) {
  return atomic_load_explicit(&tm_tracing, memory_order_acquire) != 0;
}

tm_status_t tm_start(int nframe) {
  // CPython checks the range first, even when already tracing.
  if (nframe < 1 || nframe > TM_MAX_NFRAME)
    return tm_set_error(TM_EINVAL,
                        "the number of frames must be in range [1; 65535]");
  tm_runtime_init();
  if (tm_rendezvous_dormant())
    return tm_set_error(TM_EINVAL, "another tracemalloc runtime is active in "
                                   "this process (this copy is dormant)");
  tm_reentrant++;
  tm_shadow_thread_init();
  tm_spin_lock(&control_lock);
  if (!tracing()) { // already tracing: nothing changes, not even the limit
    atomic_store_explicit(&tm_trace_limit, nframe, memory_order_relaxed);
    // A new timeline (timeline.h); without its array, tracing goes on
    // with none.
    tm_timeline_start();
    atomic_store_explicit(&tm_tracing, 1, memory_order_release);
    atomic_store_explicit(&stopped_by_program, false, memory_order_relaxed);
    // After tm_tracing: a function entered on the traced copy records.
    __atomic_store_n(&__tm_tracing_flag, 1, __ATOMIC_RELEASE);
  }
  tm_spin_unlock(&control_lock);
  tell_hooks();
  tm_reentrant--;
  return TM_OK;
}

/* Stop (if `stop`) and clear, every table lock held. */
static void clear_all(bool stop) {
  tm_reentrant++;
  tm_spin_lock(&control_lock);
  if (tracing()) {
    if (stop) {
      __atomic_store_n(&__tm_tracing_flag, 0, __ATOMIC_RELEASE);
      atomic_store_explicit(&tm_tracing, 0, memory_order_release);
      atomic_store_explicit(&stopped_by_program, true, memory_order_relaxed);
    }
    tm_trace_table_lock_all();
    // clear_traces: the timeline goes on and shows the drop to 0 (after
    // tm_stop it is frozen until the next tm_start begins a new one).
    if (!stop)
      tm_timeline_on_clear();
    tm_trace_table_clear_locked();
    tm_trace_table_unlock_all();
  }
  tm_spin_unlock(&control_lock);
  if (stop)
    tell_hooks();
  tm_reentrant--;
}

void tm_module_atfork_prepare(void) { tm_spin_lock(&control_lock); }
void tm_module_atfork_parent(void) { tm_spin_unlock(&control_lock); }
void tm_module_atfork_child(void) {
  tm_spin_reset(&control_lock);
  tm_timeline_atfork_child();
}

void tm_stop(void) { clear_all(true); }

void tm_clear_traces(void) { clear_all(false); }

bool tm_is_tracing(void) { return tracing(); }

int tm_get_traceback_limit(void) {
  return atomic_load_explicit(&tm_trace_limit, memory_order_relaxed);
}

void tm_get_traced_memory(size_t *current, size_t *peak) {
  size_t c = 0, p = 0;
  if (tracing())
    tm_trace_table_traced_memory(&c, &p);
  if (current)
    *current = c;
  if (peak)
    *peak = p;
}

void tm_reset_peak(void) {
  if (tracing()) {
    tm_reentrant++;
    tm_trace_table_reset_peak();
    tm_timeline_on_reset_peak();
    tm_reentrant--;
  }
}

/* The runtime's tables (raw_alloc's TM_MEM_TABLES) plus the resident pages
 * of the per-thread shadow-stack mappings (shadow_stack.h). */
size_t tm_get_tracemalloc_memory(void) {
  return tm_raw_usage(TM_MEM_TABLES) + tm_shadow_memory();
}

uint64_t tm_get_dropped_traces(void) { return tm_trace_table_dropped(); }

int tm_track(unsigned int domain, uintptr_t ptr, size_t size) {
  if (!tracing())
    return -2;
  if (tm_reentrant) { // e.g. a signal handler interrupting the runtime
    tm_trace_table_count_drop();
    return -1;
  }
  tm_reentrant++;
  if (TM_UNLIKELY(tm_thread_self == NULL))
    tm_shadow_thread_init();
  // No site: the traceback is the caller's shadow stack, whose top slot is
  // the instrumented line that called tm_track.
  int rc = tm_trace_table_add(domain, ptr, size, NULL);
  tm_reentrant--;
  return rc;
}

int tm_untrack(unsigned int domain, uintptr_t ptr) {
  if (!tracing())
    return -2;
  if (tm_reentrant) // the key's lock may be held by this very thread
    return 0;
  tm_reentrant++;
  tm_trace_table_remove(domain, ptr);
  tm_reentrant--;
  return 0;
}
