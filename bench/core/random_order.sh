#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Why random order grows: what tracing adds to a malloc+free at 1 K and at
# large live sets in random order, next to what 8 bytes per block or a
# known number of register-only instructions per call add to the same loop
# with no tracer at all. Prints a markdown section on stdout.
#
#   bench/core/random_order.sh BUILD_DIR [ROUNDS] [LIVE...]
#
# The shim rows run the plain loop (bench_core_live_plain: no runtime
# linked in) with bench/shim/pad_shim.so preloaded: PAD_SHIM_BYTES=8 is the
# footprint of an 8-byte trailer alone, PAD_SHIM_WORK=N is N register-only
# instructions at each malloc and free that depend on the block's own word
# (glibc's chunk header), as a tracer's bookkeeping depends on the state it
# keeps per block, or with PAD_SHIM_WORK_ON=pointer on its address alone;
# no table, no bitmap, no traceback. Every row is the
# median over ROUNDS (default 3) of the variant minus plain run back to
# back in the same round; each run is the best of its repetitions (200 at
# 1 K, 3 up to 1 M, 2 beyond). Builds pad_shim.so with CC (default cc).
set -euo pipefail
build=${1:?usage: bench/core/random_order.sh BUILD_DIR [ROUNDS] [LIVE...]}
rounds=${2:-3}
shift $(($# >= 2 ? 2 : 1))
lives=("$@")
((${#lives[@]})) || lives=(1000 1000000 10000000)
# shellcheck source=bench/core/live_setup.sh
. "$(dirname "$0")/live_setup.sh"
live_setup "$build" pad_shim # sets bin and tmp

# ns per malloc+free of one run: MODE LIVE [PAD WORK [ON]] (a shim run when
# PAD is given).
run() {
  local mode=$1 live=$2 reps
  reps=$(live_reps "$live")
  if (($# > 2)); then
    PAD_SHIM_BYTES=$3 PAD_SHIM_WORK=$4 PAD_SHIM_WORK_ON=${5:-block} \
      LD_PRELOAD=$tmp/pad_shim.so \
      "$bin/bench_core_live_plain" plain "$live" random "$reps" | awk '{ print $4 }'
  else
    "$bin/bench_core_live" "$mode" "$live" random "$reps" | awk '{ print $4 }'
  fi
}

# name:command-args pairs; each is timed with its own plain run before it.
variants=("pad 8:shim 8 0" "work 32:shim 0 32 block" "work 128:shim 0 128 block"
  "work 32 on the pointer:shim 0 32 pointer" "work 128 on the pointer:shim 0 128 pointer"
  "pad 8 + work 32:shim 8 32 block" "tracer, nframe=1:tm 1")

echo "### Why random order grows"
echo
echo "Added ns per malloc+free in random order over plain in the same loop,"
echo "median (range) of $rounds rounds. *pad 8*: every block 8 bytes larger,"
echo "nothing else (an 8-byte trailer's footprint). *work N*: N register-only"
echo "instructions at each malloc and free (plus the shim's loop and set-up:"
echo "about 45 a call for 32, 160 for 128), which depend on the block's chunk"
echo "header word and touch no memory; *on the pointer*: the same work on the"
echo "block's address alone, which need not wait for its line. The last row"
echo "is the tracer itself (bench_core_live)."
echo
header="| variant |"
sep="|---|"
for live in "${lives[@]}"; do
  header+=" $live live |"
  sep+="---:|"
done
echo "$header growth |"
echo "$sep---:|"
for v in "${variants[@]}"; do
  name=${v%%:*} spec=${v#*:}
  row="| $name |"
  first="" last=""
  for live in "${lives[@]}"; do
    adds=()
    for ((r = 0; r < rounds; r++)); do
      # shellcheck disable=SC2086 # spec is "shim PAD WORK ON" or "tm NFRAME"
      set -- $spec
      if [[ $1 == shim ]]; then
        p=$(run plain "$live" 0 0)
        x=$(run plain "$live" "$2" "$3" "${4:-block}")
      else
        p=$(run plain "$live")
        x=$(run "$2" "$live")
      fi
      adds+=("$(awk -v a="$x" -v b="$p" 'BEGIN { printf "%.1f", a - b }')")
    done
    # "median (min..max)"
    cell=$(printf '%s\n' "${adds[@]}" | sort -g | awk '
      { v[NR] = $1 }
      END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f (%.1f..%.1f)", m, v[1], v[NR] }')
    med=${cell%% *}
    row+=" $cell |"
    [[ -z $first ]] && first=$med
    last=$med
  done
  # Below 1 ns at the smallest live set the ratio means nothing.
  growth=$(awk -v a="$last" -v b="$first" 'BEGIN { if (b >= 1) printf "%.1fx", a / b; else print "-" }')
  echo "$row $growth |"
done
echo
echo "*growth*: the added cost at the largest live set over the added cost at"
echo "the smallest (issue 14's target: at most 1.5x)."
