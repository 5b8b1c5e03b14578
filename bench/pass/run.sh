#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/pass/run.sh [BUILD_DIR] - cost of the shadow stack when NOT tracing:
# bench.c built with plain clang-N -O2 and with tmcc -O2 (same clang), run
# side by side in one go; ratios per kernel (target <= 1.10x), then
# instructions per instrumented call from callgrind (exact and stable, unlike
# wall time). Prints a markdown section on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${TM_BUILD_DIR:-/tmp/pass-build-19}}
tmcc=$build/bin/tmcc
[ -x "$tmcc" ] || { echo "bench/pass: no $tmcc (build the project first)" >&2; exit 1; }
# shellcheck disable=SC2016 # \$ is a literal dollar for sed
major=$(sed -n 's/^major=\${TMCC_LLVM:-\([0-9]*\)}$/\1/p' "$tmcc")
clang=clang-$major
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# These kernels run a dozen instructions per call, so where the linker
# happens to place a function or a loop moves its time by 10-20% with the
# very same code (the same fib_pure code in two binaries: 4.67 vs 4.82 ms),
# in either direction. One layout is one draw: each pair is built in
# several layouts (function and loop alignments) and the median ratio over
# layouts is the figure, with its range. Callgrind counts are exact and
# use the default layout.
layouts=("" "-falign-functions=32" "-falign-functions=64 -falign-loops=32"
  "-falign-functions=64 -falign-loops=64" "-falign-functions=128 -falign-loops=16")
