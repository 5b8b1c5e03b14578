/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_triggers.c - dumps while the program runs (TRACEMALLOC_DUMP_SIGNAL,
 * TRACEMALLOC_DUMP_INTERVAL) and on the terminations that skip atexit
 * (SIGTERM, SIGINT, SIGHUP, SIGABRT with the default action).
 *
 * Design. A dump takes every trace-table lock and writes a file: nothing a
 * signal handler may do (the interrupted code may hold one of those locks).
 * So the handlers only post a request: one byte written to a non-blocking
 * pipe (write(2) is async-signal-safe; a full pipe means requests are
 * already pending, and they merge). A thread of the runtime's own, the dump
 * thread, waits on the pipe (poll, with the interval as its timeout) and
 * writes the dumps with tm_env_dump, like the exit dump (same path, next
 * %n). Requests that arrive while a dump is written are served by one more
 * dump after it.
 *
 * The dump thread is created at the end of the initialisation when
 * TRACEMALLOC_DUMP_SIGNAL or TRACEMALLOC_DUMP_INTERVAL asks for it, and
 * otherwise (TRACEMALLOC_DUMP alone, for the termination dumps) only when
 * the program creates its first thread: a single-threaded program stays
 * single-threaded (glibc's single-thread shortcuts, and the two blocks its
 * creation takes from the program's allocator, are the program's
 * business). It starts with every signal blocked (no process-directed
 * signal is delivered to it, the program's handlers never run on it), a
 * small stack, and tm_reentrant raised for its whole life: nothing it does
 * is traced. It goes through pthread_create like any thread (a sanitizer
 * must know it).
 *
 * Termination signals. With TRACEMALLOC_DUMP set, a handler is installed
 * for SIGTERM, SIGINT, SIGHUP and SIGABRT, each only if its disposition is
 * still the default one (an ignored or handled signal is left alone, and a
 * handler the program installs later replaces ours). On arrival it gets
 * the exit dump written, waits for it (at most FATAL_WAIT_SECONDS), then
 * restores the default action and raises the signal again on the same
 * thread: the program ends exactly as it would have (same signal, same
 * status, same core dump). A second termination signal during the wait
 * ends it at once. Who writes the dump:
 *  - the dump thread, when there is one. If the signal interrupted the
 *    runtime on this thread (which may hold a table lock the dump needs),
 *    the handler returns at once and the dump thread, its dump written,
 *    sends the same signal to the same thread with the default action.
 *  - otherwise (a single-threaded program) a child process made with
 *    _Fork (async-signal-safe, no fork handlers): with one thread, the only
 *    locks it can find taken are this thread's, and those exist only while
 *    the runtime is busy here; then the handler returns and a one-shot
 *    timer delivers the same signal to this thread 1 ms later (at most
 *    FATAL_RETRIES times). Whatever goes wrong in the child costs at most
 *    the wait, never the program's end.
 *
 * Fork. The child has no dump thread and shares the parent's pipe: the
 * atfork child handler gives it a pipe and a thread of its own when signal
 * or periodic dumps need one, and otherwise waits for its first thread.
 *
 * Over 450 lines, one concept: the request pipe and the handlers, the
 * thread and the arming that share it. The parts call each other both ways
 * (a termination handler posts to the thread and waits on its state; the
 * thread ends the process through the handler's path, end_process) and
 * share a dozen atomics of state, so as separate files they would be a TU
 * cycle with that state made global. The value parsers, which share
 * nothing, are dump_trigger_parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dump_triggers.h"
#include "internal.h"
#include "leaks.h"
#include "warn.h"

enum {
  FATAL_WAIT_SECONDS = 10,
  FATAL_RETRIES = 1000, // of 1 ms each
  DUMP_THREAD_STACK = 256 * 1024,
};

/* What the handlers write in the pipe. */
#define REQ_SIGNAL 's'
#define REQ_FATAL 'f'

static const int fatal_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGABRT};

static int req_pipe[2] = {-1, -1};
static int dump_signal;           // 0: no signal dumps
static long long interval_ns;     // 0: no periodic dumps
static _Atomic int fatal_request; // 1 once a termination signal arrived
static _Atomic int fatal_done;    // 1 once its dump was attempted
static _Atomic int fatal_sig;     // the first termination signal
static _Atomic int fatal_tid;     // and the thread it was delivered to
static _Atomic bool fatal_waiter; // its handler waits for the dump
static _Atomic bool thread_up;    // the dump thread runs
static _Atomic int thread_lazy;   // 1: start it when the program has threads
static _Atomic int dump_child;    // the child writing the dump, or 0
static _Atomic int fatal_retries; // redeliveries asked by retry_later
static _Atomic bool retry_armed;  // retry_timer exists
static timer_t retry_timer;
static _Atomic int exiting; // exit() began: no new signal or periodic dump
static _Atomic int dumping; // a signal or periodic dump is being written

/* ---- handlers (async-signal-safe) -------------------------------------- */

static void post(char req) {
  ssize_t w = write(req_pipe[1], &req, 1); // EAGAIN: requests pending
  (void)w;
}

static void on_dump_signal(int sig) {
  (void)sig;
  int saved_errno = errno;
  post(REQ_SIGNAL);
  errno = saved_errno;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* End as the default action would have, on this thread. */
static void die(int sig) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  pthread_sigmask(SIG_UNBLOCK, &only, NULL);
  raise(sig);
}

/* Hand the exit dump to the dump thread and wait for it. False when this
 * thread is busy in the runtime: the handler must return (see below). */
static bool dump_by_thread(int sig) {
  atomic_store(&fatal_sig, sig);
  atomic_store(&fatal_tid, (int)gettid());
  // Busy on this thread: the runtime holds a lock the dump needs, so this
  // thread must go on. The dump thread ends the process with this signal
  // once the dump is written (an abort() from there ends at once: it
  // re-raises with the default action itself).
  bool busy = (tm_reentrant % TM_REENTRANT_IGNORE) != 0;
  atomic_store(&fatal_waiter, !busy);
  post(REQ_FATAL);
  if (busy)
    return false;
  long long deadline = now_ns() + FATAL_WAIT_SECONDS * 1000000000LL;
  struct timespec tick = {0, 1000000}; // 1 ms
  while (!atomic_load(&fatal_done) && now_ns() < deadline)
    nanosleep(&tick, NULL);
  return true;
}

/* No dump thread: a child process (_Fork: async-signal-safe, no fork
 * handlers) writes the dump of its copy of the memory, named with our pid;
 * we wait for it, at most FATAL_WAIT_SECONDS. Whatever the child meets (a
 * lock held by a thread that does not exist in it) costs at most the wait,
 * never our end. SIGCHLD stays blocked: the program's handler never hears
 * of this child, and we end before it could. */
static void dump_by_child(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, NULL);
  long parent = (long)getpid();
  pid_t child = _Fork();
  if (child == 0) {
    // A second Ctrl-C (sent to the process group) ends the child too.
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
      signal(fatal_signals[i], SIG_DFL);
    tm_env_dump(parent, true);
    _exit(0);
  }
  if (child < 0)
    return;
  atomic_store(&dump_child, (int)child);
  long long deadline = now_ns() + FATAL_WAIT_SECONDS * 1000000000LL;
  struct timespec tick = {0, 1000000}; // 1 ms
  for (;;) {
    pid_t r = waitpid(child, NULL, WNOHANG);
    if (r == child || (r < 0 && errno != EINTR))
      break;
    if (now_ns() >= deadline) {
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      break;
    }
    nanosleep(&tick, NULL);
  }
  atomic_store(&dump_child, 0);
}

