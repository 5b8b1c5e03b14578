#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/real/whole.sh BUILD_DIR [PAIRS] [full|small] - whole programs, the
# benchmarks issues #14 (large live sets) and #15 (call-heavy code) are
# judged by. Prints a markdown section ("Whole programs").
#
# Programs: Lua 5.4 running bench/real/alloc.lua; libxml2's xmllint building
# the tree of a generated document (>= 1 M live blocks); SQLite speedtest1
# --memdb --size 80 --lookaside 0 0 (all three from Debian bookworm's source
# packages, fetched and built by test/real/fetch-build.sh); and the
# synthetic programs in bench/workloads (a 2 M-node tree freed in allocation
# and in random order, a 2- and 4-thread malloc/free stress with cross-thread
# frees, a call-heavy recursion).
#
# TM_BENCH_VARIANTS="off t1 t25 asan" times only the variants named.
#
# Every variant is timed against plain clang-N -O2 -g in PAIRS (default 5)
# pairs: the plain run and the variant run back to back, one ratio per pair;
# the table shows the median ratio and (min..max) over the pairs. Rounds
# interleave programs and variants; odd rounds run plain first, even rounds
# the variant first. Variants:
#   tm off     tmcc -O2 -g, TRACEMALLOC unset (shadow stack only)
#   tm 1       the same binary, TRACEMALLOC=1
#   tm 25      the same binary, TRACEMALLOC=25
#   shim       the plain binary with LD_PRELOAD=count_shim.so (bench/shim:
#              one lock and one hash table access per operation, no traceback)
#   heaptrack  the plain binary under heaptrack (its output to a temp file)
#   ASan       clang -fsanitize=address -O2 -g, ASAN_OPTIONS=detect_leaks=0
#   MemProf    clang -fmemory-profile -O2 -g (profile to a temp directory)
#   pad 0/8/16 the plain binary with LD_PRELOAD=pad_shim.so (bench/shim): every
#              block 0, 8 or 16 bytes larger, nothing else traced: what a
#              header (16) or a trailer in the block's slack (8) costs by its
#              size alone. Timed only when TM_BENCH_VARIANTS names them.
# A tool that is missing or does not work is skipped with the reason printed.
# Every variant's output is first checked against plain's (small inputs).
# One more run each: the shim's counts (allocations, live blocks at peak),
# and peak RSS (getrusage of the child, via /usr/bin/time when installed)
# of plain, tm 1 and tm 25.
#
# `small` runs tiny inputs: it checks the harness, its figures mean nothing.
# Installs nothing: scripts/install-deps.sh --bench installs heaptrack and time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: bench/real/whole.sh BUILD_DIR [PAIRS] [full|small]}" && pwd)
pairs=${2:-5}
size=${3:-full}
case $size in full|small) ;; *) echo "bench/real/whole.sh: size must be full or small" >&2; exit 2 ;; esac
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "bench/real/whole.sh: PAIRS must be a positive number" >&2; exit 2; }
tmcc=$build/bin/tmcc
# shellcheck disable=SC2016 # \$ is a literal dollar for sed
major=$(sed -n 's/^major=\${TMCC_LLVM:-\([0-9]*\)}$/\1/p' "$tmcc" 2>/dev/null || true)
clang=clang-${major:-19}
work=$build/test-real-work   # sources and builds, shared with test/real
out=$build/bench-whole-work  # this benchmark's binaries, inputs and runs
title="## Whole programs"
skip() { printf '%s\n\nSkipped: %s\n' "$title" "$*"; exit 0; }
fail() { echo "bench/real/whole.sh: $*" >&2; exit 1; }
[ -x "$tmcc" ] || fail "no $tmcc (build the project first)"
command -v "$clang" >/dev/null || skip "$clang is not installed"
cflags="-O2 -g"
read -r -a cfl <<<"$cflags"
started=$(date +%s)

rm -rf "$out" && mkdir -p "$out/bin" "$out/tmp"
cd "$out"

