/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* thread_registry.h - the threads that allocated while tracing: the
 * allocating thread of every trace, at no memory per trace.
 *
 * A thread gets an index (1, 2, ...) the first time it interns a traceback
 * after tm_start or the last reset (traceback.c's global path, which every
 * thread takes first: a reset empties every per-thread cache), and that
 * index is part of the identity of every runtime traceback the thread
 * interns (traceback.h: tm_tb_t.thread). So a trace keeps its one 32-bit
 * traceback id and still names its thread; two threads allocating from the
 * same stack get two runtime tracebacks, which the snapshot merges back
 * into one by frames (take_snapshot.c), so CPython's grouping is unchanged.
 *
 * Each entry keeps the kernel thread id (gettid) and the thread's name
 * (pthread_setname_np / prctl(PR_SET_NAME), 15 bytes at most). The name is
 * read lazily: from /proc/self/task/TID/comm when a snapshot is taken, for
 * the threads still alive; with prctl(PR_GET_NAME) when a thread with a
 * runtime mapping exits (its key destructor, shadow_stack.c), which is its
 * last name. A thread that ended without telling us (no mapping) keeps the
 * name the last snapshot read.
 *
 * Locking: one leaf spinlock (the registry lock) guards the table; the
 * thread's own TLS index is read without it. Reset (tm_intern_reset) runs
 * with every trace-table lock held and forgets every entry: a thread's TLS
 * index belongs to a registry epoch and is re-registered when stale.
 */
#ifndef TM_THREAD_REGISTRY_H
#define TM_THREAD_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "visibility.h"

#define TM_THREAD_NAME_MAX 16 /* the kernel's TASK_COMM_LEN, NUL included */

/* At most this many threads per epoch (since tm_start or the last reset):
 * a thread's index multiplies the interned tracebacks of every stack it
 * allocates from, and entries are kept after the thread ends (its live
 * blocks still name it), so a program that creates threads without end
 * would grow without bound. Threads past the limit get index 0: their
 * traces have no thread. */
#define TM_THREAD_REGISTRY_MAX 4096

typedef struct tm_rthread {
  int64_t tid;
  bool ended;                    /* the thread has exited */
  char name[TM_THREAD_NAME_MAX]; /* "" until read */
} tm_rthread_t;

/* This thread's index (>= 1) in the registry, registering it on first use
 * in this epoch; 0 when the registry is full (TM_THREAD_REGISTRY_MAX) or
 * the runtime is out of memory (the traceback then has no thread). Call with a
 * trace-table lock held (or single-threaded), like tm_intern_capture. */
TM_HIDDEN uint32_t tm_thread_registry_self(void);

/* Number of entries; entry i + 1 is tm_thread_registry_at(i). Call with
 * every trace-table lock held (take_snapshot). Refreshes the names of the
 * threads still alive from /proc first (tm_thread_registry_refresh). */
TM_HIDDEN uint32_t tm_thread_registry_snapshot_begin(void);
/* A copy of entry `index` (1-based). */
TM_HIDDEN tm_rthread_t tm_thread_registry_get(uint32_t index);

/* The calling thread is exiting: keep its last name, mark it ended. */
TM_HIDDEN void tm_thread_registry_exit(void);

/* Forget every entry (tm_intern_reset, every trace-table lock held). */
TM_HIDDEN void tm_thread_registry_reset(void);

/* fork(): the registry lock; the child's one thread gets its new tid and
 * every other entry is marked ended. */
TM_HIDDEN void tm_thread_registry_atfork_prepare(void);
TM_HIDDEN void tm_thread_registry_atfork_parent(void);
TM_HIDDEN void tm_thread_registry_atfork_child(void);

#endif /* TM_THREAD_REGISTRY_H */