/* No dump thread, and the signal interrupted the runtime on this thread
 * (the child would find the table lock it holds taken forever): let the
 * thread finish, and have the kernel deliver the same signal to it again
 * in 1 ms (a one-shot timer; timer_create with SIGEV_THREAD_ID is a plain
 * system call). False when that is not possible. */
static bool retry_later(int sig) {
  if (atomic_fetch_add(&fatal_retries, 1) >= FATAL_RETRIES)
    return false;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = sig;
  sev._sigev_un._tid = gettid(); // glibc 2.36 has no sigev_notify_thread_id
  if (timer_create(CLOCK_MONOTONIC, &sev, &retry_timer) != 0)
    return false;
  struct itimerspec once = {{0, 0}, {0, 1000000}};
  if (timer_settime(retry_timer, 0, &once, NULL) != 0) {
    timer_delete(retry_timer);
    return false;
  }
  atomic_store(&retry_armed, true);
  return true;
}

static void on_fatal_signal(int sig) {
  int saved_errno = errno;
  if (atomic_exchange(&retry_armed, false))
    timer_delete(retry_timer); // this may be its arrival
  if (!atomic_load(&fatal_request)) {
    if (tm_leaks_armed()) {
      // The scan stops every thread and runs at exit; a termination
      // signal's dump cannot wait for it. Say so (write(2) is
      // async-signal-safe) rather than leave an unclassified dump unnoticed.
      static const char msg[] =
          "tracemalloc: warning: TRACEMALLOC_LEAKS=1: the program ends on a "
          "signal; the exit dump is written without a leak check\n";
      ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
      (void)w;
    }
    if (atomic_load(&thread_up)) {
      atomic_store(&fatal_request, 1);
      if (!dump_by_thread(sig)) {
        errno = saved_errno;
        return;
      }
    } else if ((tm_reentrant % TM_REENTRANT_IGNORE) != 0 && retry_later(sig)) {
      errno = saved_errno;
      return;
    } else {
      atomic_store(&fatal_request, 1);
      if ((tm_reentrant % TM_REENTRANT_IGNORE) == 0)
        dump_by_child();
    }
  }
  // Then the signal again, here, so that a core dump shows this thread. A
  // second termination signal (SA_NODEFER lets it in during the wait) ends
  // the program at once.
  int child = atomic_exchange(&dump_child, 0);
  if (child > 0)
    kill(child, SIGKILL);
  die(sig);
  errno = saved_errno; // not reached for these signals' default actions
}

