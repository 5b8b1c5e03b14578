/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* context_switch.c - tracebacks follow the stack the thread is really on
 * through swapcontext and makecontext (include/tracemalloc_abi.h section 2).
 *
 * The shadow stack is per thread, but a thread can run on several machine
 * stacks: a coroutine entered with makecontext/swapcontext that switches
 * back without returning used to leave its frames on the thread's shadow
 * stack, so every later traceback of the code it switched to carried them
 * ([after_co, co_entry, main] instead of [after_co, main]), and so did its
 * signal handlers'.
 *
 * swapcontext: the wrapper keeps the state of the context it leaves
 * (__tm_shadow_top and the bounds of its stack) in its own frame, on that
 * context's stack, and puts it back when the real swapcontext returns, i.e.
 * when something switches back to the saved context (or the switch failed).
 * A context saved by this wrapper therefore always resumes with its own
 * frames, whoever switches to it: a swapcontext, a setcontext, or glibc's
 * return through uc_link (which calls its internal setcontext directly, so
 * setcontext itself needs no wrapper).
 *
 * makecontext: a context made on a stack starts with no frame below it. The
 * wrapper keeps a small state per makecontext stack (keyed by
 * uc_stack.ss_sp: its bounds and function, one page mapped once and reused
 * when the stack is reused, counted by tm_get_tracemalloc_memory), and
 * starts the context in a trampoline that installs an empty chain and the
 * stack's bounds before calling the user's function. So a coroutine's
 * traceback is its own frames only. The trampoline takes the context's
 * arguments as 64-bit words, as glibc's makecontext passes them on x86-64
 * and AArch64, plus one in front; with more than TRAMPOLINE_ARGS (8)
 * arguments, on other architectures, or if the state cannot be mapped, the
 * context is made as it was asked (its records are then outside the stack
 * bounds the capture knows: they read as one unknown frame).
 *
 * Not covered: a context saved by getcontext (not by this wrapper) and
 * resumed from another stack keeps the top of the code that switched to it
 * (it is set back by the returns_twice rule of the function that called
 * getcontext, if that function has a frame).
 *
 * A dormant runtime copy (rendezvous.h) only forwards: it never touches
 * __tm_shadow_top. At most MAKE_MAX_ARGS (16) arguments of makecontext are
 * passed on. The next functions: a sanitizer's interceptor if there is one
 * (ASan intercepts swapcontext, and makecontext in newer versions), else
 * dlsym(RTLD_NEXT), else static glibc's
 * __swapcontext/__makecontext (tmcc -static pulls them in with -u).
 */
#include "hooks.h"
#include "rendezvous.h"
#include "shadow_stack.h"
#include "spinlock.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <ucontext.h>

typedef int (*tm_swapcontext_fn)(ucontext_t *, const ucontext_t *);
typedef void (*tm_makecontext_fn)(ucontext_t *, void (*)(void), int, ...);

extern int __interceptor_swapcontext(ucontext_t *, const ucontext_t *)
    __attribute__((weak));
extern void __interceptor_makecontext(ucontext_t *, void (*)(void), int, ...)
    __attribute__((weak));
extern int __swapcontext(ucontext_t *, const ucontext_t *)
    __attribute__((weak));
extern void __makecontext(ucontext_t *, void (*)(void), int, ...)
    __attribute__((weak));

/* Static-link anchor: see anchors.c. */
const char tm_context_switch_linked = 1;

static _Atomic(tm_swapcontext_fn) next_swap;
static _Atomic(tm_makecontext_fn) next_make;

static tm_swapcontext_fn resolve_swap(void) {
  tm_swapcontext_fn fn = atomic_load_explicit(&next_swap, memory_order_acquire);
  if (TM_LIKELY(fn != NULL))
    return fn;
  if (__interceptor_swapcontext != NULL)
    fn = __interceptor_swapcontext;
  else
    fn = (tm_swapcontext_fn)dlsym(RTLD_NEXT, "swapcontext");
  if (fn == NULL)
    fn = __swapcontext;
  if (fn != NULL)
    atomic_store_explicit(&next_swap, fn, memory_order_release);
  return fn;
}

static tm_makecontext_fn resolve_make(void) {
  tm_makecontext_fn fn = atomic_load_explicit(&next_make, memory_order_acquire);
  if (TM_LIKELY(fn != NULL))
    return fn;
  if (__interceptor_makecontext != NULL)
    fn = __interceptor_makecontext;
  else
    fn = (tm_makecontext_fn)dlsym(RTLD_NEXT, "makecontext");
  if (fn == NULL)
    fn = __makecontext;
  if (fn != NULL)
    atomic_store_explicit(&next_make, fn, memory_order_release);
  return fn;
}

TM_EXPORT int swapcontext(ucontext_t *oucp, const ucontext_t *ucp) {
  tm_swapcontext_fn next = resolve_swap();
  if (TM_UNLIKELY(next == NULL)) {
    errno = ENOSYS; /* no libc swapcontext: cannot happen with glibc */
    return -1;
  }
  if (tm_rendezvous_dormant())
    return next(oucp, ucp);
  /* On this context's own stack: */
  const struct tm_frame_record *saved_top = __tm_shadow_top;
  uintptr_t saved_lo = tm_stack_lo, saved_hi = tm_stack_hi;
  int rc = next(oucp, ucp);
  /* Back on this context: its stack's bounds before its record chain (a
   * capture reads records only inside the bounds). */
  tm_stack_lo = saved_lo;
  tm_stack_hi = saved_hi;
  atomic_signal_fence(memory_order_seq_cst);
  __tm_shadow_top = saved_top;
  return rc;
}

