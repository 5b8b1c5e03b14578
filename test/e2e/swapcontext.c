// Tracebacks follow the stack the thread is really on through
// makecontext/swapcontext (runtime/hooks/context_switch.c): a coroutine that
// switches back to main without returning leaves nothing on main's shadow
// stack ([after_co, main], not [after_co, co_entry, main]), nor on that of a
// signal handler running on sigaltstack; the coroutine's own tracebacks are
// its frames only, and survive main's calls between two resumes.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include "Inputs/tm_test.h"

#include <signal.h>
#include <ucontext.h>

static ucontext_t main_ctx, co_ctx;
static char co_stack[256 * 1024];
static char alt_stack[256 * 1024];
static void *in_handler;

NOINLINE void *alloc_here(size_t n) { void *p = malloc(n); tmt_sink = p; return p; }

NOINLINE void co_body(int n) {
  void *p = alloc_here((size_t)n);
  tmt_print("in co", p);
  swapcontext(&co_ctx, &main_ctx); // back to main, without returning
  void *q = alloc_here((size_t)n + 1);
  tmt_print("co resumed", q);
  swapcontext(&co_ctx, &main_ctx);
}

NOINLINE void co_entry(int n) { co_body(n); }

NOINLINE void *after_co(size_t n) { void *p = alloc_here(n); tmt_sink = p; return p; }

NOINLINE void deep(int k) { // main's calls overwrite what lies above it
  if (k > 0)
    deep(k - 1);
  else
    tmt_sink = alloc_here(7);
}

NOINLINE void handler(int sig) { (void)sig; in_handler = alloc_here(4321); }

int main(void) {
  tmt_start(25);
  getcontext(&co_ctx);
  co_ctx.uc_stack.ss_sp = co_stack;
  co_ctx.uc_stack.ss_size = sizeof co_stack;
  co_ctx.uc_link = &main_ctx;
  makecontext(&co_ctx, (void (*)(void))co_entry, 1, 3333);
  swapcontext(&main_ctx, &co_ctx);
  void *p = after_co(4444);
  tmt_print("after co", p);
  tmt_print_total(4444);

  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  tmt_print("handler", in_handler);
  tmt_print_total(4321);

  deep(5);
  swapcontext(&main_ctx, &co_ctx); // resume the coroutine
  tmt_print_total(3334);
  return 0;
}
// CHECK: in co: 3 frames
// CHECK-NEXT: swapcontext.c:[[#L:]] alloc_here
// CHECK-NEXT: swapcontext.c:[[#L+3]] co_body
// CHECK-NEXT: swapcontext.c:[[#L+11]] co_entry
// CHECK-NEXT: abs
// CHECK-NEXT: after co: 3 frames
// CHECK-NEXT: swapcontext.c:[[#L]] alloc_here
// CHECK-NEXT: swapcontext.c:[[#L+13]] after_co
// CHECK-NEXT: swapcontext.c:[[#L+32]] main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
// CHECK-NEXT: handler: 3 frames
// CHECK-NEXT: swapcontext.c:[[#L]] alloc_here
// CHECK-NEXT: swapcontext.c:[[#L+22]] handler
// CHECK-NEXT: swapcontext.c:[[#L+40]] main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
// CHECK-NEXT: co resumed: 3 frames
// CHECK-NEXT: swapcontext.c:[[#L]] alloc_here
// CHECK-NEXT: swapcontext.c:[[#L+6]] co_body
// CHECK-NEXT: swapcontext.c:[[#L+11]] co_entry
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 3