/* After the exit dump of a termination signal whose handler returned. */
static void end_process(void) {
  int sig = atomic_load(&fatal_sig);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  if (tgkill(getpid(), atomic_load(&fatal_tid), sig) != 0)
    die(sig); // that thread is gone: the signal ends it from here
}

/* ---- the dump thread --------------------------------------------------- */

/* A signal or periodic dump, unless the program is exiting. The two
 * seq_cst store-then-load pairs (here and in quiesce_at_exit) make sure
 * that either the exit sees this dump and waits, or this sees the exit. */
static bool dump_while_running(bool warn_failure) {
  atomic_store(&dumping, 1);
  bool ok = true;
  if (!atomic_load(&exiting))
    ok = tm_env_dump((long)getpid(), warn_failure);
  atomic_store(&dumping, 0);
  return ok;
}

/* atexit, before the exit dump (registered after it): a dump being written
 * is finished first (at most FATAL_WAIT_SECONDS), so that exit never cuts
 * one short and leaves its temporary file behind; none starts after. */
static void quiesce_at_exit(void) {
  atomic_store(&exiting, 1);
  long long deadline = now_ns() + FATAL_WAIT_SECONDS * 1000000000LL;
  struct timespec tick = {0, 1000000}; // 1 ms
  while (atomic_load(&dumping) && now_ns() < deadline)
    nanosleep(&tick, NULL);
}

