/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_constant_count.h - TM_LIMIT1_COUNT_WALKS: whether a capture at
 * traceback limit 1 counts the frames below its site (total_nframe) by
 * reading the records (shadow_below.c and its path memo).
 *
 * Always 1, except in a runtime built with -DTM_BENCH_CONSTANT_COUNT=ON
 * (CMakeLists.txt): a measurement device, not a product mode, and wrong on
 * purpose. There tm_shadow_below_now (shadow_stack.h) answers a fixed
 * TM_BENCH_COUNT_BELOW without reading a record, so a limit-1 capture at a
 * site gets total_nframe TM_BENCH_COUNT_BELOW + the site's frames (one
 * that came with no site, from code not instrumented, still walks:
 * tm_shadow_below_top). It is the base that `bench/real/base_cost.sh
 * constant-count` compares this runtime with: the same checkout and ABI
 * with only the count's walk removed, so the difference is what the exact
 * count costs, and the base's ratio to plain is what any O(1) count could
 * at best give. Everything else (traces, sizes, current, peak, sites,
 * captures above limit 1) is right.
 */
#ifndef TM_BENCH_CONSTANT_COUNT_H
#define TM_BENCH_CONSTANT_COUNT_H

#ifdef TM_BENCH_CONSTANT_COUNT
#define TM_LIMIT1_COUNT_WALKS 0
#else
#define TM_LIMIT1_COUNT_WALKS 1
#endif
/* The frames below the site that the device answers (a typical depth). */
#define TM_BENCH_COUNT_BELOW 2u

#endif /* TM_BENCH_CONSTANT_COUNT_H */
