// A signal handler running on sigaltstack that allocates: its traceback is
// the handler's frames, then the frames it interrupted on the thread's
// stack (runtime/core/shadow_stack.c reads the alternate stack's records,
// then the thread's). Twice, from two lines of main: the record memo must
// not stand in for main's first line the second time; and an allocation
// after the handler returned has none of its frames.
// REQUIRES: runtime
// RUN: %clang_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clang_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include "Inputs/tm_test.h"

#include <signal.h>

static char alt_stack[64 * 1024];
static void *volatile in_handler[2];
static volatile int calls;

NOINLINE void *alloc_here(size_t n) {
  void *p = malloc(n);
  tmt_sink = p;
  return p;
}

NOINLINE void handler(int sig) {
  (void)sig;
  in_handler[calls] = alloc_here(91 + (size_t)calls);
  calls = calls + 1;
}

NOINLINE int inner(void) {
  raise(SIGUSR1);
  tmt_sink = 0;
  return 1;
}

NOINLINE int outer(void) {
  int r = inner();
  tmt_sink = 0;
  return r;
}

int main(void) {
  if (tm_start(25) != TM_OK)
    return 1;
  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
  struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
  if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
    return 1;
  outer();
  outer(); // no allocation in between: the memo of the first is the last
  tmt_print("handler", in_handler[0]);
  // CHECK: handler: 5 frames
  // CHECK-NEXT: sigaltstack.c:19 alloc_here
  // CHECK-NEXT: sigaltstack.c:26 handler
  // CHECK-NEXT: sigaltstack.c:31 inner
  // CHECK-NEXT: sigaltstack.c:37 outer
  // CHECK-NEXT: sigaltstack.c:[[#@LINE-8]] main
  tmt_print_total(91);
  // CHECK: total_nframe 5
  tmt_print("again", in_handler[1]);
  // CHECK: again: 5 frames
  // CHECK-NEXT: sigaltstack.c:19 alloc_here
  // CHECK-NEXT: sigaltstack.c:26 handler
  // CHECK-NEXT: sigaltstack.c:31 inner
  // CHECK-NEXT: sigaltstack.c:37 outer
  // CHECK-NEXT: sigaltstack.c:[[#@LINE-16]] main
  void *p = alloc_here(93);
  tmt_print("after", p);
  // CHECK: after: 2 frames
  // CHECK-NEXT: sigaltstack.c:19 alloc_here
  // CHECK-NEXT: sigaltstack.c:[[#@LINE-4]] main
  tmt_print_total(93);
  // CHECK: total_nframe 2
  return 0;
}
