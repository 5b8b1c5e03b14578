#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Under RLIMIT_AS (ulimit -v), a traced program's allocations succeed
# whenever the untraced program's would, given room for the runtime's real
# memory use: 2M live 16-byte blocks, under a limit computed from a first
# pair of runs (untraced VmPeak + the runtime's memory at the end + the
# traced blocks' headers + the dump's snapshot + 16 MiB), every malloc succeeds and the dump holds every
# trace. The runtime used to reserve 896 MB of address space up front.
source "$TM_HOSTS/lib.sh"

cat > many.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracemalloc.h>

#define N 2000000

static long vm_peak_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmPeak:", 7) == 0)
      kib = strtol(line + 7, NULL, 10);
  if (f)
    fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  static void *blocks[N];
  long failed = 0;
  for (long i = 0; i < N; i++) {
    blocks[i] = malloc(16);
    if (!blocks[i])
      failed++;
  }
  printf("failed %ld\n", failed);
  printf("runtime_kib %zu\n", tm_get_tracemalloc_memory() / 1024);
  printf("peak_kib %ld\n", vm_peak_kib());
  fflush(stdout);
  if (argc > 1 && tm_is_tracing()) {
    tm_snapshot_t *snap;
    if (tm_take_snapshot(&snap) != TM_OK || tm_snapshot_dump(snap, argv[1]) != TM_OK) {
      printf("dump failed\n");
      return 1;
    }
    tm_snapshot_free(snap);
    printf("after_dump_kib %ld\n", vm_peak_kib());
  }
  return 0;
}
EOF
"$TMCC" -O1 -g -I"$TM_INCDIR" many.c -o many

get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$2"; }

untraced=$(./many)
expect_eq "untraced: every malloc succeeds" 0 "$(get failed "$untraced")"
traced=$(TRACEMALLOC=1 ./many first.tmd)
expect_eq "traced, no limit: every malloc succeeds" 0 "$(get failed "$traced")"
peak_u=$(get peak_kib "$untraced")
runtime=$(get runtime_kib "$traced")
dump=$(( $(get after_dump_kib "$traced") - $(get peak_kib "$traced") ))
# Header mode (docs/semantics.md, "Header blocks"): each traced block is 16
# bytes larger in the program's own heap.
headers=$(( 2000000 * 16 / 1024 ))
limit=$(( peak_u + runtime + headers + dump + 16384 ))
echo "untraced VmPeak ${peak_u} KiB, runtime ${runtime} KiB, dump ${dump} KiB: ulimit -v ${limit}"

out=$( (ulimit -v "$limit"; TRACEMALLOC=1 ./many limited.tmd) ) || true
echo "$out"
expect_eq "traced under ulimit -v: every malloc succeeds" 0 "$(get failed "$out")"
[[ -f limited.tmd ]] || fail "no dump written under ulimit -v"
top=$("$TM_CLI" top limited.tmd)
expect_match "nothing dropped" "Traces: [0-9]+ \(dropped: 0\)" "$top"
expect_match "all 2M blocks traced at the malloc line" \
  "many\.c:24: size=30\.5 MiB, count=2000000," "$top"
