#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Print the markdown section of the dump/load benchmark.
#   bench/io/run.sh BUILD_DIR [bench_io options]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
shift
bin=$build/bench/io/bench_io
echo "## Dump and load"
echo
"$bin" "$@"
