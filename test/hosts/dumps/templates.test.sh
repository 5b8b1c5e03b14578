# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# TRACEMALLOC_DUMP templates: DIR/ writes DIR/<program>.<pid>.tmd; %p is the
# pid, %n the number of the dump in the process (0 for the exit dump), %%
# a percent sign; a name ending in .json is JSON.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/dumps/prog.inc.sh"

mkdir d
pid=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=d/ ./prog | sed -n 's/^pid \([0-9]*\).*/\1/p')
expect_eq "DIR/ holds <program>.<pid>.tmd" "prog.$pid.tmd" "$(ls -A d)"
check_dump "DIR/ dump" "d/prog.$pid.tmd"
rm d/*

pid=$(TRACEMALLOC=1 TRACEMALLOC_DUMP="$PWD/d/run-%p-%n-100%%.json" ./prog |
  sed -n 's/^pid \([0-9]*\).*/\1/p')
expect_eq "%p, %n and %% expanded" "run-$pid-0-100%.json" "$(ls -A d)"
expect_match "a .json template writes JSON" '^\{' "$(head -c 1 "d/run-$pid-0-100%.json")"
check_dump "%p/%n dump" "d/run-$pid-0-100%.json"
rm d/*

# %p in a directory name together with DIR/.
mkdir "d/x"
pid=$(cd d/x && TRACEMALLOC=1 TRACEMALLOC_DUMP=./ ../../prog | sed -n 's/^pid \([0-9]*\).*/\1/p')
expect_eq "./ is the current directory" "prog.$pid.tmd" "$(ls -A d/x)"