#if defined(__x86_64__) || defined(__aarch64__)
#define TRAMPOLINE_ARGS 8

/* One per makecontext stack, in a mapping of its own. */
struct ctx_stack {
  struct ctx_stack *next; /* bucket chain */
  void *sp;               /* uc_stack.ss_sp */
  size_t size;            /* uc_stack.ss_size of the last makecontext */
  void (*func)(void);     /* the function of the last makecontext on it */
};

#define CTX_BUCKETS 1024u
static struct ctx_stack *ctx_buckets[CTX_BUCKETS];
static tm_spinlock_t ctx_lock = TM_SPINLOCK_INIT;

static struct ctx_stack *ctx_stack_for(void *sp) {
  size_t b = ((uintptr_t)sp >> 12) % CTX_BUCKETS;
  tm_spin_lock(&ctx_lock);
  struct ctx_stack *c = ctx_buckets[b];
  while (c && c->sp != sp)
    c = c->next;
  tm_spin_unlock(&ctx_lock);
  if (c)
    return c;
  c = tm_shadow_context_map(sizeof *c);
  if (c == NULL)
    return NULL;
  c->sp = sp;
  tm_spin_lock(&ctx_lock);
  // Two threads making contexts on one new stack at once: keep the first.
  struct ctx_stack *other = ctx_buckets[b];
  while (other && other->sp != sp)
    other = other->next;
  if (other == NULL) {
    c->next = ctx_buckets[b];
    ctx_buckets[b] = c;
  }
  tm_spin_unlock(&ctx_lock);
  return other ? other : c; /* the loser's mapping stays unused, counted */
}

typedef void (*tm_ctx_fn)(uintptr_t, uintptr_t, uintptr_t, uintptr_t, uintptr_t,
                          uintptr_t, uintptr_t, uintptr_t);

/* makecontext's contract is to call `func` with argc integer arguments
 * whatever its declared type; calling it through tm_ctx_fn is that call, so
 * UBSan's check of the function type (-fsanitize=function) does not apply. */
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
static void
ctx_trampoline(uintptr_t cp, uintptr_t a0, uintptr_t a1, uintptr_t a2,
               uintptr_t a3, uintptr_t a4, uintptr_t a5, uintptr_t a6,
               uintptr_t a7) {
  struct ctx_stack *c = (struct ctx_stack *)cp;
  /* A new context: no frame below it, on its stack. */
  __tm_shadow_top = NULL;
  tm_stack_lo = (uintptr_t)c->sp;
  tm_stack_hi = (uintptr_t)c->sp + c->size;
  /* Extra arguments are harmless to a function that takes fewer (the
   * caller owns them in both ABIs). */
  ((tm_ctx_fn)c->func)(a0, a1, a2, a3, a4, a5, a6, a7);
  /* Returning: glibc switches to uc_link, which restores its own state if
   * this file's swapcontext saved it. */
}
#endif

/* At most this many arguments are passed on (glibc sets no limit). */
#define MAKE_MAX_ARGS 16

/* makecontext(ucp, func, argc, args...) with the arguments as words: it
 * reads argc of them, the rest are ignored. */
static void make_forward(tm_makecontext_fn next, ucontext_t *ucp,
                         void (*func)(void), int argc, const uintptr_t *a) {
  next(ucp, func, argc, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
       a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
}

TM_EXPORT void makecontext(ucontext_t *ucp, void (*func)(void), int argc, ...) {
  tm_makecontext_fn next = resolve_make();
  if (TM_UNLIKELY(next == NULL))
    return; /* no libc makecontext: cannot happen with glibc */
  uintptr_t a[MAKE_MAX_ARGS + 1] = {0};
  int n = argc < 0 ? 0 : argc > MAKE_MAX_ARGS ? MAKE_MAX_ARGS : argc;
  va_list ap;
  va_start(ap, argc);
  for (int i = 0; i < n; i++)
    a[i] = va_arg(ap, uintptr_t);
  va_end(ap);
#if defined(__x86_64__) || defined(__aarch64__)
  if (n == argc && n <= TRAMPOLINE_ARGS && !tm_rendezvous_dormant() &&
      ucp->uc_stack.ss_sp != NULL) {
    struct ctx_stack *c = ctx_stack_for(ucp->uc_stack.ss_sp);
    if (c != NULL) {
      c->func = func;
      c->size = ucp->uc_stack.ss_size;
      uintptr_t t[MAKE_MAX_ARGS + 1] = {(uintptr_t)c};
      for (int i = 0; i < n; i++)
        t[i + 1] = a[i];
      make_forward(next, ucp, (void (*)(void))ctx_trampoline, 1 + n, t);
      return;
    }
  }
#endif
  make_forward(next, ucp, func, n, a);
}
