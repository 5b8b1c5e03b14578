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
 * The dump thread exists only when a trigger is armed; it is created at
 * the end of the initialisation with every signal blocked (so no
 * process-directed signal is ever delivered to it, and the program's
 * handlers never run on it), a small stack, and tm_reentrant raised for its
 * whole life: nothing it does is traced. It goes through pthread_create
 * like any thread (a sanitizer must know it).
 *
 * Termination signals. With TRACEMALLOC_DUMP set, a handler is installed
 * for SIGTERM, SIGINT, SIGHUP and SIGABRT, each only if its disposition is
 * still the default one (an ignored or handled signal is left alone, and a
 * handler the program installs later replaces ours). On arrival it asks
 * the dump thread for the exit dump, waits for it (at most
 * FATAL_WAIT_SECONDS), then restores the default action and raises the
 * signal again: the program ends exactly as it would have (same signal,
 * same status, same core dump). A second termination signal during the
 * wait ends it at once. When the signal interrupted the runtime itself on
 * this thread (which may hold a table lock the dump needs), the handler
 * returns at once and the dump thread, its dump written, ends the process
 * with the same signal sent to the same thread.
 *
 * Fork. The child has no dump thread and shares the parent's pipe: the
 * atfork child handler gives it a pipe and a thread of its own.
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
#include <time.h>
#include <unistd.h>

#include "dump_triggers.h"
#include "internal.h"

enum {
  FATAL_WAIT_SECONDS = 10,
  DUMP_THREAD_STACK = 256 * 1024,
};

/* What the handlers write in the pipe. */
#define REQ_SIGNAL 's'
#define REQ_FATAL 'f'

static const int fatal_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGABRT};

static int req_pipe[2] = {-1, -1};
static int dump_signal;           // 0: no signal dumps
static long long interval_ns;     // 0: no periodic dumps
static bool fatal_armed;          // handlers installed for fatal_signals
static _Atomic int fatal_request; // 1 once a termination signal arrived
static _Atomic int fatal_done;    // 1 once its dump was attempted
static _Atomic int fatal_sig;     // the first termination signal
static _Atomic int fatal_tid;     // and the thread it was delivered to
static _Atomic bool fatal_waiter; // its handler waits for the dump

/* One line on stderr, without stdio. */
static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}

/* The value as it may be shown on one line: printable, at most 64 bytes. */
static const char *printable(const char *s, char *buf, size_t len) {
  size_t i = 0;
  for (; s[i] && i + 4 < len && i < 64; i++)
    buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  strcpy(buf + i, s[i] ? "..." : "");
  return buf;
}

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

static void on_fatal_signal(int sig) {
  int saved_errno = errno;
  if (atomic_exchange(&fatal_request, 1) == 0) {
    atomic_store(&fatal_sig, sig);
    atomic_store(&fatal_tid, (int)gettid());
    // Busy on this thread: the runtime holds a lock the dump needs, so
    // this thread must go on. The dump thread ends the process with this
    // signal once the dump is written (an abort() from there ends at once:
    // it re-raises with the default action itself).
    bool busy = (tm_reentrant % TM_REENTRANT_IGNORE) != 0;
    atomic_store(&fatal_waiter, !busy);
    post(REQ_FATAL);
    if (busy) {
      errno = saved_errno;
      return;
    }
    // Then the signal again, here, so that a core dump shows this thread.
    long long deadline = now_ns() + FATAL_WAIT_SECONDS * 1000000000LL;
    struct timespec tick = {0, 1000000}; // 1 ms
    while (!atomic_load(&fatal_done) && now_ns() < deadline)
      nanosleep(&tick, NULL);
  }
  // A second termination signal (SA_NODEFER lets it in during the wait)
  // ends the program at once.
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
      periodic_ok = tm_env_dump(periodic_ok);
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
    if (fatal || asked)
      tm_env_dump(true);
    if (fatal) {
      atomic_store(&fatal_done, 1);
      if (!atomic_load(&fatal_waiter))
        end_process();
    }
  }
}

