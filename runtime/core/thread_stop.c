/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* thread_stop.c - stop the other threads for the leak scan, without ptrace.
 *
 * Design. LeakSanitizer stops threads with ptrace from a helper process;
 * here each thread stops itself. The threads are the entries of
 * /proc/self/task (read with getdents64: no malloc, no opendir), so threads
 * the runtime never saw (created before it, or by code that bypassed our
 * pthread_create wrapper) are stopped too. Each gets a real-time signal
 * (tgkill) whose handler copies the interrupted registers (the ucontext's
 * mcontext), the interrupted stack pointer and the thread pointer into the
 * thread's slot, publishes them with a release store, and then sleeps on a
 * futex until tm_threads_resume. Everything the handler does is
 * async-signal-safe (gettid, memcpy of the context, atomics, futex), so it
 * may interrupt any code, malloc included: the scanning thread only reads
 * memory while the others are stopped.
 *
 * The signal: the highest real-time signal whose disposition is still the
 * default one (a program that uses them all keeps them; no scan of other
 * threads then, and the scan says so). Threads whose mask blocks it (read
 * from /proc/self/task/TID/status, SigBlk) are not signalled: they would
 * never answer (the runtime's own dump thread blocks every signal). A
 * thread that does not answer within a second is left running; its stack
 * is then not a root (docs/semantics.md).
 */
#include "thread_stop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { ANSWER_WAIT_MS = 1000 };

/* glibc's own sigaction (libc.so and libc.a export it; sigaction is its
 * weak alias): in a static link `sigaction` is the runtime's wrapper
 * (hooks/signal_hooks.c), a layer above this one, and the stop signal is
 * none of the wrapper's business. */
extern int __sigaction(int, const struct sigaction *, struct sigaction *);

static tm_stopped_t *stop_slots;
static _Atomic size_t stop_n;
static _Atomic int resume_word; // 0 while the threads must stay stopped
static _Atomic int in_handler;  // handlers not yet returned
static int stop_sig;

static long futex(_Atomic int *addr, int op, int val,
                  const struct timespec *t) {
  return syscall(SYS_futex, (int *)addr, op, val, t, NULL, 0);
}

uintptr_t tm_thread_pointer(void) {
#if defined(__x86_64__)
  uintptr_t tp;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
  return tp;
#else
  return (uintptr_t)__builtin_thread_pointer();
#endif
}

static uintptr_t context_sp(const ucontext_t *uc) {
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.sp;
#else
  (void)uc;
  return (uintptr_t)__builtin_frame_address(0);
#endif
}

static void on_stop(int sig, siginfo_t *info, void *ctx) {
  (void)sig;
  (void)info;
  int saved_errno = errno;
  atomic_fetch_add(&in_handler, 1);
  int tid = (int)gettid();
  size_t n = atomic_load_explicit(&stop_n, memory_order_acquire);
  tm_stopped_t *slot = NULL;
  for (size_t i = 0; i < n; i++)
    if (stop_slots[i].tid == tid)
      slot = &stop_slots[i];
  if (slot && !atomic_load(&resume_word)) {
    const ucontext_t *uc = ctx;
    memcpy(&slot->regs, &uc->uc_mcontext, sizeof slot->regs);
    slot->sp = context_sp(uc);
    slot->tp = tm_thread_pointer();
    atomic_store_explicit(&slot->stopped, 1, memory_order_release);
    while (!atomic_load_explicit(&resume_word, memory_order_acquire))
      futex(&resume_word, FUTEX_WAIT_PRIVATE, 0, NULL);
  }
  atomic_fetch_sub(&in_handler, 1);
  errno = saved_errno;
}

/* The highest real-time signal still at its default action, or 0. */
static int pick_signal(void) {
  for (int s = SIGRTMAX; s >= SIGRTMIN; s--) {
    struct sigaction cur;
    if (__sigaction(s, NULL, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
        cur.sa_handler == SIG_DFL)
      return s;
  }
  return 0;
}

/* Does thread `tid` block signal `sig`? (Its SigBlk line; unreadable:
 * assume not.) */
static bool blocks(int tid, int sig) {
  char path[64], buf[2048];
  // No snprintf: it may allocate (locale); build the path by hand.
  char digits[16];
  int nd = 0;
  for (unsigned v = (unsigned)tid; v || nd == 0; v /= 10)
    digits[nd++] = (char)('0' + v % 10);
  char *p = stpcpy(path, "/proc/self/task/");
  while (nd)
    *p++ = digits[--nd];
  strcpy(p, "/status");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0)
    return false;
  buf[len] = '\0';
  const char *line = strstr(buf, "SigBlk:");
  if (!line)
    return false;
  line += 7;
  while (*line == ' ' || *line == '\t')
    line++;
  const char *end = line;
  while ((*end >= '0' && *end <= '9') || (*end >= 'a' && *end <= 'f'))
    end++;
  // Hex, signal 1 is the lowest bit of the last digit.
  int bit = sig - 1, digit = bit / 4;
  if (end - line <= digit)
    return false;
  char c = end[-1 - digit];
  int v = c <= '9' ? c - '0' : c - 'a' + 10;
  return (v >> (bit % 4)) & 1;
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

size_t tm_threads_stop(tm_stopped_t *slots, size_t max) {
  atomic_store(&resume_word, 0);
  atomic_store(&stop_n, 0);
  stop_slots = slots;
  stop_sig = pick_signal();
  if (!stop_sig)
    return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_stop;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask); // nothing else runs on a stopped thread
  if (__sigaction(stop_sig, &sa, NULL) != 0) {
    stop_sig = 0;
    return 0;
  }
  int self = (int)gettid(), pid = (int)getpid();
  size_t n = 0;
  int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    _Alignas(8) char buf[4096];
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
      for (long off = 0; off < got;) {
        struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
        off += d->d_reclen;
        int tid = atoi(d->d_name);
        if (tid <= 0 || tid == self || n >= max || blocks(tid, stop_sig))
          continue;
        memset(&slots[n], 0, sizeof slots[n]);
        slots[n].tid = tid;
        n++;
      }
    }
    close(fd);
  }
  atomic_store_explicit(&stop_n, n, memory_order_release);
  for (size_t i = 0; i < n; i++)
    if (syscall(SYS_tgkill, pid, slots[i].tid, stop_sig) != 0)
      slots[i].tid = -1; // gone already
  long long deadline = now_ms() + ANSWER_WAIT_MS;
  for (size_t i = 0; i < n; i++) {
    while (slots[i].tid > 0 &&
           !atomic_load_explicit(&slots[i].stopped, memory_order_acquire) &&
           now_ms() < deadline) {
      struct timespec tick = {0, 100000}; // 0.1 ms
      nanosleep(&tick, NULL);
    }
  }
  return n;
}

void tm_threads_resume(void) {
  if (!stop_sig)
    return;
  atomic_store_explicit(&resume_word, 1, memory_order_release);
  futex(&resume_word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
  // A late signal may still be delivered: it finds resume_word set and
  // returns at once. Wait for the handlers that run before putting the old
  // action back (a second at most).
  long long deadline = now_ms() + ANSWER_WAIT_MS;
  while (atomic_load(&in_handler) && now_ms() < deadline) {
    struct timespec tick = {0, 100000};
    nanosleep(&tick, NULL);
  }
  atomic_store(&stop_n, 0);
  // The handler stays installed (it returns at once now): a signal still
  // pending for a thread that never answered would otherwise end the
  // process with the default action.
}
