/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_triggers.h - dumps written while the program runs, and on the exits
 * that skip atexit: TRACEMALLOC_DUMP_SIGNAL, TRACEMALLOC_DUMP_INTERVAL,
 * and SIGTERM / SIGINT / SIGHUP / SIGABRT with the default action
 * (dump_triggers.c; docs/semantics.md, "Dumps while running").
 */
#ifndef TM_DUMP_TRIGGERS_H
#define TM_DUMP_TRIGGERS_H

#include <stdbool.h>

/* Write one dump to TRACEMALLOC_DUMP's path (the next %n) now, from any
 * thread but not from a signal handler (init.c). `pid` names it (%p,
 * DIR/): getpid(), or the parent's in the child that dumps for it. `warn`:
 * print the reason on stderr when nothing is written. True when a dump was
 * written. */
bool tm_env_dump(long pid, bool warn);

/* Read TRACEMALLOC_DUMP_SIGNAL and TRACEMALLOC_DUMP_INTERVAL and arm what
 * they ask for, plus the termination-signal dumps when `exit_dump` (the
 * exit dump is registered). Called once by the initialisation, after
 * TRACEMALLOC_DUMP was read; warns on stderr and arms nothing on a bad
 * value. */
void tm_dump_triggers_arm(bool exit_dump);

/* A thread of the program was created (the pthread_create wrapper): start
 * the dump thread if the termination dumps were waiting for one. Cheap:
 * one relaxed load once it is done. Declared for the hooks in internal.h. */
void tm_dump_triggers_thread_created(void);

/* fork child: the parent's dump thread does not exist here; start the
 * child's own (and a fresh request pipe) when triggers are armed. */
void tm_dump_triggers_atfork_child(void);

/* TRACEMALLOC_DUMP_SIGNAL: a signal name with or without "SIG" (any case:
 * "SIGUSR2", "usr2", "SIGRTMIN+3", "RTMAX-1") or a number. Returns the
 * signal number; 0 for NULL or "" (off); -1 when it names no signal; -2
 * when it names one a dump cannot be attached to (SIGKILL and SIGSTOP
 * cannot be caught; SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and SIGSYS
 * report faults; 32 and 33 belong to the C library) (dump_trigger_parse.c). */
int tm_dump_parse_signal(const char *value);

/* TRACEMALLOC_DUMP_INTERVAL: seconds, decimal digits with an optional
 * fraction ("10", "0.5", "2.25"; no sign, no exponent, at most 9 fraction
 * digits), from 0.001 to 1000000000. Returns nanoseconds; 0 for NULL or ""
 * (off); -1 when invalid or out of range (dump_trigger_parse.c). */
long long tm_dump_parse_interval(const char *value);

#endif /* TM_DUMP_TRIGGERS_H */