static bool start_thread(void) {
  if (pipe2(req_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    req_pipe[0] = req_pipe[1] = -1;
    return false;
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
    return false;
  }
  pthread_setname_np(t, "tracemalloc");
  return true;
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
    warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: not a signal "
         "name or number, no signal dumps",
         printable(value, shown, sizeof shown));
  else if (sig == -2)
    warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: this signal "
         "cannot ask for dumps (use SIGUSR1, SIGUSR2 or a real-time "
         "signal), no signal dumps",
         printable(value, shown, sizeof shown));
  else
    dump_signal = sig;
}

static void interval_from_env(void) {
  const char *value = secure_getenv("TRACEMALLOC_DUMP_INTERVAL");
  long long ns = tm_dump_parse_interval(value);
  char shown[80];
  if (ns < 0)
    warn("tracemalloc: warning: TRACEMALLOC_DUMP_INTERVAL=%s: invalid "
         "number of seconds (from 0.001 to 1000000000, e.g. 60 or 0.5), no "
         "periodic dumps",
         printable(value, shown, sizeof shown));
  else
    interval_ns = ns;
}

void tm_dump_triggers_arm(bool exit_dump) {
  signal_from_env();
  interval_from_env();
  char shown[80];
  if (!exit_dump && (dump_signal || interval_ns)) {
    const char *name =
        dump_signal ? "TRACEMALLOC_DUMP_SIGNAL" : "TRACEMALLOC_DUMP_INTERVAL";
    warn("tracemalloc: warning: %s=%s: TRACEMALLOC_DUMP is not set, no "
         "dumps",
         name, printable(secure_getenv(name), shown, sizeof shown));
    dump_signal = 0;
    interval_ns = 0;
  }
  if (dump_signal && !is_default(dump_signal)) {
    struct sigaction cur;
    sigaction(dump_signal, NULL, &cur);
    // Ignored (e.g. inherited): the user asked, take it. Handled: the
    // program's own handler (a library loaded late) stays.
    if (cur.sa_handler != SIG_IGN || (cur.sa_flags & SA_SIGINFO)) {
      warn("tracemalloc: warning: TRACEMALLOC_DUMP_SIGNAL=%s: the program "
           "already handles this signal, no signal dumps",
           printable(secure_getenv("TRACEMALLOC_DUMP_SIGNAL"), shown,
                     sizeof shown));
      dump_signal = 0;
    }
  }
  if (!exit_dump && !dump_signal && !interval_ns)
    return;
  if (!start_thread()) {
    warn("tracemalloc: warning: cannot start the dump thread (%s), no "
         "dumps on signals%s",
         strerror(errno), interval_ns ? " or intervals" : "");
    dump_signal = 0;
    interval_ns = 0;
    return;
  }
  // SA_RESTART: the program's system calls go on as if nothing happened.
  if (dump_signal)
    install(dump_signal, on_dump_signal, SA_RESTART);
  if (exit_dump) {
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
      if (fatal_signals[i] != dump_signal && is_default(fatal_signals[i]))
        install(fatal_signals[i], on_fatal_signal, SA_NODEFER);
    fatal_armed = true;
  }
}

void tm_dump_triggers_atfork_child(void) {
  if (req_pipe[0] < 0)
    return;
  close(req_pipe[0]);
  close(req_pipe[1]);
  req_pipe[0] = req_pipe[1] = -1;
  atomic_store(&fatal_request, 0);
  atomic_store(&fatal_done, 0);
  // The handlers stay installed (the child inherits them); without a
  // thread they would wait for nobody: put the defaults back then.
  if (!start_thread()) {
    struct sigaction cur;
    // Ignored, not the default: the user did not want this signal to end
    // the program.
    if (dump_signal && sigaction(dump_signal, NULL, &cur) == 0 &&
        cur.sa_handler == on_dump_signal)
      install(dump_signal, SIG_IGN, 0);
    if (fatal_armed)
      for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        if (sigaction(fatal_signals[i], NULL, &cur) == 0 &&
            cur.sa_handler == on_fatal_signal)
          install(fatal_signals[i], SIG_DFL, 0);
  }
}