# --- Which tools work --------------------------------------------------------
declare -A why_not   # variant -> reason it is skipped
probe=$out/probe.c
printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char *p = malloc(10); p[0] = 1; printf("%%d\\n", p[0]); free(p); return 0; }\n' >"$probe"
try_cc() { # name cc... : compiles and runs the probe; prints why not, or nothing
  local name=$1; shift
  if ! "$@" "${cfl[@]}" "$probe" -o "$out/probe-$name" >"$out/probe-$name.log" 2>&1; then
    echo "\`$*\` cannot build a program: $(grep -m1 -i error "$out/probe-$name.log" || tail -1 "$out/probe-$name.log")"
  elif ! ASAN_OPTIONS=detect_leaks=0 "$out/probe-$name" >"$out/probe-$name.log" 2>&1; then
    echo "a program built with \`$*\` does not run: $(tail -1 "$out/probe-$name.log")"
  fi
}
mp_dir=$work/memprof-profiles   # baked into the MemProf builds (cached)
mkdir -p "$mp_dir"
r=$(try_cc asan "$clang" -fsanitize=address); [ -z "$r" ] || why_not[asan]=$r
r=$(try_cc memprof "$clang" "-fmemory-profile=$mp_dir"); [ -z "$r" ] || why_not[memprof]=$r
rm -f "$mp_dir"/memprof.profraw.*
if ! command -v heaptrack >/dev/null; then
  why_not[heaptrack]="heaptrack is not installed (scripts/install-deps.sh --bench)"
fi
build_shim() { # name variants...: bench/shim/NAME.c -> $out/NAME.so, else the variants skipped
  local name=$1 v; shift
  "$clang" -O2 -shared -fPIC -o "$out/$name.so" "$root/bench/shim/$name.c" >"$out/$name.log" 2>&1 && return
  for v in "$@"; do why_not[$v]="bench/shim/$name.c does not build: $(tail -1 "$out/$name.log")"; done
}
shim=$out/count_shim.so
padshim=$out/pad_shim.so
build_shim count_shim shim
build_shim pad_shim pad0 pad8 pad16
rss_cmd=()
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
  rss_cmd=(/usr/bin/time -f %M -o "$out/tmp/rss")
fi

# Build flavours: plain, tm, asan, memprof. Real programs are cached in
# $work under "bench-" names (test/real's own builds use other flags).
declare -A fcc=([plain]="$clang" [tm]="$tmcc" [asan]="$clang -fsanitize=address"
  [memprof]="$clang -fmemory-profile=$mp_dir")
flavours=(plain tm)
[ -z "${why_not[asan]:-}" ] && flavours+=(asan)
[ -z "${why_not[memprof]:-}" ] && flavours+=(memprof)

# shellcheck source=test/real/fetch-build.sh
. "$root/test/real/fetch-build.sh"
# The builds run tools built with CC (SQLite's lemon): under ASan their
# leaks at exit would fail the build.
export ASAN_OPTIONS=detect_leaks=0
real_fetch
real_fetch_libxml2
for f in "${flavours[@]}"; do
  real_build_lua "bench-$f" "${fcc[$f]}" "$cflags"
  real_build_sqlite "bench-$f" "${fcc[$f]}" "$cflags" speedtest1
  real_build_libxml2 "bench-$f" "${fcc[$f]}" "$cflags"
  mkdir -p "$out/bin/$f"
  for w in tree stress_threads recursion; do
    # shellcheck disable=SC2086 # fcc holds a command and its flags
    ${fcc[$f]} "${cfl[@]}" -pthread -o "$out/bin/$f/$w" "$root/bench/workloads/$w.c" \
      >"$out/bin/$f/$w.log" 2>&1 || fail "bench/workloads/$w.c ($f) did not build: see $out/bin/$f/$w.log"
  done
done
cp "$here/alloc.lua" "$out/"

# xmllint's input: ITEMS elements with an attribute, a text child and a
# nested element each (about 6 live blocks per item in the tree).
gen_xml() { # items file
  awk -v n="$1" 'BEGIN {
    print "<?xml version=\"1.0\"?>"; print "<catalog>"
    for (i = 0; i < n; i++)
      printf "<item id=\"i%d\" kind=\"k%d\"><name>n%d</name>text %d</item>\n", i, i % 17, i * 7, i
    print "</catalog>" }' >"$2"
}