static void *dump_thread(void *arg) {
  (void)arg;
  // Everything this thread does is the runtime's, never traced.
  tm_reentrant += TM_REENTRANT_IGNORE;
  bool periodic_ok = true; // warn once per run of failed periodic dumps
  long long next = interval_ns ? now_ns() + interval_ns : 0;
  for (;;) {
    int timeout = -1;
    if (interval_ns) {
      long long ms = (next - now_ns() + 999999) / 1000000;
      timeout = ms <= 0 ? 0 : ms > (1 << 30) ? (1 << 30) : (int)ms;
    }
    struct pollfd p = {.fd = req_pipe[0], .events = POLLIN};
    int r = poll(&p, 1, timeout);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return NULL; // the pipe is gone: nothing will be asked any more
    }
    if (r == 0) {
      if (now_ns() < next)
        continue;
      periodic_ok = dump_while_running(periodic_ok);
      next += interval_ns;
      long long now = now_ns();
      if (next <= now) // the dump took longer than the interval: no burst
        next = now + interval_ns;
      continue;
    }
    char buf[64];
    bool fatal = false, asked = false;
    ssize_t n;
    while ((n = read(req_pipe[0], buf, sizeof buf)) > 0)
      for (ssize_t i = 0; i < n; i++) {
        fatal |= buf[i] == REQ_FATAL;
        asked |= buf[i] == REQ_SIGNAL;
      }
    if (n == 0)
      return NULL;
    if (fatal)
      tm_env_dump((long)getpid(), true);
    else if (asked)
      dump_while_running(true);
    if (fatal) {
      atomic_store(&fatal_done, 1);
      if (!atomic_load(&fatal_waiter))
        end_process();
    }
  }
}

/* 0, or the error that kept the thread from starting. */
static int start_thread(void) {
  if (pipe2(req_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    int err = errno;
    req_pipe[0] = req_pipe[1] = -1;
    return err;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, DUMP_THREAD_STACK);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // Created with every signal blocked: the thread inherits the mask.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  // The C library's allocations for the thread (its TLS) are the runtime's.
  tm_reentrant += TM_REENTRANT_IGNORE;
  int rc = pthread_create(&t, &attr, dump_thread, NULL);
  tm_reentrant -= TM_REENTRANT_IGNORE;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    close(req_pipe[0]);
    close(req_pipe[1]);
    req_pipe[0] = req_pipe[1] = -1;
    return rc;
  }
  pthread_setname_np(t, "tracemalloc");
  atomic_store(&thread_up, true);
  return 0;
}

/* ---- arming ------------------------------------------------------------ */

static bool install(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL) == 0;
}

/* (Our own handler reads as SIG_DFL through the sigaction wrapper: both
 * mean the default action here.) */
static bool is_default(int sig) {
  struct sigaction cur;
  return sigaction(sig, NULL, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
         cur.sa_handler == SIG_DFL;
}

static void signal_from_env(void) {
  const char *value = secure_getenv("TRACEMALLOC_DUMP_SIGNAL");
  int sig = tm_dump_parse_signal(value);
  char shown[80];
  if (sig == -1)
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: not a signal "
            "name or number, no signal dumps",
            tm_printable(value, shown, sizeof shown));
  else if (sig == -2)
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: this signal "
            "cannot ask for dumps (use SIGUSR1, SIGUSR2 or a real-time "
            "signal), no signal dumps",
            tm_printable(value, shown, sizeof shown));
  else
    dump_signal = sig;
}

static void interval_from_env(void) {
  const char *value = secure_getenv("TRACEMALLOC_DUMP_INTERVAL");
  long long ns = tm_dump_parse_interval(value);
  char shown[80];
  if (ns < 0)
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP_INTERVAL=%s: invalid "
            "number of seconds (from 0.001 to 1000000000, e.g. 60 or 0.5), no "
            "periodic dumps",
            tm_printable(value, shown, sizeof shown));
  else
    interval_ns = ns;
}

