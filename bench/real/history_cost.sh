#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/real/history_cost.sh BUILD_DIR [ROUNDS] [full|small] - issue 12 §5:
# what the history, the peak, threads and the timeline add to tracing, in
# wall time: bench/real/base_cost.sh against the base built with
# -DTM_BENCH_WITHOUT_HISTORY=ON (see that script).
exec "$(dirname "$0")/base_cost.sh" without-history "$@"
