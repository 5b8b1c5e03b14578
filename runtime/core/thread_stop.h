/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* thread_stop.h - stop every other thread of the process for the leak
 * scan, and capture what the scan needs of each: its registers, its stack
 * pointer and its thread pointer (thread_stop.c has the design).
 */
#ifndef TM_THREAD_STOP_H
#define TM_THREAD_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "visibility.h"

typedef struct tm_stopped {
  int tid;
  _Atomic int stopped; /* 1 once its handler captured the state below */
  uintptr_t sp;        /* the interrupted stack pointer */
  uintptr_t tp;        /* its thread pointer (TLS, thread descriptor) */
  mcontext_t regs;     /* every register at the interruption */
} tm_stopped_t;

/* Stop every thread listed in /proc/self/task but this one (at most `max`,
 * in slots[]): signal each, wait until its handler holds it. Threads that
 * block the signal, and threads that do not answer within a second, are
 * left running (their `stopped` stays 0). Returns the number of slots
 * used. Must be paired with tm_threads_resume. Not reentrant. */
TM_HIDDEN size_t tm_threads_stop(tm_stopped_t *slots, size_t max);

/* Let every stopped thread go on, and wait (bounded) until their handlers
 * have returned. */
TM_HIDDEN void tm_threads_resume(void);

/* This thread's thread pointer (x86-64: %fs base; the thread descriptor,
 * static TLS right below it). */
TM_HIDDEN uintptr_t tm_thread_pointer(void);

#endif /* TM_THREAD_STOP_H */
