# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc/tmc++ as CMAKE_C_COMPILER/CMAKE_CXX_COMPILER of a plain CMake project
# (no find_package): CMake's compiler checks pass and the program is traced.
# The shared library links with -Wl,--no-undefined, and every command goes
# through a response file (CMAKE_NINJA_FORCE_RESPONSE_FILE, as for long
# command lines).
source "$TM_HOSTS/lib.sh"
mkdir src
cat >src/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(probe C CXX)
add_library(blocks SHARED blocks.cc)
add_executable(probe probe.c)
target_link_libraries(probe PRIVATE blocks)
EOF
cat >src/blocks.cc <<'EOF'
#include <string>
extern "C" void *blocks_make(void);
extern "C" void *blocks_make(void) {
  return new char[3000];
}
std::string blocks_name() { return std::string(100, 'x'); }
EOF
cat >src/probe.c <<'EOF'
#include <stdlib.h>
void *blocks_make(void);
void *keep, *keep2;
int main(void) {
  keep = malloc(700);
  keep2 = blocks_make();
  return 0;
}
EOF
cmake -S src -B b -G Ninja -DCMAKE_C_COMPILER="$TMCC" -DCMAKE_CXX_COMPILER="$TMCXX" \
  -DCMAKE_SHARED_LINKER_FLAGS=-Wl,--no-undefined -DCMAKE_NINJA_FORCE_RESPONSE_FILE=ON >cmake.out 2>&1 ||
  fail "cmake failed: $(cat cmake.out)"
expect_match "CMake sees clang" "The C compiler identification is Clang $TM_LLVM_MAJOR\." "$(cat cmake.out)"
cmake --build b >build.out 2>&1 || fail "build failed: $(cat build.out)"
expect_match "response files were used" 'RSP_FILE = CMakeFiles/blocks.rsp' "$(cat b/build.ninja)"
TRACEMALLOC=5 TRACEMALLOC_DUMP=probe.tmd ./b/probe
stats=$("$TM_CLI" stats probe.tmd | sed 's|^.*/||')
expect_match "traced line (program)" '^probe\.c:5: size=700 B, count=1, average=700 B$' "$stats"
expect_match "traced line (shared library)" '^blocks\.cc:4: size=3000 B, count=1, average=3000 B$' "$stats"
