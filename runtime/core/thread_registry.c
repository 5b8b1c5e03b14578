/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* thread_registry.c - the registry of allocating threads (thread_registry.h).
 *
 * The table is a plain array from raw_alloc (never malloc), grown under the
 * registry lock, which every reader and writer takes: registration (once
 * per thread and epoch, on a traceback-intern miss), a thread's exit, and
 * the snapshot. None of them is on the allocation fast path. A thread's
 * index lives in two initial-exec TLS words (index, epoch); the epoch is
 * bumped by reset, so a stale index is never used to name a traceback.
 */
#include "thread_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_without_history.h"
#include "raw_alloc.h"
#include "spinlock.h"

#define TM_TLS_IE __attribute__((tls_model("initial-exec")))

static tm_spinlock_t registry_lock = TM_SPINLOCK_INIT;
static tm_rthread_t *table;
static uint32_t count, cap;
/* Bumped by reset; starts at 1 so that a zeroed TLS epoch is stale. */
static _Atomic uint64_t registry_epoch = 1;

static __thread uint32_t self_index TM_TLS_IE;
static __thread uint64_t self_epoch TM_TLS_IE;

static int64_t current_tid(void) { return (int64_t)syscall(SYS_gettid); }

/* The calling thread's name now (prctl never allocates). */
static void own_name(char name[TM_THREAD_NAME_MAX]) {
  char buf[TM_THREAD_NAME_MAX + 1] = {0}; // PR_GET_NAME writes 16 bytes
  if (prctl(PR_GET_NAME, buf, 0, 0, 0) != 0)
    buf[0] = '\0';
  buf[TM_THREAD_NAME_MAX - 1] = '\0';
  memcpy(name, buf, TM_THREAD_NAME_MAX);
}

static __attribute__((noinline)) uint32_t register_self(uint64_t epoch) {
  int saved_errno = errno;
  uint32_t index = 0;
  tm_spin_lock(&registry_lock);
  if (count >= TM_THREAD_REGISTRY_MAX) {
    // Full: this thread has no thread for the rest of the epoch (asked
    // once, not at every traceback miss).
    self_index = 0;
    self_epoch = epoch;
    tm_spin_unlock(&registry_lock);
    errno = saved_errno;
    return 0;
  }
  if (count == cap) {
    uint32_t ncap = cap ? cap * 2 : 16;
    tm_rthread_t *n =
        tm_raw_realloc(table, (size_t)ncap * sizeof *n, TM_MEM_TABLES);
    if (n) {
      table = n;
      cap = ncap;
    }
  }
  if (count < cap) {
    tm_rthread_t *e = &table[count];
    memset(e, 0, sizeof *e);
    e->tid = current_tid();
    // The name now: a thread that is never seen alive by a snapshot and
    // never runs its exit hook (no runtime mapping) still has one.
    own_name(e->name);
    index = ++count;
    self_index = index;
    self_epoch = epoch;
  }
  tm_spin_unlock(&registry_lock);
  errno = saved_errno;
  return index;
}

uint32_t tm_thread_registry_self(void) {
  if (!TM_HISTORY_ON_HOT_PATH)
    return 0; // no thread: "unknown", as with a full registry
  uint64_t epoch = atomic_load_explicit(&registry_epoch, memory_order_relaxed);
  if (__builtin_expect(self_epoch == epoch, 1))
    return self_index;
  return register_self(epoch);
}

/* Read /proc/self/task/TID/comm into name; false if the task is gone. No
 * snprintf: the path is built by hand so that nothing can allocate. */
static bool read_comm(int64_t tid, char name[TM_THREAD_NAME_MAX]) {
  char path[64] = "/proc/self/task/";
  size_t len = strlen(path);
  char digits[24];
  size_t nd = 0;
  uint64_t v = (uint64_t)tid;
  do {
    digits[nd++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (nd)
    path[len++] = digits[--nd];
  memcpy(path + len, "/comm", 6);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buf[TM_THREAD_NAME_MAX + 1];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0)
    return false;
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  memcpy(name, buf, TM_THREAD_NAME_MAX);
  name[TM_THREAD_NAME_MAX - 1] = '\0';
  return true;
}

uint32_t tm_thread_registry_snapshot_begin(void) {
  int saved_errno = errno;
  tm_spin_lock(&registry_lock);
  for (uint32_t i = 0; i < count; i++) {
    tm_rthread_t *e = &table[i];
    // A thread that is gone without running its exit hook (it had no
    // runtime mapping) keeps the last name read.
    if (!e->ended && !read_comm(e->tid, e->name))
      e->ended = true;
  }
  uint32_t n = count;
  tm_spin_unlock(&registry_lock);
  errno = saved_errno;
  return n;
}

tm_rthread_t tm_thread_registry_get(uint32_t index) {
  tm_rthread_t e = {0};
  tm_spin_lock(&registry_lock);
  if (index >= 1 && index <= count)
    e = table[index - 1];
  tm_spin_unlock(&registry_lock);
  return e;
}

void tm_thread_registry_exit(void) {
  uint64_t epoch = atomic_load_explicit(&registry_epoch, memory_order_relaxed);
  if (self_epoch != epoch || self_index == 0)
    return; // never allocated in this epoch: nothing to name
  char name[TM_THREAD_NAME_MAX];
  own_name(name);
  tm_spin_lock(&registry_lock);
  // The epoch again, under the lock: a reset may have emptied the table.
  if (self_epoch ==
          atomic_load_explicit(&registry_epoch, memory_order_relaxed) &&
      self_index <= count) {
    tm_rthread_t *e = &table[self_index - 1];
    memcpy(e->name, name, sizeof name);
    e->ended = true;
  }
  tm_spin_unlock(&registry_lock);
}

void tm_thread_registry_reset(void) {
  tm_spin_lock(&registry_lock);
  atomic_fetch_add_explicit(&registry_epoch, 1, memory_order_relaxed);
  count = 0;
  tm_spin_unlock(&registry_lock);
}

void tm_thread_registry_atfork_prepare(void) { tm_spin_lock(&registry_lock); }
void tm_thread_registry_atfork_parent(void) { tm_spin_unlock(&registry_lock); }

void tm_thread_registry_atfork_child(void) {
  tm_spin_reset(&registry_lock);
  // Only the forking thread exists here, with a new tid; the traces it
  // inherited stay attributed to its entry, which now names it.
  uint64_t epoch = atomic_load_explicit(&registry_epoch, memory_order_relaxed);
  uint32_t self = self_epoch == epoch ? self_index : 0;
  for (uint32_t i = 0; i < count; i++)
    table[i].ended = i + 1 != self;
  if (self && self <= count)
    table[self - 1].tid = current_tid();
}
