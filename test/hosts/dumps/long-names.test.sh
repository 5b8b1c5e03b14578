# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# TRACEMALLOC_DUMP names whose last component is 241..255 bytes (NAME_MAX)
# and a path of PATH_MAX - 1 bytes: each gets its dump, and nothing else is
# left in the directory. One byte more than NAME_MAX: one warning line.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/dumps/prog.inc.sh"

mkdir out
for len in $(seq 241 255); do
  name=$(printf "%0$((len - 4))d.tmd" 0 | tr 0 n)
  expect_eq "name length" "$len" "${#name}"
  err=$(TRACEMALLOC=1 TRACEMALLOC_DUMP="out/$name" ./prog 2>&1 >/dev/null)
  expect_eq "no warning at $len bytes" "" "$err"
  check_dump "dump with a $len-byte name" "out/$name"
  expect_eq "only the dump in out/ ($len bytes)" "$name" "$(ls -A out)"
  rm "out/$name"
done

# PATH_MAX - 1 = 4095 bytes: directories of 200-byte names, then the rest.
path=$PWD
while ((${#path} + 201 + 60 < 4095)); do
  path=$path/$(printf '%0200d' 0 | tr 0 d)
done
mkdir -p "$path"
rest=$((4095 - ${#path} - 1))
file=$path/$(printf "%0$((rest - 4))d.tmd" 0 | tr 0 f)
expect_eq "path length" 4095 "${#file}"
err=$(TRACEMALLOC=1 TRACEMALLOC_DUMP="$file" ./prog 2>&1 >/dev/null)
expect_eq "no warning for a 4095-byte path" "" "$err"
# The CLI gets the dump through a shorter relative path (its argv is not
# what is tested here).
(cd "$path" && check_dump "dump at a 4095-byte path" "${file##*/}")
expect_eq "only the dump in its directory" "${file##*/}" "$(ls -A "$path")"

# 256 bytes: no dump, one clear warning, normal exit.
name=$(printf '%0252d.tmd' 0 | tr 0 n)
rc=0
err=$(TRACEMALLOC=1 TRACEMALLOC_DUMP="out/$name" ./prog 2>&1 >/dev/null) || rc=$?
expect_eq "exit code with a 256-byte name" 0 "$rc"
expect_eq "one warning for a 256-byte name" \
  "tracemalloc: warning: TRACEMALLOC_DUMP: path too long, no snapshot written" \
  "$err"
expect_eq "nothing written for a 256-byte name" "" "$(ls -A out)"
