// Function names end to end for a C++ program built by tmc++: the demangled
// name of every frame (inlined ones too, at -O2) goes through the binary
// dump, the JSON export and back, and the human reports print it in the
// style of Python's traceback module: '  File "f.cpp", line N, in F'.
// REQUIRES: runtime, cli
// RUN: rm -f %t0.tmd %t2.tmd %tg.tmd %tl.tmd
// RUN: %tmcxx -O0 %s -o %t0 && env TRACEMALLOC=5 TRACEMALLOC_DUMP=%t0.tmd %t0
// RUN: %tracemalloc traceback %t0.tmd --exclude '<unknown>' --limit 2 | FileCheck %s
// RUN: %tmcxx -O2 %s -o %t2 && env TRACEMALLOC=5 TRACEMALLOC_DUMP=%t2.tmd %t2
// RUN: %tracemalloc traceback %t2.tmd --exclude '<unknown>' --limit 2 | FileCheck %s
// JSON carries them ("functions"), and reading the JSON back shows them.
// RUN: %tracemalloc export %t2.tmd --format json | FileCheck %s --check-prefix=JSON
// RUN: %tracemalloc export %t2.tmd --format json | %tracemalloc traceback - --exclude '<unknown>' --limit 2 | FileCheck %s
// top and leaks name the most recent frame the same way.
// RUN: %tracemalloc top %t2.tmd --exclude '<unknown>' --limit 1 | FileCheck %s --check-prefix=TOP
// RUN: %tracemalloc leaks %t2.tmd --exclude '<unknown>' --limit 1 | FileCheck %s --check-prefix=LEAKS
// stats stays CPython's str(Statistic): no function names.
// RUN: %tracemalloc stats %t2.tmd --exclude '<unknown>' --key traceback --limit 1 | FileCheck %s --check-prefix=STATS
// With full debug info (-g) the names are the same.
// RUN: %clangxx_tm -O2 %s -o %tg && env TRACEMALLOC=5 TRACEMALLOC_DUMP=%tg.tmd %tg
// RUN: %tracemalloc traceback %tg.tmd --exclude '<unknown>' --limit 2 | FileCheck %s
// Plain -gline-tables-only has no linkage names: a function's own frames
// still get the qualified name (from its mangled symbol), inlined ones only
// the short DWARF name (tmcc adds -fdebug-info-for-profiling for that).
// RUN: %clangxx -fpass-plugin=%tm_plugin -gline-tables-only -I%tm_include -O2 %s %tm_ldflags -o %tl
// RUN: env TRACEMALLOC=5 TRACEMALLOC_DUMP=%tl.tmd %tl
// RUN: %tracemalloc traceback %tl.tmd --exclude '<unknown>' --limit 1 | FileCheck %s --check-prefix=MLT
#include <cstddef>

namespace app {
struct Node {
  int value;
  Node *next;
};

// Inlined at -O2 (always_inline: also at -O0): still a frame of its own.
__attribute__((always_inline)) inline Node *newNode(int value) {
  return new Node{value, nullptr}; // line 38
}

class Parser {
public:
  __attribute__((noinline)) Node *parseValue(int n);
  template <class T> __attribute__((noinline)) T *make() { return new T[4](); } // line 44
};

Node *Parser::parseValue(int n) {
  return newNode(n); // line 48
}
} // namespace app

app::Node *volatile keep[8];
double *volatile keep_d;

int main() {
  app::Parser p;
  for (int i = 0; i < 8; i++)
    keep[i] = p.parseValue(i); // line 58
  keep_d = p.make<double>(); // line 59
  return 0;
}

// CHECK: #1: size={{[0-9]+}} B, count=8, average={{[0-9]+}} B
// CHECK-NEXT:   File "{{.*}}cxx-function-names.cpp", line 38, in app::newNode(int)
// CHECK-NEXT:     return new Node{value, nullptr}; // line 38
// CHECK-NEXT:   File "{{.*}}cxx-function-names.cpp", line 48, in app::Parser::parseValue(int)
// CHECK-NEXT:     return newNode(n); // line 48
// CHECK-NEXT:   File "{{.*}}cxx-function-names.cpp", line 58, in main
// CHECK-NEXT:     keep[i] = p.parseValue(i); // line 58
// CHECK-NEXT: #2: size=32 B, count=1, average=32 B
// CHECK-NEXT:   File "{{.*}}cxx-function-names.cpp", line 44, in double* app::Parser::make<double>()
// CHECK-NEXT:     template <class T> __attribute__((noinline)) T *make() { return new T[4](); } // line 44
// CHECK-NEXT:   File "{{.*}}cxx-function-names.cpp", line 59, in main

// JSON-DAG: "functions": ["app::newNode(int)", "app::Parser::parseValue(int)", "main"]
// JSON-DAG: "functions": ["double* app::Parser::make<double>()", "main"]

// TOP: cxx-function-names.cpp:38: size={{[0-9]+}} B, count=8, average={{[0-9]+}} B
// TOP-NEXT:   File "{{.*}}cxx-function-names.cpp", line 38, in app::newNode(int)
// TOP-NEXT:     return new Node{value, nullptr}; // line 38

// LEAKS: #1: size=128 B, count=8, average=16 B
// LEAKS-NEXT:   File "{{.*}}cxx-function-names.cpp", line 38, in app::newNode(int)

// STATS: cxx-function-names.cpp:58: size={{[0-9]+}} B, count=8, average={{[0-9]+}} B
// STATS-NOT: newNode

// MLT: #1: size={{[0-9]+}} B, count=8, average={{[0-9]+}} B
// MLT-NEXT:   File "{{.*}}cxx-function-names.cpp", line 38, in newNode
// MLT-NEXT:     return new Node{value, nullptr}; // line 38
// MLT-NEXT:   File "{{.*}}cxx-function-names.cpp", line 48, in app::Parser::parseValue(int)