void tm_dump_triggers_arm(bool exit_dump) {
  signal_from_env();
  interval_from_env();
  char shown[80];
  if (!exit_dump && dump_signal) {
    // No handler is installed: a signal sent for a dump then does what it
    // would without us, which for every signal allowed here (the user and
    // real-time ones) is to end the program. Say so before it is sent.
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: "
            "TRACEMALLOC_DUMP is not set, no dumps%s",
            tm_printable(secure_getenv("TRACEMALLOC_DUMP_SIGNAL"), shown,
                         sizeof shown),
            is_default(dump_signal)
                ? " (the signal keeps its default action: it ends the program)"
                : "");
    dump_signal = 0;
  }
  if (!exit_dump && interval_ns) {
    tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP_INTERVAL=%s: "
            "TRACEMALLOC_DUMP is not set, no dumps",
            tm_printable(secure_getenv("TRACEMALLOC_DUMP_INTERVAL"), shown,
                         sizeof shown));
    interval_ns = 0;
  }
  if (dump_signal && !is_default(dump_signal)) {
    struct sigaction cur;
    sigaction(dump_signal, NULL, &cur);
    // Ignored (e.g. inherited): the user asked, take it. Handled: the
    // program's own handler (a library loaded late) stays.
    if (cur.sa_handler != SIG_IGN || (cur.sa_flags & SA_SIGINFO)) {
      tm_warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: the program "
              "already handles this signal, no signal dumps",
              tm_printable(secure_getenv("TRACEMALLOC_DUMP_SIGNAL"), shown,
                           sizeof shown));
      dump_signal = 0;
    }
  }
  if (dump_signal || interval_ns) {
    int err = start_thread();
    if (err) {
      tm_warn("tracemalloc: warning: cannot start the dump thread (%s), no "
              "dumps on signals or intervals",
              strerror(err));
      dump_signal = 0;
      interval_ns = 0;
    } else {
      atexit(quiesce_at_exit); // runs before the exit dump (registered first)
    }
  } else if (exit_dump) {
    // Only the termination dumps: no thread while the program has none of
    // its own (a single-threaded program stays one: glibc's shortcuts, its
    // allocator's counts); the first pthread_create starts it.
    atomic_store(&thread_lazy, 1);
  }
  // SA_RESTART: the program's system calls go on as if nothing happened.
  if (dump_signal)
    install(dump_signal, on_dump_signal, SA_RESTART);
  if (exit_dump) {
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
      if (fatal_signals[i] != dump_signal && is_default(fatal_signals[i]))
        install(fatal_signals[i], on_fatal_signal, SA_NODEFER);
  }
}

bool tm_dump_triggers_is_default(void (*handler)(int)) {
  return handler == on_fatal_signal;
}

void tm_dump_triggers_thread_created(void) {
  if (TM_LIKELY(atomic_load_explicit(&thread_lazy, memory_order_relaxed) == 0))
    return;
  if (atomic_exchange(&thread_lazy, 0) == 1)
    start_thread(); // failing: the termination dumps use a child process
}

void tm_dump_triggers_atfork_child(void) {
  atomic_store(&fatal_request, 0);
  atomic_store(&fatal_done, 0);
  atomic_store(&fatal_retries, 0);
  atomic_store(&retry_armed, false); // timers are not inherited
  if (!atomic_load(&thread_up))
    return;
  // The parent's dump thread is not here, its pipe is shared with it.
  atomic_store(&thread_up, false);
  close(req_pipe[0]);
  close(req_pipe[1]);
  req_pipe[0] = req_pipe[1] = -1;
  if (!dump_signal && !interval_ns) {
    atomic_store(&thread_lazy, 1); // the child is single-threaded again
    return;
  }
  if (start_thread() != 0) {
    // Ignored, not the default: the user did not want this signal to end
    // the program. (The termination dumps use a child process.)
    struct sigaction cur;
    if (dump_signal && sigaction(dump_signal, NULL, &cur) == 0 &&
        cur.sa_handler == on_dump_signal)
      install(dump_signal, SIG_IGN, 0);
  }
}
