/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* timeline.c - the sampled memory-over-time series (timeline.h's design).
 *
 * Locking. `lock` guards every field below it. Samples are taken from the
 * allocation path, where the caller may hold a trace-table shard lock;
 * clear and snapshots take it with every shard lock held; nothing takes a
 * shard lock while holding it, so the order shard -> timeline is the only
 * one. The hot path itself only touches thread-local state and, when the
 * peak rises, tm_tl_peak.
 */
#include "timeline.h"

#include <string.h>
#include <time.h>

#include "error.h"
#include "internal.h"
#include "raw_alloc.h"
#include "snapshot.h"
#include "spinlock.h"
#include "trace_table.h"

__thread tm_tl_thread_t tm_tl_self __attribute__((tls_model("initial-exec")));
tm_tl_peak_rec_t tm_tl_peak;
_Alignas(64) _Atomic uint64_t tm_tl_allocs;
uint64_t (*_Atomic tm_tl_test_clock)(void);

static _Atomic uint32_t gen;          /* changed by every tm_start */
static _Atomic uint64_t deadline_ns;  /* next sample not before */
static _Atomic uint64_t interval_now; /* for the countdown's pacing */
static _Atomic bool active;           /* a timeline with an array */

static tm_spinlock_t lock = TM_SPINLOCK_INIT;
static tm_timeline_point_t *pts; /* TM_TL_MAX_POINTS, mapped once */
static size_t npts;
static size_t imax;         /* index of the largest current (earliest) */
static uint64_t t0_ns;      /* clock at tm_start: time 0 */
static uint64_t last_ns;    /* clock of the last sample */
static uint64_t last_ticks; /* tm_tl_ticks() of the last sample */
static uint64_t seen_stamp; /* the peak rise last recorded (stamp, value) */
static uint64_t seen_value;
/* The state at the last countdown check that took no sample (clock, not
 * relative; time 0 when none since the last point). Why: a burst of
 * operations followed by a quiet phase gets its last sample inside the
 * burst, and no sample until the next operation; without this point the
 * chart would hold that sample's value through the whole quiet phase.
 * Checks come at least every TM_TL_MAX_COUNTDOWN operations of a thread,
 * so this point is as close to the burst's end as the samples are. */
static uint64_t quiet_ns;
static tm_timeline_point_t quiet;

uint64_t tm_tl_clock_ns(void) {
  uint64_t (*tc)(void) =
      atomic_load_explicit(&tm_tl_test_clock, memory_order_relaxed);
  if (tc)
    return tc();
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tm_timeline_test_set_clock(uint64_t (*clock_ns)(void)) {
  atomic_store_explicit(&tm_tl_test_clock, clock_ns, memory_order_relaxed);
}

static void flush_self(void);

void tm_timeline_thread_exit(void) { flush_self(); }

uint64_t tm_timeline_interval_ns(void) {
  return atomic_load_explicit(&interval_now, memory_order_relaxed);
}

size_t tm_timeline_npoints(void) {
  tm_spin_lock(&lock);
  size_t n = npts;
  tm_spin_unlock(&lock);
  return n;
}

/* This thread's unflushed allocations into the global count (those of an
 * older timeline are dropped: they were made before this tm_start). A
 * thread that never flushed (gen 0, its TLS as created) counts for the
 * current timeline: its countdown starts at 0, so its first operation
 * checks, and only that operation can be in its count (dropping it lost
 * each new thread's first allocation: 71 of 74 in a 4-thread program). */
static void flush_self(void) {
  tm_tl_thread_t *t = &tm_tl_self;
  uint32_t g = atomic_load_explicit(&gen, memory_order_relaxed);
  if (t->gen == 0)
    t->gen = g;
  if (t->gen != g) {
    t->gen = g;
    t->allocs = 0;
  } else if (t->allocs) {
    atomic_fetch_add_explicit(&tm_tl_allocs, t->allocs, memory_order_relaxed);
    t->allocs = 0;
  }
}

/* Drop every other point, keeping the largest one; the interval doubles. */
static void halve(void) {
  size_t k = 0, keep_max = imax;
  for (size_t i = 0; i < npts; i++) {
    if (i % 2 == 0 || i == keep_max) {
      if (i == keep_max)
        imax = k;
      pts[k++] = pts[i];
    }
  }
  npts = k;
  atomic_store_explicit(
      &interval_now,
      atomic_load_explicit(&interval_now, memory_order_relaxed) * 2,
      memory_order_relaxed);
}

/* Points never go back in time or in allocations, whatever raced to make
 * them. The count can: a pending peak point counts the raising thread's
 * allocations that its countdown has not yet added to the global count
 * (tm_timeline_note), and a later point of another thread (a quiet point,
 * a sample) is made from the global count without them. Those allocations
 * were made before the later point, so it takes the earlier count. */
static inline void keep_order(const tm_timeline_point_t *prev,
                              tm_timeline_point_t *p) {
  if (p->time_ns < prev->time_ns)
    p->time_ns = prev->time_ns;
  if (p->allocations < prev->allocations)
    p->allocations = prev->allocations;
}

static void append(tm_timeline_point_t p) {
  if (npts)
    keep_order(&pts[npts - 1], &p);
  if (npts == TM_TL_MAX_POINTS)
    halve();
  if (p.current > pts[imax].current)
    imax = npts;
  pts[npts++] = p;
}

/* The point of the last peak rise, if it was not recorded yet and is not
 * the sample about to be taken at (now, cur, pk): current = peak = the
 * peak's value, its time interpolated between the last sample and now. */
static bool pending_peak(uint64_t now, uint64_t now_ticks, size_t cur,
                         size_t pk, uint64_t allocs, tm_timeline_point_t *out) {
  uint64_t stamp =
      atomic_load_explicit(&tm_tl_peak.stamp, memory_order_relaxed);
  uint64_t value =
      atomic_load_explicit(&tm_tl_peak.value, memory_order_relaxed);
  uint64_t pa = atomic_load_explicit(&tm_tl_peak.allocs, memory_order_relaxed);
  if (value == 0 || (stamp == seen_stamp && value == seen_value))
    return false;
  if (value == cur && value == pk)
    return false; // the sample itself is at the peak
  uint64_t t = last_ns;
  if (stamp >= now_ticks)
    t = now;
  else if (stamp > last_ticks && now_ticks > last_ticks)
    t = last_ns + (uint64_t)((unsigned __int128)(stamp - last_ticks) *
                             (now - last_ns) / (now_ticks - last_ticks));
  if (pa > allocs)
    pa = allocs; // another thread's unflushed count: stay monotonic
  // Not before the last point, in time or count: keep_order, where it is
  // placed.
  *out = (tm_timeline_point_t){t - t0_ns, value, value, pa};
  return true;
}

static void mark_peak_seen(void) {
  seen_stamp = atomic_load_explicit(&tm_tl_peak.stamp, memory_order_relaxed);
  seen_value = atomic_load_explicit(&tm_tl_peak.value, memory_order_relaxed);
}

/* The last check's state as a point, if a quiet phase (longer than the
 * sampling interval) lies between it and now and no point is newer;
 * `consume`: it is being recorded (not only copied into a snapshot). */
static bool quiet_point(uint64_t now, tm_timeline_point_t *out, bool consume) {
  uint64_t at = quiet_ns;
  if (consume)
    quiet_ns = 0;
  if (at == 0 || at <= t0_ns + (npts ? pts[npts - 1].time_ns : 0) ||
      now - at <= atomic_load_explicit(&interval_now, memory_order_relaxed))
    return false;
  *out = quiet;
  out->time_ns = at - t0_ns;
  return true;
}

/* Append the points due before a point at `now`, in time order: the end of
 * a burst before a quiet phase (quiet_point) and the pending peak. */
static void due_points(uint64_t now, uint64_t now_ticks, size_t cur, size_t pk,
                       uint64_t allocs) {
  tm_timeline_point_t q, p;
  bool has_q = quiet_point(now, &q, true);
  bool has_p = pending_peak(now, now_ticks, cur, pk, allocs, &p);
  if (has_q && (!has_p || q.time_ns <= p.time_ns)) {
    append(q);
    has_q = false;
  }
  if (has_p)
    append(p);
  if (has_q)
    append(q);
  mark_peak_seen();
}

/* Record the due points and a sample of now (lock held). */
static void sample_locked(uint64_t now) {
  uint64_t now_ticks = tm_tl_ticks();
  size_t cur, pk;
  tm_trace_table_traced_memory(&cur, &pk);
  uint64_t allocs = atomic_load_explicit(&tm_tl_allocs, memory_order_relaxed);
  due_points(now, now_ticks, cur, pk, allocs);
  if (now < t0_ns + pts[npts - 1].time_ns)
    now = t0_ns + pts[npts - 1].time_ns;
  append((tm_timeline_point_t){now - t0_ns, cur, pk, allocs});
  last_ns = now;
  last_ticks = now_ticks;
}

/* The work of tm_timeline_check, an ordinary function: tm_timeline_check
 * saves what it clobbers (preserve_most), then this runs, then the stack
 * it used is zeroed. */
static __attribute__((noinline)) void check(void) {
  tm_tl_thread_t *t = &tm_tl_self;
  flush_self();
  if (!atomic_load_explicit(&active, memory_order_acquire)) {
    t->left = TM_TL_MAX_COUNTDOWN - 1;
    return;
  }
  uint64_t now = tm_tl_clock_ns();
  // Pace the countdown: a clock read about every half interval of this
  // thread's time, at most every operation, at least every 256.
  uint64_t target =
      atomic_load_explicit(&interval_now, memory_order_relaxed) / 2;
  uint64_t elapsed = now - t->last_check_ns;
  uint64_t n = t->n ? t->n : 1;
  if (elapsed < target)
    n = n * 2 > TM_TL_MAX_COUNTDOWN ? TM_TL_MAX_COUNTDOWN : n * 2;
  else
    n = n * target / elapsed ? n * target / elapsed : 1;
  t->n = (uint32_t)n;
  t->left = (uint32_t)n - 1;
  t->last_check_ns = now;
  if (now < atomic_load_explicit(&deadline_ns, memory_order_relaxed)) {
    // No sample: keep this state in case a quiet phase follows. Another
    // thread holding the lock is recording a state at least as recent.
    if (tm_spin_trylock(&lock)) {
      size_t cur, pk;
      tm_trace_table_traced_memory(&cur, &pk);
      quiet = (tm_timeline_point_t){
          0, cur, pk,
          atomic_load_explicit(&tm_tl_allocs, memory_order_relaxed)};
      quiet_ns = now;
      tm_spin_unlock(&lock);
    }
    return;
  }
  tm_spin_lock(&lock);
  if (npts && now >= atomic_load_explicit(&deadline_ns, memory_order_relaxed)) {
    sample_locked(now);
    atomic_store_explicit(
        &deadline_ns,
        now + atomic_load_explicit(&interval_now, memory_order_relaxed),
        memory_order_relaxed);
  }
  tm_spin_unlock(&lock);
}

/* Zero the stack below the caller, where check() and its callees had their
 * frames (why: timeline.h, TM_TL_PRESERVE). */
static __attribute__((noinline)) void scrub_stack(void) {
  volatile uint64_t area[64];
  for (size_t i = 0; i < sizeof area / sizeof *area; i++)
    area[i] = 0;
}

TM_TL_PRESERVE void tm_timeline_check(void) {
  check();
  scrub_stack();
}

bool tm_timeline_start(void) {
  tm_spin_lock(&lock);
  if (!pts)
    pts = tm_raw_map(TM_TL_MAX_POINTS * sizeof *pts, TM_MEM_TABLES);
  uint32_t g = atomic_load_explicit(&gen, memory_order_relaxed) + 1;
  if (g == 0)
    g = 1; // 0 is a thread that never flushed (flush_self)
  atomic_store_explicit(&gen, g, memory_order_relaxed);
  atomic_store_explicit(&tm_tl_allocs, 0, memory_order_relaxed);
  atomic_store_explicit(&tm_tl_peak.stamp, 0, memory_order_relaxed);
  atomic_store_explicit(&tm_tl_peak.value, 0, memory_order_relaxed);
  atomic_store_explicit(&tm_tl_peak.allocs, 0, memory_order_relaxed);
  seen_stamp = seen_value = 0;
  quiet_ns = 0;
  npts = imax = 0;
  uint64_t now = tm_tl_clock_ns();
  t0_ns = last_ns = now;
  last_ticks = tm_tl_ticks();
  atomic_store_explicit(&interval_now, TM_TL_MIN_INTERVAL_NS,
                        memory_order_relaxed);
  atomic_store_explicit(&deadline_ns, now + TM_TL_MIN_INTERVAL_NS,
                        memory_order_relaxed);
  tm_tl_self =
      (tm_tl_thread_t){.gen = g, .left = 0, .n = 1, .last_check_ns = now};
  if (pts)
    append((tm_timeline_point_t){0, 0, 0, 0});
  atomic_store_explicit(&active, pts != NULL, memory_order_release);
  tm_spin_unlock(&lock);
  return pts != NULL;
}

void tm_timeline_on_clear(void) {
  tm_spin_lock(&lock);
  if (npts) {
    flush_self();
    uint64_t now = tm_tl_clock_ns();
    sample_locked(now); // what was traced just before the clear
    append((tm_timeline_point_t){last_ns - t0_ns, 0, 0,
                                 pts[npts - 1].allocations});
  }
  tm_spin_unlock(&lock);
}

void tm_timeline_on_reset_peak(void) {
  tm_spin_lock(&lock);
  if (npts) {
    flush_self();
    sample_locked(tm_tl_clock_ns());
    // The new peak is current, reached now: that sample is its point.
    atomic_store_explicit(&tm_tl_peak.stamp, last_ticks, memory_order_relaxed);
    atomic_store_explicit(&tm_tl_peak.value, pts[npts - 1].peak,
                          memory_order_relaxed);
    atomic_store_explicit(&tm_tl_peak.allocs, pts[npts - 1].allocations,
                          memory_order_relaxed);
    mark_peak_seen();
  }
  tm_spin_unlock(&lock);
}

void tm_timeline_atfork_child(void) { tm_spin_reset(&lock); }

tm_status_t tm_timeline_copy_to(tm_snapshot_t *snap) {
  tm_spin_lock(&lock);
  if (!npts) {
    tm_spin_unlock(&lock);
    return TM_OK; // no timeline (its array could not be mapped)
  }
  flush_self();
  tm_timeline_point_t *copy =
      tm_raw_alloc((npts + 3) * sizeof *copy, TM_MEM_OBJECTS);
  if (!copy) {
    tm_spin_unlock(&lock);
    return tm_set_error(TM_ENOMEM, "out of memory copying the timeline");
  }
  memcpy(copy, pts, npts * sizeof *copy);
  size_t n = npts;
  uint64_t now = tm_tl_clock_ns();
  size_t cur, pk;
  tm_trace_table_traced_memory(&cur, &pk);
  uint64_t allocs = atomic_load_explicit(&tm_tl_allocs, memory_order_relaxed);
  // The due points, in time order, into the copy only (a snapshot changes
  // nothing in the timeline).
  tm_timeline_point_t q, p;
  bool has_q = quiet_point(now, &q, false);
  bool has_p = pending_peak(now, tm_tl_ticks(), cur, pk, allocs, &p);
  if (has_q && (!has_p || q.time_ns <= p.time_ns)) {
    keep_order(&copy[n - 1], &q);
    copy[n++] = q;
    has_q = false;
  }
  if (has_p) {
    keep_order(&copy[n - 1], &p);
    copy[n++] = p;
  }
  if (has_q) {
    keep_order(&copy[n - 1], &q);
    copy[n++] = q;
  }
  tm_timeline_point_t last = {now - t0_ns, cur, pk, allocs};
  keep_order(&copy[n - 1], &last);
  copy[n++] = last;
  tm_spin_unlock(&lock);
  tm_status_t st = tm_snapshot_set_timeline(snap, copy, n);
  tm_raw_free(copy);
  return st;
}