nl=${#layouts[@]}
# shellcheck disable=SC2086 # a layout is several flags, or none
for i in "${!layouts[@]}"; do
  "$clang" -O2 ${layouts[$i]} "$here/bench.c" -o "$work/plain.$i"
  "$tmcc" -O2 ${layouts[$i]} "$here/bench.c" -o "$work/tm.$i"
  "$clang" -O2 ${layouts[$i]} "$here/floor.c" "$here/floor_tls.c" -o "$work/floor.$i"
done
cp "$work/plain.0" "$work/plain"
# For callgrind, the same code with the private traced copies (NAME.tm_traced,
# no symbol) named in the symbol table: -msave-temp-labels keeps them as
# local symbols .LNAME.tm_traced, so --toggle-collect can see them.
"$tmcc" -O2 -Xclang -msave-temp-labels "$here/bench.c" -o "$work/tm"
cp "$work/floor.0" "$work/floor"

# best[binary/kernel] = best time in ns. Rounds interleave every binary so
# that machine noise hits all alike; each run is already a best of 7.
declare -A best
time_binary() { # NAME: one run, keep each kernel's best
  local name ns
  while read -r name ns _; do
    local key="$1/$name" cur=${best[$1/$name]:-}
    if [ -z "$cur" ] || [ "$ns" -lt "$cur" ]; then best[$key]=$ns; fi
  done < <(env -u TRACEMALLOC "$work/$1")
}
for _ in 1 2 3; do
  for ((i = 0; i < nl; i++)); do
    time_binary "plain.$i"
    time_binary "tm.$i"
    time_binary "floor.$i"
  done
done

# "median (min..max)" of the ratios best[NUM.i/KNUM] / best[DEN.i/KDEN].
ratio_over_layouts() { # NUM KNUM DEN KDEN
  for ((i = 0; i < nl; i++)); do
    echo "${best[$1.$i/$2]} ${best[$3.$i/$4]}"
  done | awk '{ printf "%.6f\n", $1 / $2 }' | sort -g |
    awk '{ r[NR] = $1 }
      END { n = NR; m = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
            printf "%.3fx (%.3f..%.3f)", m, r[1], r[n] }'
}
# Median over layouts of best[VARIANT.i/KERNEL], in ms.
ms_over_layouts() { # VARIANT KERNEL
  for ((i = 0; i < nl; i++)); do echo "${best[$1.$i/$2]}"; done |
    sort -n | awk '{ t[NR] = $1 } END { n = NR; m = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2; printf "%.2f", m / 1e6 }'
}

echo "## Pass: shadow-stack cost, not tracing (LLVM $major, -O2)"
echo
echo "$(uname -m), $(nproc) CPUs; tmcc = clang-$major -O2 + libtmpass.so + libtracemalloc.a, TRACEMALLOC unset."
echo "Each kernel is timed in $nl code layouts (default, then function/loop"
echo "alignments of 32/-, 64/32, 64/64, 128/16 bytes, the same on both sides):"
echo "with a dozen instructions per call, code placement alone moves these"
echo "kernels by 10-20% either way. Per layout: best of 3 interleaved rounds"
echo "of best-of-7 runs. The ratio is the median over layouts, with the range."
echo "Wall times on a shared machine are noisy; the callgrind counts below are exact."
echo "The qsort kernel is also sensitive to heap layout: glibc's merge"
echo "buffer and the array can alias, and linking one more object (even an empty"
echo "constructor) into the *plain* build moves its time by up to 1.5x with the"
echo "same instructions. For qsort, read the instruction count."
echo
echo "| kernel | plain (ms, median) | tmcc (ms, median) | ratio: median (range over layouts) |"
echo "|---|---:|---:|---:|"
for k in fib_pure fib_alloc tree_walk qsort; do
  echo "| $k | $(ms_over_layouts plain "$k") | $(ms_over_layouts tm "$k") | $(ratio_over_layouts tm "$k" plain "$k") |"
done

if command -v valgrind >/dev/null 2>&1; then
  echo
  echo "Instructions (Ir) inside each kernel, callees included (callgrind --toggle-collect, small inputs):"
  echo
  echo "The last two columns: the same tmcc binary run with TRACEMALLOC=25 (tracing,"
  echo "the kernels' allocation never taken: the cost of the traced copies' frames)."
  echo
  echo "| kernel | calls | plain Ir | tmcc Ir | extra Ir per call | tmcc Ir, tracing | extra Ir per call, tracing |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for v in plain tm tm.traced; do
    # Valgrind 3.19 cannot read clang's DWARF 5: keep symbols, drop debug info.
    [ "$v" = tm.traced ] || objcopy --strip-debug "$work/$v" "$work/$v.nodebug"
    bin=$work/$v.nodebug env=(env -u TRACEMALLOC)
    [ "$v" = tm.traced ] && bin=$work/tm.nodebug env=(env TRACEMALLOC=25)
    # Only the kernel functions: --toggle-collect restricts the count, to the
    # public function (the untraced body, which tail-calls the copy while
    # tracing) and its traced copy (.LNAME.tm_traced, see above).
    for k in fib_pure fib_alloc walk sort_kernel; do
      "${env[@]}" valgrind --tool=callgrind --callgrind-out-file="$work/cg.$v.$k" \
        --toggle-collect="$k*" --toggle-collect=".L$k.tm_traced" \
        "$bin" 0 >"$work/out.$v" 2>/dev/null
    done
  done
  for k in fib_pure fib_alloc walk sort_kernel; do
    name=$k
    case $k in walk) name=tree_walk ;; sort_kernel) name=qsort ;; esac
    n=$(awk -v k="$name" '$1 == k { print $3 }' "$work/out.plain")
    ip=$(sed -n 's/^summary: //p' "$work/cg.plain.$k")
    it=$(sed -n 's/^summary: //p' "$work/cg.tm.$k")
    ic=$(sed -n 's/^summary: //p' "$work/cg.tm.traced.$k")
    awk -v k="$name" -v n="$n" -v ip="$ip" -v it="$it" -v ic="$ic" \
      'BEGIN { printf "| %s | %d | %d | %d | %.2f | %d | %.2f |\n", k, n, ip, it, (it-ip)/n, ic, (ic-ip)/n }'
  done
fi

# The design's own minimum (floor.c): the kernels with only the depth save /
# bump / restore, and with that plus the slot store ABI v2 requires, by
# plain clang, timed above with the same layouts.
echo
echo "Design floor (bench/pass/floor.c, plain clang-$major -O2): the same kernels,"
echo "hand-written, with only the depth (load the thread's depth, store depth + 1,"
echo "store it back at exit), and with everything ABI v2 requires of a frame"
echo "(the depth, and the site stored into the frame's ring slot once per frame)."
echo "Both push at entry. The gap between the slot column and tmcc is what the"
echo "pass's code generation costs beyond the design. Same layouts and rounds"
echo "as above; each ratio is against floor.c's own plain kernel."
echo
echo "| kernel | plain (ms, median) | depth only: ratio | depth + slot: ratio |"
echo "|---|---:|---:|---:|"
for k in fib walk; do
  echo "| $k | $(ms_over_layouts floor "${k}_plain") | $(ratio_over_layouts floor "${k}_depth" floor "${k}_plain") | $(ratio_over_layouts floor "${k}_slot" floor "${k}_plain") |"
done

