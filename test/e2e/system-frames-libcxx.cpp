// system-frames.cpp with libc++ (/usr/lib/llvm-N/include/c++/v1): the
// user's line first at -O0 and -O2, all five frames the user's at
// TRACEMALLOC=5. Skipped where libc++ is not installed.
// REQUIRES: runtime, libcxx
// RUN: %clangxx_tm -stdlib=libc++ -O0 %s -o %t0
// RUN: env TRACEMALLOC=1 %t0 | FileCheck %s --check-prefixes=CHECK,ONE --implicit-check-not='!'
// RUN: env TRACEMALLOC=5 %t0 | FileCheck %s --check-prefixes=CHECK,FIVE --implicit-check-not='!'
// RUN: %clangxx_tm -stdlib=libc++ -O2 %s -o %t2
// RUN: env TRACEMALLOC=1 %t2 | FileCheck %s --check-prefixes=CHECK,ONE --implicit-check-not='!'
// RUN: env TRACEMALLOC=5 %t2 | FileCheck %s --check-prefixes=CHECK,FIVE --implicit-check-not='!'
// RUN: env TM_PASS_SYSTEM_FRAMES=1 %clangxx_tm -stdlib=libc++ -O0 %s -o %tk
// RUN: env TRACEMALLOC=1 %tk | FileCheck %s --check-prefix=KEPT
// KEPT: trace: !
#include "Inputs/system_frames.h"

static std::vector<Big> v;
static std::string s;
static std::map<int, Big> m;
static std::shared_ptr<Big> sp;
static Big *np;

NOINLINE void do_vector() { v.push_back(Big()); }
// CHECK: trace: system-frames-libcxx.cpp:[[#@LINE-1]] do_vector();
// ONE-NOT: level
// FIVE-SAME: system-frames-libcxx.cpp:{{[0-9]+}} level4(); system-frames-libcxx.cpp:{{[0-9]+}} level3(); system-frames-libcxx.cpp:{{[0-9]+}} level2(); system-frames-libcxx.cpp:{{[0-9]+}} level1();{{ *$}}
NOINLINE void do_string() { s.append(100, 'x'); }
// CHECK: trace: system-frames-libcxx.cpp:[[#@LINE-1]] do_string();
// ONE-NOT: level
// FIVE-SAME: system-frames-libcxx.cpp:{{[0-9]+}} level4(); system-frames-libcxx.cpp:{{[0-9]+}} level3(); system-frames-libcxx.cpp:{{[0-9]+}} level2(); system-frames-libcxx.cpp:{{[0-9]+}} level1();{{ *$}}
NOINLINE void do_map() { m[7].b[0] = 1; }
// CHECK: trace: system-frames-libcxx.cpp:[[#@LINE-1]] do_map();
// ONE-NOT: level
// FIVE-SAME: system-frames-libcxx.cpp:{{[0-9]+}} level4(); system-frames-libcxx.cpp:{{[0-9]+}} level3(); system-frames-libcxx.cpp:{{[0-9]+}} level2(); system-frames-libcxx.cpp:{{[0-9]+}} level1();{{ *$}}
NOINLINE void do_shared() { sp = std::make_shared<Big>(); }
// CHECK: trace: system-frames-libcxx.cpp:[[#@LINE-1]] do_shared();
// ONE-NOT: level
// FIVE-SAME: system-frames-libcxx.cpp:{{[0-9]+}} level4(); system-frames-libcxx.cpp:{{[0-9]+}} level3(); system-frames-libcxx.cpp:{{[0-9]+}} level2(); system-frames-libcxx.cpp:{{[0-9]+}} level1();{{ *$}}
NOINLINE void do_new() { np = new Big(); }
// CHECK: trace: system-frames-libcxx.cpp:[[#@LINE-1]] do_new();
// ONE-NOT: level
// FIVE-SAME: system-frames-libcxx.cpp:{{[0-9]+}} level4(); system-frames-libcxx.cpp:{{[0-9]+}} level3(); system-frames-libcxx.cpp:{{[0-9]+}} level2(); system-frames-libcxx.cpp:{{[0-9]+}} level1();{{ *$}}
// CHECK: 5 traces

NOINLINE void level4() {
  do_vector();
  do_string();
  do_map();
  do_shared();
  do_new();
}
NOINLINE void level3() { level4(); }
NOINLINE void level2() { level3(); }
NOINLINE void level1() { level2(); }

int main() {
  tm_clear_traces(); // what the C++ runtime allocated before main
  level1();
  sf_dump("system-frames-libcxx.cpp");
  return 0;
}
