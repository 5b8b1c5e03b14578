// C++20 coroutines: at OptimizerLast they are already split into ordinary
// functions (ramp, resume, destroy), so a coroutine body resumed from another
// function shows up under its resumer, at -O0 and -O2 (the inlined
// std::coroutine_handle::resume of <coroutine> is folded: SystemHeaders.h).
// REQUIRES: runtime
// RUN: %clangxx_tm -std=c++20 -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clangxx_tm -std=c++20 -O2 %s -o %t2 && %t2 | FileCheck %s
#include <coroutine>
#include <exception>

#include "Inputs/tm_test.h"

struct Task {
  struct promise_type {
    Task get_return_object() {
      return Task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

static void *result;

NOINLINE void *co_leaf() {
  void *p = malloc(2222);
  tmt_sink = p;
  return p;
}

Task coro() {
  co_await std::suspend_always{};
  result = co_leaf();
  co_return;
}

NOINLINE void resumer(Task &t) {
  t.h.resume();
  tmt_sink = &t;
}

NOINLINE void deeper(Task &t, int n) {
  if (n == 0) {
    resumer(t);
    return;
  }
  deeper(t, n - 1);
  tmt_sink = &t;
}

int main() {
  tmt_start(20);
  Task t = coro(); // suspended at the initial suspend point
  t.h.resume();    // runs to the co_await
  deeper(t, 2);    // resumes after the co_await: allocates
  t.h.destroy();
  tmt_print("coroutine", result);
  tmt_print_total(2222);
  return 0;
}
// CHECK: coroutine: 7 frames
// CHECK-NEXT: coroutine.cpp:29 co_leaf
// CHECK-NEXT: coroutine.cpp:36 coro
// CHECK-NEXT: coroutine.cpp:41 resumer
// CHECK-NEXT: coroutine.cpp:47 deeper
// CHECK-NEXT: coroutine.cpp:50 deeper
// CHECK-NEXT: coroutine.cpp:50 deeper
// CHECK-NEXT: coroutine.cpp:58 main
// CHECK-NEXT: abs
// CHECK-NEXT: total_nframe 7