# --- Programs ----------------------------------------------------------------
# cmd: @B@ = the flavour's bin directory, @L@ = its Lua, @S@ = its
# speedtest1, @X@ = its xmllint; @N@ = the size.
names=(lua xmllint tree-alloc tree-random speedtest1 stress-2 stress-4 recursion)
declare -A cmd full small
cmd[lua]="@L@ alloc.lua @N@";                                     full[lua]=8;             small[lua]=1
cmd[xmllint]="@X@ --noout doc-@N@.xml";                           full[xmllint]=220000;    small[xmllint]=2000
cmd[tree-alloc]="@B@/tree @N@ alloc";                             full[tree-alloc]=2000000; small[tree-alloc]=20000
cmd[tree-random]="@B@/tree @N@ random";                           full[tree-random]=2000000; small[tree-random]=20000
cmd[speedtest1]="@S@ --memdb --size @N@ --lookaside 0 0";        full[speedtest1]=80;     small[speedtest1]=4
cmd[stress-2]="@B@/stress_threads 2 @N@";                         full[stress-2]=10000000; small[stress-2]=100000
cmd[stress-4]="@B@/stress_threads 4 @N@";                         full[stress-4]=10000000; small[stress-4]=100000
cmd[recursion]="@B@/recursion @N@";                               full[recursion]="28 20000"; small[recursion]="18 200"
# TM_BENCH_PROGRAMS="xmllint speedtest1": time only these programs (a closer
# look, with more pairs, at the ones near their limit; the targets table
# then lists only theirs).
timed() { [ -z "${TM_BENCH_PROGRAMS:-}" ] || [[ " $TM_BENCH_PROGRAMS " == *" $1 "* ]]; }
for w in ${TM_BENCH_PROGRAMS:-}; do
  [[ " ${names[*]} " == *" $w "* ]] || fail "TM_BENCH_PROGRAMS: no program named '$w' (one of: ${names[*]})"
done
keep=()
for p in "${names[@]}"; do timed "$p" && keep+=("$p"); done
names=("${keep[@]}")
for n in "${full[xmllint]}" "${small[xmllint]}"; do gen_xml "$n" "doc-$n.xml"; done
if [ "$size" = small ]; then
  for p in "${names[@]}"; do full[$p]=${small[$p]}; done
fi

variants=(off t1 t25 shim heaptrack asan memprof pad0 pad8 pad16)
optin=" pad0 pad8 pad16 " # timed only when TM_BENCH_VARIANTS names them
declare -A vname=([plain]=plain [off]="tm off" [t1]="tm 1" [t25]="tm 25" [shim]="shim"
  [heaptrack]=heaptrack [asan]=ASan [memprof]=MemProf [pad0]="pad 0" [pad8]="pad 8"
  [pad16]="pad 16")
declare -A vflavour=([plain]=plain [off]=tm [t1]=tm [t25]=tm [shim]=plain
  [heaptrack]=plain [asan]=asan [memprof]=memprof [pad0]=plain [pad8]=plain [pad16]=plain)
active=()
# TM_BENCH_VARIANTS="off t1 t25 ...": time only these (heaptrack alone runs
# 10-60x plain); the shim still counts the allocations.
selected() {
  if [[ $optin == *" $1 "* ]]; then [[ " ${TM_BENCH_VARIANTS:-} " == *" $1 "* ]]; return; fi
  [ -z "${TM_BENCH_VARIANTS:-}" ] || [[ " $TM_BENCH_VARIANTS " == *" $1 "* ]]
}
for v in "${variants[@]}"; do [ -z "${why_not[$v]:-}" ] && selected "$v" && active+=("$v"); done

