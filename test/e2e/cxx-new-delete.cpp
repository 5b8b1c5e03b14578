// Every replaceable operator new and delete is traced: each new at its line,
// each delete (plain, sized, nothrow, aligned and their combinations)
// removes its trace, so the traced memory returns to where it was.
// REQUIRES: runtime
// RUN: %clangxx_tm -std=c++17 -fsized-deallocation -O0 %s -o %t0 && %t0 | FileCheck %s
// RUN: %clangxx_tm -std=c++17 -fsized-deallocation -O2 %s -o %t2 && %t2 | FileCheck %s
#include <new>

#include "Inputs/tm_test.h"

static size_t current(void) {
  size_t c = 0;
  tm_get_traced_memory(&c, nullptr);
  return c;
}

#define SHOW(p) tmt_print(#p, p)

int main() {
  tmt_start(1);
  printf("start\n"); // stdout's buffer, allocated by libc, is traced too
  const std::align_val_t al{64};
  const std::nothrow_t &nt = std::nothrow;
  size_t before = current();
  void *p1 = ::operator new(16);
  SHOW(p1);
  // CHECK: p1: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p2 = ::operator new[](16);
  SHOW(p2);
  // CHECK: p2: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p3 = ::operator new(16);
  void *p4 = ::operator new[](16);
  void *p5 = ::operator new(16, nt);
  SHOW(p5);
  // CHECK: p5: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p6 = ::operator new[](16, nt);
  SHOW(p6);
  // CHECK: p6: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p7 = ::operator new(64, al);
  SHOW(p7);
  // CHECK: p7: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p8 = ::operator new[](64, al);
  SHOW(p8);
  // CHECK: p8: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p9 = ::operator new(64, al, nt);
  SHOW(p9);
  // CHECK: p9: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p10 = ::operator new[](64, al, nt);
  SHOW(p10);
  // CHECK: p10: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  void *p11 = ::operator new(64, al);
  void *p12 = ::operator new[](64, al);
  int *e1 = new int(5);
  SHOW(e1);
  // CHECK: e1: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  int *e2 = new int[7];
  SHOW(e2);
  // CHECK: e2: 1 frames
  // CHECK-NEXT: cxx-new-delete.cpp:[[#@LINE-3]] main
  printf("live %zu\n", current() - before);
  // CHECK: live 512

  ::operator delete(p1);
  ::operator delete[](p2);
  ::operator delete(p3, 16);
  ::operator delete[](p4, 16);
  ::operator delete(p5, nt);
  ::operator delete[](p6, nt);
  ::operator delete(p7, al);
  ::operator delete[](p8, al);
  ::operator delete(p9, al, nt);
  ::operator delete[](p10, al, nt);
  ::operator delete(p11, 64, al);
  ::operator delete[](p12, 64, al);
  delete e1;
  delete[] e2;
  printf("after deletes %zu\n", current() - before);
  // CHECK: after deletes 0
  return 0;
}
