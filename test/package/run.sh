#!/usr/bin/env bash
# Install this build into a fresh prefix, then build and test the consumer
# project against it with ctest --build-and-test.
#   run.sh BUILD_DIR WORK_DIR C_COMPILER
set -euo pipefail
build=$1 work=$2 cc=$3
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
ctest --build-and-test "$src/consumer" "$work/consumer" \
  --build-generator Ninja \
  --build-options -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$work/prefix" \
  --test-command ctest --output-on-failure