argv_of() { # variant program size -> ARGV (env(1) and tool prefix included)
  local f=${vflavour[$1]} c
  c=${cmd[$2]//@B@/$out/bin/$f}
  c=${c//@L@/$work/lua-bench-$f/src/lua}
  c=${c//@S@/$work/sqlite-bench-$f/speedtest1}
  c=${c//@X@/$work/libxml2-bench-$f/xmllint}
  local -a prog
  read -r -a prog <<<"${c//@N@/$3}"
  ARGV=(env -u TRACEMALLOC -u TRACEMALLOC_DUMP -u LD_PRELOAD)
  case $1 in
    t1) ARGV+=(TRACEMALLOC=1) ;;
    t25) ARGV+=(TRACEMALLOC=25) ;;
    shim) ARGV+=(LD_PRELOAD="$shim") ;;
    pad0|pad8|pad16) ARGV+=(LD_PRELOAD="$padshim" PAD_SHIM_BYTES="${1#pad}") ;;
    heaptrack) ARGV+=(heaptrack -o "$out/tmp/heaptrack") ;;
    asan) ARGV+=(ASAN_OPTIONS=detect_leaks=0) ;;
  esac
  ARGV+=("${prog[@]}")
}
cleanup() { rm -f "$out"/tmp/heaptrack* "$mp_dir"/memprof.profraw.*; }
# The lines heaptrack adds to the program's stdout.
strip_tools() {
  grep -v -e '^heaptrack output will be written to' -e '^/usr/lib/heaptrack/' \
    -e '^starting application, this might take' -e '^Heaptrack finished!' \
    -e '^  heaptrack --analyze' -e '^$' || true
}

# --- Same output in every variant (small inputs; speedtest1's timings out) ---
for p in "${names[@]}"; do
  for v in plain "${active[@]}"; do
    argv_of "$v" "$p" "${small[$p]}"
    "${ARGV[@]}" 2>"$p.$v.err" | strip_tools | sed -E 's/[0-9]+\.[0-9]+s$//' >"$p.$v.out" ||
      fail "$p ($v) failed: $(tail -3 "$p.$v.err")"
    cleanup
    cmp -s "$p.plain.out" "$p.$v.out" || fail "$p ($v): output differs from plain (see $out/$p.*.out)"
  done
done

# --- Paired wall-time runs -----------------------------------------------------
run_ns() { # variant program -> T (ns)
  local t0
  argv_of "$1" "$2" "${full[$2]}"
  t0=$(date +%s%N)
  "${ARGV[@]}" >/dev/null 2>"$out/tmp/err" || fail "$2 ($1) failed: $(tail -3 "$out/tmp/err")"
  T=$(( $(date +%s%N) - t0 ))
  cleanup
}
declare -A ratios plain_ns
for ((r = 1; r <= pairs; r++)); do
  for p in "${names[@]}"; do
    for v in "${active[@]}"; do
      # Which of the two runs first alternates with the round, so that a
      # warm-up or a drift of the machine does not favour one side.
      if ((r % 2)); then
        run_ns plain "$p"; tp=$T; run_ns "$v" "$p"
      else
        run_ns "$v" "$p"; tv=$T; run_ns plain "$p"; tp=$T; T=$tv
      fi
      ratios[$p.$v]+="$(awk -v a="$T" -v b="$tp" 'BEGIN { printf "%.4f", a / b }') "
      plain_ns[$p]+="$tp "
    done
  done
done

stats() { # numbers... -> "median min max"
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%s %s %s\n", m, v[1], v[NR] }'
}
cell() { # program variant -> "1.23x (1.10..1.40)"
  # shellcheck disable=SC2086 # a list of numbers
  read -r m lo hi <<<"$(stats ${ratios[$1.$2]})"
  printf '%.2fx (%.2f..%.2f)' "$m" "$lo" "$hi"
}

