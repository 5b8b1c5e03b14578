#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# TRACEMALLOC_MAX_MEMORY bounds the runtime's own memory: past it traces are
# dropped and counted (in the dump too), the program's allocations all
# succeed, and traced + dropped accounts for every block. An invalid value:
# one warning line naming the variable and the value, and no limit.
# The blocks are aligned allocations, traced in the side table (24 bytes of
# runtime memory per trace): plain malloc blocks carry their trace in a
# header in the program's heap (docs/semantics.md, "Header blocks") and
# need only 1/128 of the heap in runtime memory, which 1 MiB easily holds.
source "$TM_HOSTS/lib.sh"

cat > keep.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <tracemalloc.h>

#define N 300000

int main(void) {
  static void *blocks[N];
  long failed = 0;
  setvbuf(stdout, NULL, _IONBF, 0); // no stdio buffer: only the N blocks

  for (long i = 0; i < N; i++)
    if (!(blocks[i] = aligned_alloc(32, 16)))
      failed++;
  printf("failed %ld\n", failed);
  printf("dropped %llu\n", (unsigned long long)tm_get_dropped_traces());
  printf("runtime_kib %zu\n", tm_get_tracemalloc_memory() / 1024);
  return 0;
}
EOF
"$TMCC" -O1 -g -I"$TM_INCDIR" keep.c -o keep
get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$2"; }

# 1 MiB holds far fewer than 300000 traces (24 bytes each at least).
out=$(TRACEMALLOC=1 TRACEMALLOC_MAX_MEMORY=1M TRACEMALLOC_DUMP=bounded.tmd ./keep 2>err.txt)
echo "$out"
expect_eq "no warning for 1M" "" "$(cat err.txt)"
expect_eq "every malloc succeeds" 0 "$(get failed "$out")"
dropped=$(get dropped "$out")
(( dropped > 0 )) || fail "nothing dropped under a 1 MiB bound"
(( $(get runtime_kib "$out") <= 1024 + 64 )) ||
  fail "runtime memory $(get runtime_kib "$out") KiB, bound 1024 KiB (+ shadow-stack pages)"
top=$("$TM_CLI" top bounded.tmd)
echo "$top"
expect_match "the dump counts the dropped traces" "\(dropped: $dropped\)" "$top"
kept=$(sed -nE 's/.*keep\.c:13: .*count=([0-9]+),.*/\1/p' <<<"$top")
(( kept > 1000 )) || fail "too few traces kept: [$kept]"
expect_eq "traced + dropped = every block" 300000 $((kept + dropped))

# Binary suffixes: 2M keeps more than 1M did.
out2=$(TRACEMALLOC=1 TRACEMALLOC_MAX_MEMORY=2m ./keep)
(( $(get dropped "$out2") < dropped )) || fail "2m does not bound less than 1M"

# Invalid: one line naming the variable and the value; no limit.
for bad in 12X 0 -5 1.5M; do
  out=$(TRACEMALLOC=1 TRACEMALLOC_MAX_MEMORY=$bad ./keep 2>err.txt)
  expect_eq "one warning line for $bad" 1 "$(wc -l <err.txt)"
  expect_match "it names the variable and value $bad" \
    "TRACEMALLOC_MAX_MEMORY=$bad" "$(cat err.txt)"
  expect_eq "no limit after $bad" 0 "$(get dropped "$out")"
  expect_eq "every malloc succeeds after $bad" 0 "$(get failed "$out")"
done
