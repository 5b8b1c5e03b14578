// C++ exceptions thrown through instrumented frames (with and without
// cleanups) leave the shadow stack balanced: after 100 throws caught in main,
// and inside a catch block of a nested function, tracebacks are exact.
// REQUIRES: runtime
// RUN: %clangxx_tm -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clangxx_tm -O2 %s -o %t2 && %t2 | FileCheck %s
#include <stdexcept>
#include <string>

#include "Inputs/tm_test.h"

NOINLINE void thrower(int n) {
  std::string local(40, 'x'); // a cleanup: this frame has a landing pad
  if (n == 0)
    throw std::runtime_error("deep");
  thrower(n - 1);
  tmt_sink = &local;
}

NOINLINE void plain_thrower(int n) { // no cleanup: unwound without a pad
  if (n == 0)
    throw 42;
  plain_thrower(n - 1);
  tmt_sink = nullptr;
}

NOINLINE void *alloc_here(size_t n) {
  void *p = malloc(n);
  tmt_sink = p;
  return p;
}

NOINLINE void *catcher() {
  try {
    thrower(3);
  } catch (const std::exception &) {
    void *p = malloc(999);
    tmt_sink = p;
    return p;
  }
  return nullptr;
}

int main() {
  tmt_start(50);
  for (int i = 0; i < 100; i++) {
    try {
      thrower(6);
    } catch (const std::exception &) {
    }
    try {
      plain_thrower(6);
    } catch (int) {
    }
  }
  void *p = alloc_here(4321);
  tmt_print("after", p);
  tmt_print_total(4321);
  // CHECK: after: 2 frames
  // CHECK-NEXT: cxx-exceptions.cpp:28 alloc_here
  // CHECK-NEXT: cxx-exceptions.cpp:[[#@LINE-5]] main
  // CHECK-NEXT: abs
  // CHECK-NEXT: total_nframe 2
  void *q = catcher();
  tmt_print("in catch", q);
  tmt_print_total(999);
  // CHECK: in catch: 2 frames
  // CHECK-NEXT: cxx-exceptions.cpp:37 catcher
  // CHECK-NEXT: cxx-exceptions.cpp:[[#@LINE-5]] main
  // CHECK-NEXT: abs
  // CHECK-NEXT: total_nframe 2
  return 0;
}