# --- Counts and peak RSS (one run each) ------------------------------------------
declare -A allocs reallocs peak_blocks rss
for p in "${names[@]}"; do
  if [ -z "${why_not[shim]:-}" ]; then
    argv_of shim "$p" "${full[$p]}"
    rm -f "$out/tmp/counts"
    COUNT_SHIM_OUT=$out/tmp/counts "${ARGV[@]}" >/dev/null 2>&1 || fail "$p (shim counts) failed"
    # One line per process; the program's is the one with the most calls.
    read -r a b c < <(sed -E 's/[a-z_]+=//g' "$out/tmp/counts" |
      sort -k2,2n | tail -1 | awk '{ print $2, $3, $5 }')
    allocs[$p]=$a reallocs[$p]=$b peak_blocks[$p]=$c
  fi
  if [ ${#rss_cmd[@]} -gt 0 ]; then
    for v in plain t1 t25; do
      argv_of "$v" "$p" "${full[$p]}"
      "${rss_cmd[@]}" "${ARGV[@]}" >/dev/null 2>&1 || fail "$p ($v, peak RSS) failed"
      rss[$p.$v]=$(tail -1 "$out/tmp/rss")
    done
  fi
done

# --- Report ------------------------------------------------------------------------
show() { # program size -> the command line as users would type it
  local c=${cmd[$1]//@N@/$2}
  c=${c//@B@\//}; c=${c//@L@/lua}; c=${c//@S@/speedtest1}; c=${c//@X@/xmllint}
  echo "$c"
}
num() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%.2f M", n / 1e6; else if (n >= 1e3) printf "%.0f K", n / 1e3; else printf "%d", n }'; }

echo "$title"
echo
echo "Measured $(date -u +%Y-%m-%d) by \`bench/real/whole.sh BUILD_DIR $pairs${3:+ $size}\` (run by"
echo "\`bench/run-all.sh\`), $(nproc) CPUs, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
[ "$size" = small ] && echo "**Small inputs: a check of the harness, not a measurement.**"
[ -n "${TM_BENCH_PROGRAMS:-}" ] && echo "Programs timed: ${names[*]} (TM_BENCH_PROGRAMS)."
echo
echo "Each cell: the wall time of that variant over plain (clang-$major $cflags), the"
echo "median over $pairs pairs, (min..max) over the pairs; a pair is one plain run and one"
echo "variant run back to back (plain first in odd rounds, second in even ones)."
echo "*tm off*: built with tmcc, TRACEMALLOC unset;"
echo "*tm 1*, *tm 25*: the same binary with TRACEMALLOC=1 / 25; *shim*: the plain binary"
echo "with bench/shim/count_shim.so preloaded (one lock and one hash table access per"
echo "malloc/free, no traceback: the floor of a side-table design); *heaptrack*"
echo "$(heaptrack --version 2>/dev/null | head -1 || true): the plain binary under it;"
echo "*ASan*: clang-$major -fsanitize=address, detect_leaks=0; *MemProf*: clang-$major"
echo "-fmemory-profile. Allocations (malloc/calloc/aligned), resizes (realloc)"
echo "and live blocks at peak are counted by the shim in the plain binary."
echo "*pad 0/8/16* (when timed): the plain binary with bench/shim/pad_shim.so preloaded,"
echo "every block 0, 8 or 16 bytes larger and nothing traced (the footprint of a"
echo "16-byte header, or of an 8-byte trailer in the block's slack)."
echo "Lua, SQLite and libxml2 are Debian bookworm's sources; the others are"
echo "bench/workloads/*.c; the Lua script is bench/real/alloc.lua; xmllint's input"
echo "has one \`<item id kind><name>..</name>text</item>\` per item."
echo
hdr="| program | allocations | resizes | live at peak | plain (s, median)"
sep="|---|---:|---:|---:|---:"
for v in "${active[@]}"; do hdr+=" | ${vname[$v]}"; sep+="|---:"; done
echo "$hdr |"
echo "$sep|"
for p in "${names[@]}"; do
  # shellcheck disable=SC2086
  read -r pm _ _ <<<"$(stats ${plain_ns[$p]})"
  row="| \`$(show "$p" "${full[$p]}")\` | $(num "${allocs[$p]:-0}") | $(num "${reallocs[$p]:-0}") | $(num "${peak_blocks[$p]:-0}")"
  row+=" | $(awk -v t="$pm" 'BEGIN { printf "%.3f", t / 1e9 }')"
  for v in "${active[@]}"; do row+=" | $(cell "$p" "$v")"; done
  echo "$row |"
done
for v in "${variants[@]}"; do
  if [ -n "${why_not[$v]:-}" ]; then echo; echo "${vname[$v]} skipped: ${why_not[$v]}"; fi
  if [ -z "${why_not[$v]:-}" ] && ! selected "$v" && [[ $optin != *" $v "* ]]; then echo; echo "${vname[$v]} not timed in this run (TM_BENCH_VARIANTS=$TM_BENCH_VARIANTS)."; fi
done

per_block() { # program variant -> extra peak RSS bytes per block live at peak, or -
  awk -v a="${rss[$1.$2]}" -v b="${rss[$1.plain]}" -v n="${peak_blocks[$1]:-0}" \
    'BEGIN { if (n >= 100000) printf "%.1f", (a - b) * 1024 / n; else printf "-" }'
}
target() { # program variant limit label (nothing if it was not timed)
  local m
  [ -n "${ratios[$1.$2]:-}" ] || return 0
  # shellcheck disable=SC2086
  read -r m _ _ <<<"$(stats ${ratios[$1.$2]})"
  echo "| $4 | \`$(show "$1" "${full[$1]}")\`, ${vname[$2]} | <= $3x | $(cell "$1" "$2") | $(awk -v m="$m" -v l="$3" 'BEGIN { print (m <= l ? "yes" : "**no**") }') |"
}
echo
echo "Targets of issues #14 and #15 (met = the median is within the limit):"
echo
echo "| issue | program, variant | target | measured | met |"
echo "|---|---|---:|---:|:---:|"
for p in lua xmllint tree-alloc tree-random; do
  target "$p" t1 1.3 "#14"
  target "$p" t25 1.4 "#14"
done
target speedtest1 t1 1.10 "#14"
target speedtest1 t25 1.10 "#14"
target stress-2 t1 1.3 "#14"
target stress-2 t25 1.3 "#14"
target recursion off 1.10 "#15"
target recursion t25 1.10 "#15"
target lua off 1.05 "#15"
target speedtest1 off 1.03 "#15"
if [ -z "${why_not[shim]:-}" ] && timed xmllint; then
  echo "| #14 | \`$(show xmllint "${full[xmllint]}")\`: live blocks at peak | >= 1 M | $(num "${peak_blocks[xmllint]}") | $(awk -v n="${peak_blocks[xmllint]}" 'BEGIN { print (n >= 1e6 ? "yes" : "**no**") }') |"
fi
if [ ${#rss_cmd[@]} -gt 0 ] && [ -z "${why_not[shim]:-}" ]; then
  for p in xmllint tree-alloc tree-random; do
    timed "$p" || continue
    for v in t1 t25; do
      b=$(per_block "$p" "$v")
      # (Fewer than 100 K live blocks, at small sizes: no per-block figure.)
      echo "| #14 | \`$(show "$p" "${full[$p]}")\`, ${vname[$v]}: peak RSS per live block | <= 24 B | $b$([ "$b" = - ] || echo " B") | $(awk -v b="$b" 'BEGIN { print (b == "-" ? "-" : b <= 24 ? "yes" : "**no**") }') |"
    done
  done
fi

if [ ${#rss_cmd[@]} -gt 0 ]; then
  echo
  echo "Peak RSS (\`/usr/bin/time -f %M\`, one run each) and the tracer's extra"
  echo "memory per block live at peak: (RSS(tm N) - RSS(plain)) / live at peak."
  echo "It includes everything the runtime maps (trace table, traceback storage,"
  echo "shadow stacks); issue #14's limit is 24 bytes per live trace."
  echo
  echo "| program | live at peak | plain (KiB) | tm 1 (KiB) | tm 25 (KiB) | tm 1: B per live block | tm 25: B per live block |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for p in "${names[@]}"; do
    lb=${peak_blocks[$p]:-0}
    row="| \`$(show "$p" "${full[$p]}")\` | $(num "$lb") | ${rss[$p.plain]} | ${rss[$p.t1]} | ${rss[$p.t25]}"
    for v in t1 t25; do row+=" | $(per_block "$p" "$v")"; done
    echo "$row |"
  done
  echo
  echo "(Per-block figures only where at least 100 K blocks are live.)"
else
  echo
  echo "Peak RSS skipped: /usr/bin/time is not installed (scripts/install-deps.sh --bench)."
fi
echo
echo "Whole set: $(( $(date +%s) - started )) s including builds."