if command -v valgrind >/dev/null 2>&1; then
  objcopy --strip-debug "$work/floor" "$work/floor.nodebug"
  for f in fib_plain fib_depth fib_slot walk_plain walk_depth walk_slot; do
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.floor.$f" \
      --toggle-collect="$f" "$work/floor.nodebug" 0 >"$work/out.floor" 2>/dev/null
  done
  echo
  echo "Extra instructions per call over plain (callgrind, same small inputs as above):"
  echo
  echo "| kernel | depth only | depth + slot (design floor) | tmcc |"
  echo "|---|---:|---:|---:|"
  for k in fib walk; do
    n=$(awk -v k="${k}_plain" '$1 == k { print $3 }' "$work/out.floor")
    ip=$(sed -n 's/^summary: //p' "$work/cg.floor.${k}_plain")
    id=$(sed -n 's/^summary: //p' "$work/cg.floor.${k}_depth")
    is=$(sed -n 's/^summary: //p' "$work/cg.floor.${k}_slot")
    case $k in fib) bk=fib_alloc ;; walk) bk=walk ;; esac
    bp=$(sed -n 's/^summary: //p' "$work/cg.plain.$bk")
    bt=$(sed -n 's/^summary: //p' "$work/cg.tm.$bk")
    awk -v k="$k" -v n="$n" -v ip="$ip" -v id="$id" -v is="$is" -v bp="$bp" -v bt="$bt" \
      'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", k, (id-ip)/n, (is-ip)/n, (bt-bp)/n }'
  done
fi

# The traced-frame prototypes (proto.c, issue #15): each candidate scheme
# written by hand into the same kernels, plain clang -O2; extra instructions
# per call over the frameless kernel (callgrind, exact). The wall ratios
# come from proto's own interleaved best-of-7 rounds, one layout: read them
# only on a quiet machine.
"$clang" -O2 -fno-omit-frame-pointer -c "$here/proto_fp.c" -o "$work/proto_fp.o"
"$clang" -O2 "$here/proto.c" "$here/proto_tls.c" "$work/proto_fp.o" -o "$work/proto"
"$work/proto" >"$work/proto.wall"
echo
echo "Traced-frame prototypes (bench/pass/proto.c, plain clang-$major -O2): extra"
echo "instructions per call over the kernel with no frame (callgrind, small"
echo "inputs), and the wall ratio of one interleaved run (noisy). *le* = the"
echo "thread-locals reached with the local-exec model (\`%fs:sym@tpoff\`)."
echo
echo "| scheme | fib: extra Ir/call | fib: wall | walk: extra Ir/call | walk: wall | tree: extra Ir/call | tree: wall |"
echo "|---|---:|---:|---:|---:|---:|---:|"
if command -v valgrind >/dev/null 2>&1; then
  for k in fib walk tree; do
    for v in plain v3 v3le dec decle list listle listd ctx ctxle ptrle local fp fpsite; do
      grep -q "^${k}_$v " "$work/proto.wall" || continue
      valgrind --tool=callgrind --callgrind-out-file="$work/cg.proto.$k.$v" \
        --toggle-collect="${k}_$v" "$work/proto" 0 >"$work/out.proto" 2>/dev/null
    done
  done
fi
cell() { # KERNEL VARIANT: "extra Ir | wall ratio", or "- | -"
  local w0 w1 n ip iv
  w1=$(awk -v k="$1_$2" '$1 == k { print $2 }' "$work/proto.wall")
  [ -n "$w1" ] || { printf -- '- | -'; return; }
  w0=$(awk -v k="$1_plain" '$1 == k { print $2 }' "$work/proto.wall")
  if [ -f "$work/cg.proto.$1.$2" ]; then
    n=$(awk -v k="$1_plain" '$1 == k { print $3 }' "$work/out.proto")
    ip=$(sed -n 's/^summary: //p' "$work/cg.proto.$1.plain")
    iv=$(sed -n 's/^summary: //p' "$work/cg.proto.$1.$2")
    awk -v n="$n" -v ip="$ip" -v iv="$iv" -v w0="$w0" -v w1="$w1" \
      'BEGIN { printf "%.2f | %.3fx", (iv - ip) / n, w1 / w0 }'
  else
    awk -v w0="$w0" -v w1="$w1" 'BEGIN { printf "- | %.3fx", w1 / w0 }'
  fi
}
for v in v3 v3le dec decle list listle listd ctx ctxle ptrle local fp fpsite; do
  echo "| $v | $(cell fib $v) | $(cell walk $v) | $(cell tree $v) |"
done
