/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_context.c - the runtime side of ABI v4 that follows the
 * program: __tm_tracing_flag follows tm_start/tm_stop (instrumented code
 * tests it at every entry), and the swapcontext/makecontext wrappers
 * (hooks/context_switch.c) keep one record chain per context: a new
 * context starts with no record and the bounds of its own stack (a small
 * state per makecontext stack, reused when the stack is, counted in
 * tm_get_tracemalloc_memory), and a context resumes with the top and the
 * bounds it left with, however deep the other one went meanwhile. */
#define _GNU_SOURCE
#include <stdint.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

static ucontext_t main_ctx, co_ctx;
static char co_stack[64 * 1024], other_stack[64 * 1024];
static const struct tm_site s_co = {"co.c", "co", NULL, 3, 0, 0, 0};

static const struct tm_frame_record *co_top_at_entry, *co_top_resumed;
static const struct tm_frame_record *co_top_pushed;
static uintptr_t co_lo, co_hi, co_lo_resumed, co_arg;
static int co_runs;

static void co_fn(int a, int b) {
  co_runs++;
  co_arg = (uintptr_t)a * 1000 + (uintptr_t)b;
  co_top_at_entry = __tm_shadow_top;
  co_lo = tm_stack_lo;
  co_hi = tm_stack_hi;
  // Two records of its own, then back to main without popping them.
  struct tm_frame_record rec[2] = {{&rec[1], &s_co}, {NULL, &s_co}};
  __tm_shadow_top = &rec[0];
  co_top_pushed = &rec[0];
  swapcontext(&co_ctx, &main_ctx);
  co_top_resumed = __tm_shadow_top;
  co_lo_resumed = tm_stack_lo;
  __tm_shadow_top = NULL; // its frames popped: returns through uc_link
}

static void make(char *stack, size_t size) {
  CHECK(getcontext(&co_ctx) == 0);
  co_ctx.uc_stack.ss_sp = stack;
  co_ctx.uc_stack.ss_size = size;
  co_ctx.uc_link = &main_ctx;
  makecontext(&co_ctx, (void (*)(void))co_fn, 2, 12, 34);
}

int main(void) {
  // The flag: what the entry of every function with a traced copy tests.
  CHECK(__tm_tracing_flag == 0);
  CHECK(tm_start(5) == TM_OK);
  CHECK(__tm_tracing_flag == 1);
  tm_clear_traces();
  CHECK(__tm_tracing_flag == 1);
  tm_stop();
  CHECK(__tm_tracing_flag == 0);
  CHECK(tm_start(5) == TM_OK);
  CHECK(__tm_tracing_flag == 1);

  // Main with one record, on its thread's stack.
  struct tm_frame_record main_rec[2] = {{NULL, &s_co}, {&main_rec[0], &s_co}};
  __tm_shadow_top = &main_rec[0];
  uintptr_t main_lo = tm_stack_lo, main_hi = tm_stack_hi;
  CHECK(main_lo < (uintptr_t)&main_rec[0] && (uintptr_t)&main_rec[0] < main_hi);
  size_t before = tm_get_tracemalloc_memory();

  make(co_stack, sizeof co_stack);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  // The coroutine started empty, on its own stack, with its arguments.
  CHECK(co_runs == 1);
  CHECK(co_arg == 12034);
  CHECK(co_top_at_entry == NULL);
  CHECK(co_lo == (uintptr_t)co_stack &&
        co_hi == (uintptr_t)co_stack + sizeof co_stack);
  // It switched back without returning: main has its own state back.
  CHECK(__tm_shadow_top == &main_rec[0]);
  CHECK(tm_stack_lo == main_lo && tm_stack_hi == main_hi);
  // The stack's state is counted: one page.
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  size_t one = tm_get_tracemalloc_memory();
  CHECK(one >= before + ps);

  // Main goes deeper, then resumes the coroutine: its state is its own.
  __tm_shadow_top = &main_rec[1];
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_top_resumed == co_top_pushed);
  CHECK(co_lo_resumed == (uintptr_t)co_stack);
  // It returned through uc_link to main's saved context.
  CHECK(__tm_shadow_top == &main_rec[1]);
  CHECK(tm_stack_lo == main_lo && tm_stack_hi == main_hi);

  // The same stack again: the same state; another stack: another one.
  make(co_stack, sizeof co_stack);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_top_at_entry == NULL && co_lo == (uintptr_t)co_stack);
  CHECK(tm_get_tracemalloc_memory() == one);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  make(other_stack, sizeof other_stack);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_top_at_entry == NULL && co_lo == (uintptr_t)other_stack);
  CHECK(tm_get_tracemalloc_memory() >= one + ps);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_runs == 3);

  __tm_shadow_top = NULL;
  tm_stop();
  CHECK(__tm_tracing_flag == 0);
  return CHECK_DONE();
}
