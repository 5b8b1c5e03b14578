// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// bench/pass/std_containers.cpp - allocation-heavy C++ (vector and string
// growth, map nodes, make_shared) for the cost of system-header frames
// (docs/performance.md, "System-header frames folded"). Not run by run.sh:
// the commands are in the docs.
#include <map>
#include <memory>
#include <string>
#include <vector>

__attribute__((noinline)) int work(int n) {
  std::map<int, std::vector<std::string>> m;
  int total = 0;
  for (int i = 0; i < n; i++) {
    auto &v = m[i % 64];
    v.push_back(std::string(40, char('a' + i % 26)));
    auto p = std::make_shared<int>(i);
    total += *p + (int)v.size();
  }
  return total;
}

int main() {
  int t = 0;
  for (int r = 0; r < 20; r++)
    t += work(2000);
  return t == 42;
}
