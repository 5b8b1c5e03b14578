# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A dump killed while it is being written (SIGXFSZ from RLIMIT_FSIZE, in
# the middle of write(2)) leaves only a hidden temporary that does not end
# in .tmd or .json, which the CLI refuses as a dump; the next successful
# dump to the same name removes it.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/dumps/prog.inc.sh"

mkdir d
rc=0
# 20000 traces of distinct sizes: a dump of far more than 4 KiB.
(ulimit -f 4 && TRACEMALLOC=1 TRACEMALLOC_DUMP=d/snap.tmd exec ./prog 20000) \
  >/dev/null 2>&1 || rc=$?
expect_eq "killed by SIGXFSZ (128 + 25)" 153 "$rc"
left=$(ls -A d)
expect_eq "one file left" 1 "$(wc -l <<<"$left")"
expect_match "it is hidden" '^\.' "$left"
expect_no_match "it does not look like a dump" '\.(tmd|json)$' "$left"
expect_eq "it is truncated at the limit" 4096 "$(stat -c %s "d/$left")"
rc=0
err=$("$TM_CLI" stats "d/$left" 2>&1) || rc=$?
expect_eq "the CLI rejects it (exit code 2: invalid input)" 2 "$rc"
expect_match "the CLI rejects it (message)" \
  "^tracemalloc: error: d/$left: truncated: " "$err"

TRACEMALLOC=1 TRACEMALLOC_DUMP=d/snap.tmd ./prog >/dev/null
expect_eq "the next dump removed the dead writer's temporary" "snap.tmd" \
  "$(ls -A d)"
check_dump "the next dump" d/snap.tmd
