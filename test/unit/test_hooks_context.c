/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_hooks_context.c - ABI v3's runtime side: __tm_tracing_flag follows
 * tm_start/tm_stop (instrumented code tests it at every entry), and the
 * swapcontext/makecontext wrappers (hooks/context_switch.c) keep one shadow
 * stack per context: a new context starts at depth 0 on a ring of its own
 * (one per makecontext stack, reused when the stack is, counted in
 * tm_get_tracemalloc_memory), and a context resumes with the {depth, ring}
 * it left with, however deep the other one went meanwhile. */
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

static uintptr_t co_depth_at_entry, co_depth_resumed, co_arg;
static const struct tm_site **co_ring, **co_ring_resumed;
static int co_runs;

static void co_fn(int a, int b) {
  co_runs++;
  co_arg = (uintptr_t)a * 1000 + (uintptr_t)b;
  co_depth_at_entry = __tm_shadow.depth;
  co_ring = __tm_shadow.frames;
  // Two frames of its own, then back to main without popping them.
  __tm_shadow.depth = 2;
  __tm_shadow.frames[1] = &s_co;
  __tm_shadow.frames[2] = &s_co;
  swapcontext(&co_ctx, &main_ctx);
  co_depth_resumed = __tm_shadow.depth;
  co_ring_resumed = __tm_shadow.frames;
  __tm_shadow.depth = 0; // its frames popped: returns through uc_link
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

  // Main at depth 7 on its thread's ring.
  const struct tm_site **main_ring = __tm_shadow.frames;
  CHECK(tm_shadow_is_own_ring());
  __tm_shadow.depth = 7;
  size_t before = tm_get_tracemalloc_memory();

  make(co_stack, sizeof co_stack);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  // The coroutine started empty, on a ring of its own, with its arguments.
  CHECK(co_runs == 1);
  CHECK(co_arg == 12034);
  CHECK(co_depth_at_entry == 0);
  CHECK(co_ring != main_ring && co_ring != tm_shadow_unset_ring);
  // It switched back without returning: main has its own state back.
  CHECK(__tm_shadow.depth == 7);
  CHECK(__tm_shadow.frames == main_ring);
  // The ring's touched page is counted.
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  CHECK(tm_get_tracemalloc_memory() >= before + ps);

  // Main goes deeper, then resumes the coroutine: its state is its own.
  __tm_shadow.depth = 40;
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_depth_resumed == 2);
  CHECK(co_ring_resumed == co_ring);
  // It returned through uc_link to main's saved context.
  CHECK(__tm_shadow.depth == 40);
  CHECK(__tm_shadow.frames == main_ring);

  // The same stack again: the same ring; another stack: another one.
  const struct tm_site **first = co_ring;
  make(co_stack, sizeof co_stack);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_ring == first && co_depth_at_entry == 0);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  make(other_stack, sizeof other_stack);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_ring != first && co_depth_at_entry == 0);
  CHECK(swapcontext(&main_ctx, &co_ctx) == 0);
  CHECK(co_runs == 3);

  __tm_shadow.depth = 0;
  tm_stop();
  CHECK(__tm_tracing_flag == 0);
  return CHECK_DONE();
}
