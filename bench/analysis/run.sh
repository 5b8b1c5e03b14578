#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Print the markdown section of the analysis benchmark.
#   bench/analysis/run.sh BUILD_DIR [bench_analysis options]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
shift
bin=$build/bench/analysis/bench_analysis
echo "## Analysis: statistics, compare_to, filters, formatting"
echo
"$bin" "$@"
