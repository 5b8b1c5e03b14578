#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Install this build into a fresh prefix, then build and test a consumer
# project against it.
#   run.sh BUILD_DIR WORK_DIR C_COMPILER CXX_COMPILER SCENARIO
# SCENARIO:
#   consumer        find_package + tracemalloc_instrument, compiled by clang
#   consumer_tmcc   the same, compiled by the installed tmcc (tmcc adds the
#                   runtime; tracemalloc_instrument must not add it again)
#   wrong_compiler  the same with gcc: configuring fails and names the clang
#   subproject      FetchContent of the source tree with -DTRACEMALLOC=ON
#   pkgconfig       a Makefile project using tracemalloc.pc
set -euo pipefail
build=$1 work=$2 cc=$3 cxx=$4 scenario=$5
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
major=$(sed -n 's/^llvm_major=//p' "$prefix"/lib*/pkgconfig/tracemalloc.pc)

build_and_test() {
  ctest --build-and-test "$1" "$work/build" --build-generator Ninja \
    --build-options "${@:2}" --test-command ctest --output-on-failure
}

case $scenario in
  consumer)
    build_and_test "$src/consumer" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix"
    # As tmcc: line tables with the linkage names that name C++ functions
    # in full, in a configuration without -g (here: no build type).
    for flag in -gline-tables-only -fdebug-info-for-profiling; do
      grep -q -- "$flag" "$work/build/build.ninja" ||
        { echo "FAIL: a Release build is compiled without $flag"; exit 1; }
      echo "ok: compiled with $flag"
    done ;;
  consumer_tmcc)
    build_and_test "$src/consumer" -DCMAKE_C_COMPILER="$prefix/bin/tmcc" \
      -DCMAKE_PREFIX_PATH="$prefix"
    # One runtime: the program defines it once (a second copy would not link:
    # multiple definition of tm_version_number).
    count=$(nm "$work/build/consumer" | grep -c ' T tm_version_number$')
    [[ $count == 1 ]] || { echo "FAIL: tm_version_number defined $count times"; exit 1; } ;;
  wrong_compiler)
    gcc=$(command -v gcc) || { echo "FAIL: gcc is not installed"; exit 1; }
    rc=0
    out=$(cmake -S "$src/consumer" -B "$work/build" -G Ninja -DCMAKE_C_COMPILER="$gcc" \
      -DCMAKE_PREFIX_PATH="$prefix" 2>&1) || rc=$?
    [[ $rc != 0 ]] || { echo "FAIL: configuring with gcc succeeded"; exit 1; }
    flat=$(tr -s '\n ' '  ' <<<"$out")
    want="needs clang-$major (/usr/lib/llvm-$major/bin/clang): configure with -DCMAKE_C_COMPILER=clang-$major -DCMAKE_CXX_COMPILER=clang++-$major, or with tracemalloc's tmcc and tmc++"
    grep -qF -- "$want" <<<"$flat" || { echo "FAIL: no [$want] in:"; echo "$out"; exit 1; }
    echo "ok: $want" ;;
  subproject)
    build_and_test "$src/subproject" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
      -DTRACEMALLOC=ON -DTRACEMALLOC_SOURCE_DIR="$src/../.." ;;
  pkgconfig)
    cp "$src/pkgconfig/Makefile" "$work/"
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(echo "$prefix"/lib*/pkgconfig)
    make -C "$work" SRC="$src/consumer"
    for prog in consumer consumer_static; do
      out=$(TRACEMALLOC=5 "$work/$prog")
      for want in "main.c:10: size=4096 B, count=1, average=4096 B" \
                  "plugin.c:6: size=8192 B, count=1, average=8192 B"; do
        grep -qF -- "$want" <<<"$out" || { echo "FAIL: $prog: no [$want] in:"; echo "$out"; exit 1; }
        echo "ok: $prog: $want"
      done
    done ;;
  *) echo "run.sh: unknown scenario $scenario" >&2; exit 2 ;;
esac
